//! Settling one zone's cleared interval against what its meters exported.
//!
//! At clearing, a bid's trade holds `value(bought, price)` of its escrow and an
//! offer's holds `value(sold, penalty price)` of its collateral (the rest went
//! back then). At settlement:
//!
//! - a seller **delivered** `min(sold, exported)` (a meter's export shared by its
//!   sales in order of sequence); what it sold and did not deliver is its
//!   **deviation**, paid at the penalty price from its collateral to the
//!   network's balancing account; the rest of the collateral goes back;
//! - the zone's delivered energy is shared among the buyers in proportion to
//!   what they bought (largest remainders, ties to the earlier order); each
//!   pays `value(delivered share, price)` from its escrow and gets the rest back;
//! - the buyers' payments are shared among the sellers in proportion to what
//!   they delivered (rounded down); what rounding leaves goes to the balancing
//!   account.
//!
//! `value(wh, price) = ⌈wh × price / 1000⌉` (prices are credits per kWh). Every
//! credit held comes out exactly once: as a payment, a refund, or to the
//! balancing account.

use plinth_core::DeviceId;

/// `⌈wh × price / 1000⌉`: the credits `wh` cost at `price` per kWh.
pub fn value(wh: u64, price: u64) -> u64 {
    let v = (wh as u128 * price as u128).div_ceil(1_000);
    v.min(u64::MAX as u128) as u64
}

/// One order's trade in the interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trade {
    /// The order's sequence number.
    pub seq: u64,
    /// Its meter.
    pub meter: DeviceId,
    /// Energy traded, Wh.
    pub wh: u64,
    /// Credits held for it since clearing (a bid's escrow, an offer's collateral).
    pub held: u64,
}

/// How one order's trade settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The order's sequence number.
    pub seq: u64,
    /// Its meter.
    pub meter: DeviceId,
    /// Energy traded, Wh.
    pub traded_wh: u64,
    /// Energy delivered: by a seller, to the zone; to a buyer, its share.
    pub delivered_wh: u64,
    /// A seller: credits earned; a buyer: credits paid.
    pub paid: u64,
    /// A seller: credits of its collateral taken for its deviation.
    pub penalty: u64,
    /// Credits of what was held that go back to the order's owner.
    pub returned: u64,
}

/// A zone interval's settlement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settled {
    /// The sellers' outcomes, by sequence.
    pub sells: Vec<Outcome>,
    /// The buyers' outcomes, by sequence.
    pub buys: Vec<Outcome>,
    /// Credits to the network's balancing account (penalties and rounding).
    pub balancing: u64,
}

/// Settles a zone's interval cleared at `price` (credits per kWh), sellers'
/// deviations charged at `penalty_price`; `exported` gives each meter's verified
/// export in the interval (missing readings: 0).
pub fn settle(
    price: u64,
    penalty_price: u64,
    sells: &[Trade],
    buys: &[Trade],
    exported: impl Fn(&DeviceId) -> u64,
) -> Settled {
    let mut sells = sells.to_vec();
    let mut buys = buys.to_vec();
    sells.sort_by_key(|t| t.seq);
    buys.sort_by_key(|t| t.seq);
    let mut out = Settled::default();

    // Sellers: what each delivered, from its meter's export in order.
    let mut left: std::collections::BTreeMap<DeviceId, u64> = Default::default();
    let mut delivered_total: u64 = 0;
    for t in &sells {
        let avail = left.entry(t.meter).or_insert_with(|| exported(&t.meter));
        let delivered = t.wh.min(*avail);
        *avail -= delivered;
        delivered_total += delivered;
        let penalty = value(t.wh - delivered, penalty_price).min(t.held);
        out.balancing += penalty;
        out.sells.push(Outcome {
            seq: t.seq,
            meter: t.meter,
            traded_wh: t.wh,
            delivered_wh: delivered,
            paid: 0,
            penalty,
            returned: t.held - penalty,
        });
    }

    // Buyers: the delivered energy in proportion to what each bought.
    let bought: u64 = buys.iter().map(|t| t.wh).sum();
    let shares = pro_rata(
        delivered_total.min(bought),
        &buys.iter().map(|t| t.wh).collect::<Vec<_>>(),
    );
    let mut pool: u64 = 0;
    for (t, share) in buys.iter().zip(shares) {
        let paid = value(share, price).min(t.held);
        pool += paid;
        out.buys.push(Outcome {
            seq: t.seq,
            meter: t.meter,
            traded_wh: t.wh,
            delivered_wh: share,
            paid,
            penalty: 0,
            returned: t.held - paid,
        });
    }

    // Sellers are paid the buyers' payments by what they delivered.
    let mut paid_out: u64 = 0;
    if delivered_total > 0 {
        for o in &mut out.sells {
            o.paid = (pool as u128 * o.delivered_wh as u128 / delivered_total as u128) as u64;
            paid_out += o.paid;
        }
    }
    out.balancing += pool - paid_out;
    out
}

/// `total` shared in proportion to `weights` (their sum at least `total`):
/// rounded down, then one more each to the largest remainders (ties to the
/// earlier), so the shares add up to `total` exactly.
fn pro_rata(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| w as u128).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut shares: Vec<u64> = Vec::with_capacity(weights.len());
    let mut rems: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let x = w as u128 * total as u128;
        shares.push((x / sum) as u64);
        rems.push((x % sum, i));
    }
    let mut left = total - shares.iter().sum::<u64>();
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rems {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::Keypair;

    fn meter(n: u8) -> DeviceId {
        DeviceId(Keypair::from_seed([n; 32]).public())
    }

    fn t(seq: u64, m: u8, wh: u64, held: u64) -> Trade {
        Trade {
            seq,
            meter: meter(m),
            wh,
            held,
        }
    }

    /// Everything held comes out once.
    fn conserved(sells: &[Trade], buys: &[Trade], s: &Settled) {
        let held: u64 = sells.iter().chain(buys).map(|t| t.held).sum();
        let out: u64 = s.sells.iter().map(|o| o.returned + o.penalty).sum::<u64>()
            + s.buys.iter().map(|o| o.paid + o.returned).sum::<u64>();
        // Penalties are in both the sellers' outcomes and the balancing account:
        // count them once.
        let penalties: u64 = s.sells.iter().map(|o| o.penalty).sum();
        let sellers_paid: u64 = s.sells.iter().map(|o| o.paid).sum();
        let buyers_paid: u64 = s.buys.iter().map(|o| o.paid).sum();
        assert_eq!(
            held, out,
            "held credits come out as payments, refunds or penalties"
        );
        assert_eq!(buyers_paid, sellers_paid + (s.balancing - penalties));
    }

    #[test]
    fn everything_delivered_pays_the_price() {
        // Price 100 per kWh, penalty 300. Seller 1 sold 600 Wh (collateral
        // value(600, 300) = 180), seller 2 400 Wh (120); buyer 3 bought 1,000 Wh
        // (held value(1000, 100) = 100).
        let sells = [t(1, 1, 600, 180), t(2, 2, 400, 120)];
        let buys = [t(3, 3, 1_000, 100)];
        let s = settle(100, 300, &sells, &buys, |_| 5_000);
        assert_eq!(s.buys[0].paid, 100);
        assert_eq!(s.buys[0].delivered_wh, 1_000);
        assert_eq!((s.sells[0].paid, s.sells[1].paid), (60, 40));
        assert_eq!((s.sells[0].returned, s.sells[1].returned), (180, 120));
        assert_eq!(s.balancing, 0);
        conserved(&sells, &buys, &s);
    }

    #[test]
    fn a_seller_short_of_export_pays_its_deviation_and_the_buyers_pay_less() {
        // Seller 1 exported only 200 of its 600 Wh; seller 2 delivered in full.
        let sells = [t(1, 1, 600, 180), t(2, 2, 400, 120)];
        let buys = [t(3, 3, 700, 70), t(4, 4, 300, 30)];
        let exported = |m: &DeviceId| if *m == meter(1) { 200 } else { 1_000 };
        let s = settle(100, 300, &sells, &buys, exported);
        // Deviation 400 Wh × 300 = 120 credits from seller 1's collateral.
        assert_eq!(s.sells[0].delivered_wh, 200);
        assert_eq!((s.sells[0].penalty, s.sells[0].returned), (120, 60));
        // 600 Wh delivered: 420 and 180 to the buyers, who pay 42 and 18.
        assert_eq!((s.buys[0].delivered_wh, s.buys[1].delivered_wh), (420, 180));
        assert_eq!((s.buys[0].paid, s.buys[1].paid), (42, 18));
        assert_eq!((s.buys[0].returned, s.buys[1].returned), (28, 12));
        // 60 credits to the sellers by delivery: 20 and 40.
        assert_eq!((s.sells[0].paid, s.sells[1].paid), (20, 40));
        assert_eq!(s.balancing, 120);
        conserved(&sells, &buys, &s);
    }

    #[test]
    fn a_missing_reading_counts_as_no_export() {
        let sells = [t(1, 1, 500, 150)];
        let buys = [t(2, 2, 500, 50)];
        let s = settle(100, 300, &sells, &buys, |_| 0);
        assert_eq!(s.sells[0].penalty, 150);
        assert_eq!((s.sells[0].paid, s.sells[0].returned), (0, 0));
        assert_eq!((s.buys[0].paid, s.buys[0].returned), (0, 50));
        assert_eq!(s.balancing, 150);
        conserved(&sells, &buys, &s);
    }

    #[test]
    fn a_penalty_never_takes_more_than_the_collateral() {
        // Collateral held at a lower penalty price than charged: capped.
        let sells = [t(1, 1, 1_000, 10)];
        let s = settle(100, 300, &sells, &[], |_| 0);
        assert_eq!((s.sells[0].penalty, s.sells[0].returned), (10, 0));
    }

    #[test]
    fn one_meter_s_export_covers_its_sales_in_order() {
        // Two sales of one meter (a standing and a one-off order): 700 Wh
        // exported covers the first 500 and 200 of the second.
        let sells = [t(5, 1, 500, 150), t(2, 1, 500, 150)];
        let buys = [t(9, 3, 1_000, 100)];
        let s = settle(100, 300, &sells, &buys, |_| 700);
        assert_eq!(s.sells[0].seq, 2);
        assert_eq!(
            (s.sells[0].delivered_wh, s.sells[1].delivered_wh),
            (500, 200)
        );
        assert_eq!((s.sells[0].penalty, s.sells[1].penalty), (0, 90));
        conserved(&sells, &buys, &s);
    }

    #[test]
    fn rounding_goes_to_the_balancing_account() {
        // Three sellers of 1 Wh each, one buyer of 3 Wh at 500 per kWh: the buyer
        // pays ⌈1.5⌉ = 2, the sellers get ⌊2/3⌋ = 0 each; 2 to balancing.
        let sells = [t(1, 1, 1, 1), t(2, 2, 1, 1), t(3, 4, 1, 1)];
        let buys = [t(4, 3, 3, 2)];
        let s = settle(500, 1_000, &sells, &buys, |_| 10);
        assert_eq!(s.buys[0].paid, 2);
        assert_eq!(s.balancing, 2);
        conserved(&sells, &buys, &s);
    }

    #[test]
    fn shares_add_up_and_ties_go_to_the_earlier() {
        assert_eq!(pro_rata(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(pro_rata(0, &[5, 5]), vec![0, 0]);
        assert_eq!(pro_rata(7, &[0, 0]), vec![0, 0]);
        assert_eq!(pro_rata(5, &[10, 0, 10]), vec![3, 0, 2]);
    }

    #[test]
    fn held_credits_are_conserved_over_random_settlements() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for _ in 0..2_000 {
            let price = 1 + next(400);
            let penalty = price + next(400);
            let sells: Vec<Trade> = (0..next(5))
                .map(|k| {
                    let wh = next(2_000);
                    t(k, (k % 3) as u8, wh, value(wh, penalty))
                })
                .collect();
            let volume: u64 = sells.iter().map(|t| t.wh).sum();
            let n = 1 + next(4);
            let buys: Vec<Trade> = (0..n)
                .map(|k| {
                    let wh = volume / n + u64::from(k < volume % n);
                    t(100 + k, 10 + k as u8, wh, value(wh, price))
                })
                .collect();
            let export = next(3_000);
            let s = settle(price, penalty, &sells, &buys, |m| {
                export / (1 + u64::from(m.0.as_bytes()[0] % 3))
            });
            conserved(&sells, &buys, &s);
            for o in &s.sells {
                assert!(o.delivered_wh <= o.traded_wh);
            }
            let delivered: u64 = s.sells.iter().map(|o| o.delivered_wh).sum();
            let shared: u64 = s.buys.iter().map(|o| o.delivered_wh).sum();
            assert_eq!(
                delivered, shared,
                "the zone's delivered energy is shared exactly"
            );
        }
    }
}
