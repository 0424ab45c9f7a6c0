//! The uniform-price double auction of one zone's interval (pay-as-clear).
//!
//! Bids are taken from the highest price down, offers from the lowest up; equal
//! prices go by time (the order's sequence number: earlier first). Orders trade
//! while the next bid's price is at least the next offer's; the last order taken
//! on each side may be filled in part (so partial fills go by time, never pro
//! rata). Everyone trades at one price, chosen in the range that clears the
//! market:
//!
//! ```text
//!  lo = max(last offer taken, first bid left out entirely)
//!  hi = min(last bid taken,   first offer left out entirely)
//!  price = lo + (hi − lo) / 2          (rounded down)
//! ```
//!
//! so no trading bid pays more than it asked to, no trading offer gets less than
//! it asked for, and no order left out would have traded at the price. Nothing
//! crossing: no trade, price 0.

/// One order in an auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// Its sequence number: the order of arrival, unique per network.
    pub seq: u64,
    /// Energy, Wh.
    pub wh: u64,
    /// A bid's highest or an offer's lowest price, credits per kWh.
    pub price: u64,
}

/// What an auction cleared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleared {
    /// The one price every trade is at, credits per kWh (0: nothing traded).
    pub price: u64,
    /// Energy traded, Wh.
    pub volume_wh: u64,
    /// The bids filled, `(seq, Wh)`, in the order they were taken.
    pub bids: Vec<(u64, u64)>,
    /// The offers filled, `(seq, Wh)`, in the order they were taken.
    pub offers: Vec<(u64, u64)>,
}

/// Clears one auction. Orders of zero Wh are ignored; `seq`s must be unique.
pub fn clear(bids: &[Order], offers: &[Order]) -> Cleared {
    let mut b: Vec<&Order> = bids.iter().filter(|o| o.wh > 0).collect();
    let mut s: Vec<&Order> = offers.iter().filter(|o| o.wh > 0).collect();
    b.sort_unstable_by(|x, y| y.price.cmp(&x.price).then(x.seq.cmp(&y.seq)));
    s.sort_unstable_by(|x, y| x.price.cmp(&y.price).then(x.seq.cmp(&y.seq)));
    let mut out = Cleared::default();
    let (mut i, mut j) = (0, 0);
    // What the current bid and offer have been filled so far.
    let (mut fb, mut fs) = (0u64, 0u64);
    let mut last = None;
    while i < b.len() && j < s.len() && b[i].price >= s[j].price {
        let q = (b[i].wh - fb).min(s[j].wh - fs);
        fb += q;
        fs += q;
        out.volume_wh += q;
        last = Some((b[i].price, s[j].price));
        if fb == b[i].wh {
            out.bids.push((b[i].seq, fb));
            i += 1;
            fb = 0;
        }
        if fs == s[j].wh {
            out.offers.push((s[j].seq, fs));
            j += 1;
            fs = 0;
        }
    }
    let Some((last_bid, last_offer)) = last else {
        return out;
    };
    if fb > 0 {
        out.bids.push((b[i].seq, fb));
    }
    if fs > 0 {
        out.offers.push((s[j].seq, fs));
    }
    // The first orders left out entirely: after a partly filled one, the next.
    let out_bid = b.get(i + usize::from(fb > 0)).map(|o| o.price);
    let out_offer = s.get(j + usize::from(fs > 0)).map(|o| o.price);
    let lo = last_offer.max(out_bid.unwrap_or(0));
    let hi = last_bid.min(out_offer.unwrap_or(u64::MAX));
    debug_assert!(lo <= hi, "a clearing range is never empty");
    out.price = lo + (hi - lo) / 2;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(seq: u64, wh: u64, price: u64) -> Order {
        Order { seq, wh, price }
    }

    #[test]
    fn crossing_books_trade_at_one_price_in_the_clearing_range() {
        // Bids 300 Wh at 200, 200 at 150, 100 at 90; offers 250 at 80, 200 at 120,
        // 300 at 160. Bid 1 takes offer 4 (250) and 50 of offer 5; bid 2 takes the
        // other 150 of offer 5, and then the next offer asks 160 > 150: bid 2 is
        // filled in part, bid 3 not at all.
        let bids = [o(1, 300, 200), o(2, 200, 150), o(3, 100, 90)];
        let offers = [o(4, 250, 80), o(5, 200, 120), o(6, 300, 160)];
        let c = clear(&bids, &offers);
        assert_eq!(c.volume_wh, 450);
        assert_eq!(c.bids, vec![(1, 300), (2, 150)]);
        assert_eq!(c.offers, vec![(4, 250), (5, 200)]);
        // lo = max(120 (last offer), 90 (first bid out)) = 120;
        // hi = min(150 (last bid), 160 (first offer out)) = 150 → 135.
        assert_eq!(c.price, 135);
    }

    #[test]
    fn books_that_do_not_cross_trade_nothing() {
        let c = clear(&[o(1, 100, 50)], &[o(2, 100, 60)]);
        assert_eq!(c, Cleared::default());
        assert_eq!(clear(&[], &[o(2, 100, 60)]), Cleared::default());
        assert_eq!(clear(&[o(1, 0, 99)], &[o(2, 0, 1)]), Cleared::default());
    }

    #[test]
    fn partial_fills_go_by_price_then_time() {
        // Three bids at the same price; 250 Wh offered: the earliest two are
        // filled in full, the third in part, whatever order they are listed in.
        let bids = [o(9, 100, 100), o(3, 100, 100), o(5, 100, 100)];
        let c = clear(&bids, &[o(1, 250, 40)]);
        assert_eq!(c.bids, vec![(3, 100), (5, 100), (9, 50)]);
        assert_eq!(c.offers, vec![(1, 250)]);
        assert_eq!(c.volume_wh, 250);
        // lo = max(40, no bid left out entirely) = 40; hi = min(100, none) = 100.
        assert_eq!(c.price, 70);
        // The same on the offer side: the earlier offer at a price sells first.
        let c = clear(&[o(1, 150, 100)], &[o(7, 100, 30), o(2, 100, 30)]);
        assert_eq!(c.offers, vec![(2, 100), (7, 50)]);
        assert_eq!(c.price, 65);
    }

    #[test]
    fn a_bid_left_out_lifts_the_price_to_its_own() {
        // 100 Wh offered at 50; bids 100 at 100 and 100 at 95. Only the first
        // trades, and the price is at least 95: the second would have paid that.
        let c = clear(&[o(1, 100, 100), o(2, 100, 95)], &[o(3, 100, 50)]);
        assert_eq!(c.bids, vec![(1, 100)]);
        assert_eq!(c.price, 97);
        // Mirrored: an offer left out caps the price at its own.
        let c = clear(&[o(1, 100, 100)], &[o(2, 100, 50), o(3, 100, 55)]);
        assert_eq!(c.offers, vec![(2, 100)]);
        assert_eq!(c.price, 52);
    }

    #[test]
    fn equal_marginal_prices_clear_at_that_price() {
        let c = clear(&[o(1, 100, 70)], &[o(2, 40, 70), o(3, 100, 70)]);
        assert_eq!(c.price, 70);
        assert_eq!(c.offers, vec![(2, 40), (3, 60)]);
        assert_eq!(c.volume_wh, 100);
    }

    #[test]
    fn every_trade_respects_its_limit_price_and_volumes_balance() {
        // A deterministic pseudo-random sweep over small books.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for _ in 0..2_000 {
            let nb = next(6) as usize;
            let ns = next(6) as usize;
            let bids: Vec<Order> = (0..nb).map(|k| o(k as u64, next(500), next(300))).collect();
            let offers: Vec<Order> = (0..ns)
                .map(|k| o(100 + k as u64, next(500), next(300)))
                .collect();
            let c = clear(&bids, &offers);
            let sum = |f: &[(u64, u64)]| f.iter().map(|(_, w)| w).sum::<u64>();
            assert_eq!(sum(&c.bids), c.volume_wh);
            assert_eq!(sum(&c.offers), c.volume_wh);
            fn price_of(book: &[Order], seq: u64) -> &Order {
                book.iter().find(|o| o.seq == seq).unwrap()
            }
            for (seq, wh) in &c.bids {
                let b = price_of(&bids, *seq);
                assert!(b.price >= c.price && *wh <= b.wh);
            }
            for (seq, wh) in &c.offers {
                let s = price_of(&offers, *seq);
                assert!(s.price <= c.price && *wh <= s.wh);
            }
            // An order left out entirely would not have traded at the price.
            for b in bids
                .iter()
                .filter(|b| b.wh > 0 && !c.bids.iter().any(|f| f.0 == b.seq))
            {
                assert!(c.volume_wh == 0 || b.price <= c.price);
            }
            for s in offers
                .iter()
                .filter(|s| s.wh > 0 && !c.offers.iter().any(|f| f.0 == s.seq))
            {
                assert!(c.volume_wh == 0 || s.price >= c.price);
            }
        }
    }
}
