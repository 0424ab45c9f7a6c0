//! Credits: the oracle set's price feed, burning tokens for credits (fresh price
//! only), delegation, spending, and supply accounting per epoch.

use crate::common::*;
use plinth_core::Address;
use plinth_ledger::credits::{self, Credits, PricePoint, MAX_PRICE_SKEW_MS};
use plinth_ledger::{Call, Overlay, TxError};

/// Block `h`'s time (the test chain seals one block per second from genesis).
fn time_of(c: &Chain) -> u64 {
    c.next_ctx().timestamp_ms
}

fn price(at_ms: u64, micro_usd: u64) -> PricePoint {
    PricePoint {
        chain: chain(),
        micro_usd_per_token: micro_usd,
        timestamp_ms: at_ms,
    }
}

fn post(p: &PricePoint, signers: &[u8]) -> Call {
    Call::PostPrice {
        price: p.clone(),
        signatures: signers.iter().map(|i| p.sign(&oracle_key(*i))).collect(),
    }
}

fn credits_of(c: &Chain, a: &Address) -> Credits {
    credits::load(&Overlay::new(&c.store), a).unwrap()
}

#[test]
fn burn_with_a_fresh_price_mints_credits_and_shrinks_the_supply() {
    let mut c = Chain::new(3);
    let (alice, bob) = (addr(&user(0)), addr(&user(1)));
    // No price yet: refused.
    let stx = c.tx(
        &user(0),
        Call::BurnForCredits {
            amount: 1_000,
            to: alice,
        },
    );
    c.reject(stx, TxError::NoPrice);

    // The feed needs a threshold (2 of 3) of oracle signatures.
    let p = price(time_of(&c), 1_250_000); // $1.25 per token
    let stx = c.tx(&user(2), post(&p, &[0]));
    c.reject(
        stx,
        TxError::NotEnoughOracleSignatures {
            valid: 1,
            threshold: 2,
        },
    );
    // Signed for a look-alike chain (same chain_id string, another genesis).
    let mut foreign = p.clone();
    foreign.chain = lookalike_chain();
    let stx = c.tx(&user(2), post(&foreign, &[0, 1]));
    c.reject(
        stx,
        TxError::WrongChain {
            expected: chain().to_string(),
            found: lookalike_chain().to_string(),
        },
    );
    let stx = c.tx(&user(2), post(&p, &[0, 1]));
    c.ok(stx);
    // Not newer than the current one: refused.
    let stx = c.tx(&user(2), post(&p, &[0, 1]));
    c.reject(
        stx,
        TxError::OldPrice {
            current_ms: p.timestamp_ms,
            found_ms: p.timestamp_ms,
        },
    );
    // From the future (beyond the allowed skew): refused.
    let ahead = price(time_of(&c) + MAX_PRICE_SKEW_MS + 1, 1_000_000);
    let stx = c.tx(&user(2), post(&ahead, &[0, 1]));
    c.reject(
        stx,
        TxError::PriceFromFuture {
            ahead_ms: MAX_PRICE_SKEW_MS + 1,
        },
    );

    // Burn 0.4 tokens (400,000 units) at $1.25: $0.50 = 500,000 µUSD = 50,000
    // credits of $0.00001, for bob.
    let before = c.balance(&alice);
    let supply_before = supply_record(&c.store);
    let epoch = c.next_epoch();
    let stx = c.tx(
        &user(0),
        Call::BurnForCredits {
            amount: 400_000,
            to: bob,
        },
    );
    c.ok(stx);
    assert_eq!(c.balance(&alice), before - 400_000 - FEE);
    assert_eq!(
        credits_of(&c, &bob),
        Credits {
            own: 50_000,
            delegated: 0
        }
    );
    let after = supply_record(&c.store);
    assert_eq!(after.burned, supply_before.burned + 400_000);
    assert_eq!(
        after.total().unwrap(),
        supply_before.total().unwrap() - 400_000
    );
    let es = credits::epoch_supply(&Overlay::new(&c.store), epoch).unwrap();
    assert_eq!(es.burned, 400_000);

    // Too little to buy one credit.
    let stx = c.tx(
        &user(0),
        Call::BurnForCredits {
            amount: 7,
            to: alice,
        },
    );
    c.reject(
        stx,
        TxError::BurnTooSmall {
            amount: 7,
            micro_usd_per_token: 1_250_000,
        },
    );
    // More than the balance.
    let stx = c.tx(
        &user(0),
        Call::BurnForCredits {
            amount: INITIAL_BALANCE * 2,
            to: alice,
        },
    );
    c.reject(
        stx,
        TxError::InsufficientFunds {
            needed: INITIAL_BALANCE * 2 + FEE,
            available: c.balance(&alice),
        },
    );
}

#[test]
fn a_stale_price_refuses_the_burn() {
    let mut c = Chain::new(3);
    let p = price(time_of(&c), 2_000_000);
    let stx = c.tx(&user(2), post(&p, &[1, 2]));
    c.ok(stx);
    let max = credits::CreditParams::default().price_max_age_ms;
    // Just within the maximum age: accepted.
    c.advance_to((p.timestamp_ms + max - GENESIS_TIME_MS) / BLOCK_TIME_MS - 1);
    assert_eq!(time_of(&c) - p.timestamp_ms, max);
    let stx = c.tx(
        &user(0),
        Call::BurnForCredits {
            amount: 1_000,
            to: addr(&user(0)),
        },
    );
    c.ok(stx);
    // One block later the price is older than allowed.
    let stx = c.tx(
        &user(0),
        Call::BurnForCredits {
            amount: 1_000,
            to: addr(&user(0)),
        },
    );
    c.reject(
        stx,
        TxError::StalePrice {
            age_ms: max + BLOCK_TIME_MS,
            max_ms: max,
        },
    );
    // A fresh price makes burns possible again.
    let p2 = price(time_of(&c), 2_000_000);
    let stx = c.tx(&user(2), post(&p2, &[0, 2]));
    c.ok(stx);
    let stx = c.tx(
        &user(0),
        Call::BurnForCredits {
            amount: 1_000,
            to: addr(&user(0)),
        },
    );
    c.ok(stx);
    // 2 × 1,000 units at $2: 2 × 200 credits.
    assert_eq!(credits_of(&c, &addr(&user(0))).own, 400);
}

#[test]
fn delegated_credits_can_be_spent_but_not_passed_on() {
    let mut c = Chain::new(3);
    let (alice, bob, carol) = (addr(&user(0)), addr(&user(1)), addr(&user(2)));
    let p = price(time_of(&c), 1_000_000);
    let stx = c.tx(&user(2), post(&p, &[0, 1]));
    c.ok(stx);
    let stx = c.tx(
        &user(0),
        Call::BurnForCredits {
            amount: 10_000,
            to: alice,
        },
    );
    c.ok(stx);
    assert_eq!(credits_of(&c, &alice).own, 1_000);
    let stx = c.tx(
        &user(0),
        Call::DelegateCredits {
            to: bob,
            amount: 300,
        },
    );
    c.ok(stx);
    assert_eq!(
        credits_of(&c, &alice),
        Credits {
            own: 700,
            delegated: 0
        }
    );
    assert_eq!(
        credits_of(&c, &bob),
        Credits {
            own: 0,
            delegated: 300
        }
    );
    // Bob cannot pass delegated credits on.
    let stx = c.tx(
        &user(1),
        Call::DelegateCredits {
            to: carol,
            amount: 1,
        },
    );
    c.reject(
        stx,
        TxError::InsufficientCredits {
            needed: 1,
            available: 0,
        },
    );
    let stx = c.tx(
        &user(0),
        Call::DelegateCredits {
            to: carol,
            amount: 701,
        },
    );
    c.reject(
        stx,
        TxError::InsufficientCredits {
            needed: 701,
            available: 700,
        },
    );
    let stx = c.tx(
        &user(0),
        Call::DelegateCredits {
            to: carol,
            amount: 0,
        },
    );
    c.reject(stx, TxError::ZeroAmount);
}

#[test]
fn supply_per_epoch_counts_mints_and_burns() {
    let mut c = Chain::new(3);
    let p = price(time_of(&c), 1_000_000);
    let stx = c.tx(&user(2), post(&p, &[0, 1]));
    c.ok(stx);
    let stx = c.tx(
        &user(0),
        Call::BurnForCredits {
            amount: 5_000,
            to: addr(&user(0)),
        },
    );
    c.ok(stx);
    // Epoch 0's manifest mints 30,000 once the epoch is over.
    c.finish_epoch(0);
    let es = entries(&[addr(&user(0)), addr(&user(1))], &[10_000, 20_000]);
    let header = manifest_header(NETWORK, 0, &es);
    let stx = c.tx(&user(2), submit_call(&header, &[0, 1]));
    c.ok(stx);
    let burn_epoch = c.next_epoch();
    let stx = c.tx(
        &user(1),
        Call::BurnForCredits {
            amount: 2_000,
            to: addr(&user(1)),
        },
    );
    let view = Overlay::new(&c.store);
    let e0 = credits::epoch_supply(&view, 0).unwrap();
    assert_eq!((e0.minted, e0.burned), (30_000, 5_000));
    drop(view);
    // The price is still fresh (the default maximum age is 10 minutes).
    c.ok(stx);
    let later = credits::epoch_supply(&Overlay::new(&c.store), burn_epoch).unwrap();
    assert_eq!(
        later.burned,
        2_000 + if burn_epoch == 0 { 5_000 } else { 0 }
    );
    let s = supply_record(&c.store);
    assert_eq!(s.burned, 7_000);
    assert_eq!(s.minted, 30_000);
}

#[test]
fn net_emissions_mint_the_epoch_befores_burn_again_up_to_the_cap() {
    use plinth_ledger::governance::schedule;
    const CAP: u64 = 3_000;
    let mut g = genesis_with_governance(3);
    g.emission.net_emissions_cap_per_epoch = CAP;
    let mut gov = gov_params();
    gov.treasury_bps = 1_000;
    g.governance = Some(gov);
    let params = g.params();
    let mut c = Chain::from_genesis(g.clone());
    let p = price(time_of(&c), 1_000_000);
    let stx = c.tx(&user(2), post(&p, &[0, 1]));
    c.ok(stx);
    let burn_epoch = c.next_epoch();
    let stx = c.tx(
        &user(0),
        Call::BurnForCredits {
            amount: 5_000,
            to: addr(&user(0)),
        },
    );
    c.ok(stx);
    let next = burn_epoch + 1;
    c.finish_epoch(next);
    let allowance = |c: &Chain, epoch: u64, share: u32| {
        schedule::allowance_at(&Overlay::new(&c.store), &params, epoch, share).unwrap()
    };
    let schedule_part = |epoch: u64, share: u32| g.emission.network_allowance(epoch, share);
    // The burn's epoch mints only the schedule (nothing was burned before it);
    // the next mints its share of the burn again, capped at 3,000 of 5,000.
    assert_eq!(
        schedule::reminted_at(&Overlay::new(&c.store), &params, burn_epoch).unwrap(),
        0
    );
    assert_eq!(
        schedule::reminted_at(&Overlay::new(&c.store), &params, next).unwrap(),
        CAP
    );
    assert_eq!(
        allowance(&c, burn_epoch, SHARE_BPS),
        schedule_part(burn_epoch, SHARE_BPS)
    );
    let allowed = schedule_part(next, SHARE_BPS) + CAP * u64::from(SHARE_BPS) / 10_000;
    assert_eq!(allowance(&c, next, SHARE_BPS), allowed);
    // A manifest one unit past it is refused; one of exactly it is taken.
    let over = entries(&[addr(&user(0))], &[allowed + 1]);
    let stx = c.tx(
        &user(2),
        submit_call(&manifest_header(NETWORK, next, &over), &[0, 1]),
    );
    c.reject(
        stx,
        TxError::OverEmission {
            total: allowed + 1,
            allowed,
        },
    );
    let before = supply_record(&c.store);
    let es = entries(&[addr(&user(0))], &[allowed]);
    let stx = c.tx(
        &user(2),
        submit_call(&manifest_header(NETWORK, next, &es), &[0, 1]),
    );
    c.ok(stx);
    let after = supply_record(&c.store);
    assert_eq!(after.minted, before.minted + allowed);
    assert_eq!(after.unclaimed, before.unclaimed + allowed);
    // The treasury's share of the re-mint came in the first block after the epoch.
    let treasury = schedule_part(next, 1_000) + CAP / 10;
    let rec = credits::epoch_supply(&Overlay::new(&c.store), next).unwrap();
    assert_eq!(rec.minted, treasury + allowed);
    // Over the whole chain the supply stays under genesis plus the schedule: what
    // was minted again had been burned.
    let scheduled: u64 = (0..=next).map(|e| g.emission.per_epoch(e)).sum();
    assert!(after.total().unwrap() <= after.genesis + scheduled);
    assert_eq!(after.burned, 5_000);
}
