//! Governance: positions (lock, extend, split, unlock, withdraw), voting power and
//! its totals, delegation, proposals, deposits, votes and tallies, each path and
//! each refusal; a property that no sequence of governance calls creates or
//! destroys tokens or lets the power totals or a tally drift from what the
//! positions and votes say.

use crate::common::*;
use plinth_core::{Address, Keypair};
use plinth_ledger::credits;
use plinth_ledger::governance::positions::{self, PowerTotals};
use plinth_ledger::governance::{
    proposals, tally, treasury_address, Action, Counted, GovCounters, Lock, Position, Proposal,
    ProposalStatus, Tally, VoteOption,
};
use plinth_ledger::state::MemStore;
use plinth_ledger::{keys, Call, Overlay, SigCheck, SignedTx, TxError};
use proptest::prelude::*;
use std::collections::BTreeMap;

const LOCK: u64 = 10;

fn gchain(users: u8) -> Chain {
    Chain::from_genesis(genesis_with_governance(users))
}

/// Raw power of `amount` locked for `blocks` (or with `blocks` of cooldown left).
fn pw(amount: u64, blocks: u64) -> u128 {
    u128::from(amount) * u128::from(GOV_MULTIPLIER_BPS) * u128::from(blocks)
}

fn position(c: &Chain, id: u64) -> Option<Position> {
    positions::load(&Overlay::new(&c.store), id).unwrap()
}

fn proposal(c: &Chain, id: u64) -> Proposal {
    proposals::load(&Overlay::new(&c.store), id)
        .unwrap()
        .expect("proposal exists")
}

fn totals(c: &Chain) -> PowerTotals {
    positions::totals(&Overlay::new(&c.store)).unwrap()
}

fn owner_power(c: &Chain, a: &Address, h: u64) -> u128 {
    positions::owner_power_at(&Overlay::new(&c.store), &gov_params(), a, h).unwrap()
}

fn counted(c: &Chain, p: u64, owner: &Address) -> Option<Counted> {
    proposals::counted_of(&Overlay::new(&c.store), p, owner).unwrap()
}

fn lock_call(amount: u64, lock_blocks: u64) -> Call {
    Call::GovLock {
        amount,
        lock_blocks,
    }
}

/// Locks `amount` for `lock_blocks` from `k`; returns the new position's id.
fn lock(c: &mut Chain, k: &Keypair, amount: u64, lock_blocks: u64) -> u64 {
    let stx = c.tx(k, lock_call(amount, lock_blocks));
    c.ok(stx);
    *positions::of_owner(&Overlay::new(&c.store), &addr(k))
        .unwrap()
        .last()
        .unwrap()
}

/// An action every proposal may carry.
fn harmless() -> Action {
    Action::SetEmissionTail {
        tail_per_epoch: 20_000,
    }
}

fn propose_call(deposit: u64, execute_height: Option<u64>) -> Call {
    Call::GovPropose {
        actions: vec![harmless()],
        description: "set the tail".into(),
        deposit,
        execute_height,
    }
}

/// `k` proposes with `deposit`; returns the proposal's id.
fn propose(c: &mut Chain, k: &Keypair, deposit: u64) -> u64 {
    let stx = c.tx(k, propose_call(deposit, None));
    c.ok(stx);
    *proposals::active(&Overlay::new(&c.store))
        .unwrap()
        .last()
        .unwrap()
}

fn deposit_call(proposal: u64, amount: u64) -> Call {
    Call::GovDeposit { proposal, amount }
}

fn vote_call(proposal: u64, option: VoteOption) -> Call {
    Call::GovVote { proposal, option }
}

fn vote(c: &mut Chain, k: &Keypair, p: u64, option: VoteOption) {
    let stx = c.tx(k, vote_call(p, option));
    c.ok(stx);
}

/// Every position in state.
fn all_positions(store: &MemStore) -> Vec<Position> {
    store
        .scan(keys::GOV_POSITION_PREFIX)
        .iter()
        .map(|(_, v)| borsh::from_slice(v).unwrap())
        .collect()
}

/// Every proposal in state.
fn all_proposals(store: &MemStore) -> Vec<Proposal> {
    store
        .scan(keys::GOV_PROPOSAL_PREFIX)
        .iter()
        .map(|(_, v)| borsh::from_slice(v).unwrap())
        .collect()
}

/// The power totals equal the sums over the positions at the end of block `h`,
/// field by field, and so does the total power; every cooldown still counted
/// has its end in a bucket of a later height.
fn check_power_totals(store: &MemStore, h: u64) {
    let gov = gov_params();
    let mut want = PowerTotals::default();
    let mut power = 0u128;
    let mut buckets: BTreeMap<u64, (u128, u128)> = BTreeMap::new();
    for p in all_positions(store) {
        let amount = u128::from(p.amount);
        want.tokens += amount;
        power += positions::power(&p, h, &gov);
        match p.lock {
            Lock::Locked => want.locked += amount * u128::from(p.lock_blocks),
            Lock::Cooling { end_height } if end_height > h => {
                want.cooling_amount += amount;
                want.cooling_end += amount * u128::from(end_height);
                let b = buckets.entry(end_height).or_default();
                b.0 += amount;
                b.1 += amount * u128::from(end_height);
            }
            Lock::Cooling { .. } => {}
        }
    }
    let t = positions::totals(&Overlay::new(store)).unwrap();
    assert_eq!(t, want, "power totals at height {h}");
    assert_eq!(positions::total_power_at(&t, &gov, h), power);
    let stored: BTreeMap<u64, (u128, u128)> = store
        .scan(b"gexp/")
        .iter()
        .map(|(k, v)| {
            let height = u64::from_be_bytes(k[5..].try_into().unwrap());
            (height, borsh::from_slice(v).unwrap())
        })
        .collect();
    assert_eq!(stored, buckets, "cooldown buckets at height {h}");
}

/// Every tally in a voting period equals the counted power recomputed from
/// scratch: each owner's power at the voting end under its own vote, else its
/// delegate's.
fn check_tallies(store: &MemStore) {
    let gov = gov_params();
    let state = Overlay::new(store);
    let owners: Vec<Address> = store
        .scan(b"gown/")
        .iter()
        .map(|(k, _)| Address(plinth_core::PublicKey(k[5..].try_into().unwrap())))
        .collect();
    for p in all_proposals(store) {
        if p.status != ProposalStatus::Voting {
            continue;
        }
        let end = p.voting_end.unwrap();
        let mut want = Tally::default();
        for o in &owners {
            let power = positions::owner_power_at(&state, &gov, o, end).unwrap();
            let own = proposals::vote_of(&state, p.id, o).unwrap();
            let delegated = match positions::delegate_of(&state, o).unwrap() {
                Some(d) => proposals::vote_of(&state, p.id, &d).unwrap(),
                None => None,
            };
            match own.or(delegated).map(|v| v.option) {
                Some(VoteOption::Yes) => want.yes += power,
                Some(VoteOption::No) => want.no += power,
                Some(VoteOption::Abstain) => want.abstain += power,
                Some(VoteOption::Veto) => want.veto += power,
                None => {}
            }
        }
        assert_eq!(p.tally, want, "tally of proposal {}", p.id);
        let voters = store.scan(&keys::gov_vote_prefix(p.id)).len() as u64;
        assert_eq!(p.voters, voters);
    }
}

/// Tokens held in escrow by governance: positions and open proposals' deposits.
fn escrow(store: &MemStore) -> u64 {
    let positions: u64 = all_positions(store).iter().map(|p| p.amount).sum();
    let deposits: u64 = all_proposals(store)
        .iter()
        .filter(|p| {
            matches!(
                p.status,
                ProposalStatus::DepositPeriod | ProposalStatus::Voting
            )
        })
        .map(|p| p.total_deposit)
        .sum();
    positions + deposits
}

fn check_supply(store: &MemStore) {
    let s = supply_record(store);
    assert_eq!(
        u128::from(supply(store) + escrow(store) + s.unclaimed),
        u128::from(s.genesis + s.minted - s.burned),
        "tokens appeared or vanished outside the supply record"
    );
    let t = positions::totals(&Overlay::new(store)).unwrap();
    let held: u64 = all_positions(store).iter().map(|p| p.amount).sum();
    assert_eq!(t.tokens, u128::from(held));
}

fn check_all(c: &Chain) {
    check_power_totals(&c.store, c.height());
    check_tallies(&c.store);
    check_supply(&c.store);
}

#[test]
fn a_chain_without_governance_refuses_every_governance_call() {
    let mut c = Chain::new(1);
    let u = user(0);
    c.reject(c.tx(&u, lock_call(100, LOCK)), TxError::NoGovernance);
    c.reject(
        c.tx(&u, vote_call(0, VoteOption::Yes)),
        TxError::NoGovernance,
    );
    c.reject(c.tx(&u, propose_call(10, None)), TxError::NoGovernance);
    assert!(c.store.scan(b"gov/").is_empty());
}

#[test]
fn lock_debits_the_balance_and_counts_power() {
    let mut c = gchain(2);
    let u = user(0);
    let a = addr(&u);
    c.reject(c.tx(&u, lock_call(0, LOCK)), TxError::ZeroAmount);
    c.reject(
        c.tx(&u, lock_call(100, GOV_MIN_LOCK - 1)),
        TxError::LockTooShort {
            min: GOV_MIN_LOCK,
            found: GOV_MIN_LOCK - 1,
        },
    );
    c.reject(
        c.tx(&u, lock_call(100, GOV_MAX_LOCK + 1)),
        TxError::LockTooLong {
            max: GOV_MAX_LOCK,
            found: GOV_MAX_LOCK + 1,
        },
    );
    c.reject(
        c.tx(&u, lock_call(INITIAL_BALANCE, LOCK)),
        TxError::InsufficientFunds {
            needed: INITIAL_BALANCE + FEE,
            available: INITIAL_BALANCE,
        },
    );
    let id = lock(&mut c, &u, 1_000, LOCK);
    assert_eq!(id, 0);
    assert_eq!(c.balance(&a), INITIAL_BALANCE - 1_000 - FEE);
    assert_eq!(
        position(&c, 0).unwrap(),
        Position {
            id: 0,
            owner: a,
            amount: 1_000,
            lock_blocks: LOCK,
            lock: Lock::Locked,
            created_height: c.height(),
        }
    );
    assert_eq!(
        totals(&c),
        PowerTotals {
            locked: 1_000 * u128::from(LOCK),
            cooling_amount: 0,
            cooling_end: 0,
            tokens: 1_000,
        }
    );
    // A locked position's power does not run down.
    assert_eq!(owner_power(&c, &a, c.height() + 1_000), pw(1_000, LOCK));
    // 1,000 tokens for a tenth of the longest lock at 2×: 200 for people.
    assert_eq!(
        positions::display_power(pw(1_000, LOCK), &gov_params()),
        200
    );
    check_all(&c);

    // Sixteen positions at most.
    let n = c.nonce(&u);
    let txs = (0..15)
        .map(|i| tx(&u, n + i, FEE, lock_call(10, LOCK)))
        .collect();
    assert!(c.block(txs).iter().all(|r| r.is_ok()));
    assert_eq!(
        positions::of_owner(&Overlay::new(&c.store), &a)
            .unwrap()
            .len(),
        16
    );
    c.reject(
        c.tx(&u, lock_call(10, LOCK)),
        TxError::TooManyPositions { limit: 16 },
    );
    c.reject(
        c.tx(
            &u,
            Call::GovSplit {
                position: 0,
                amount: 1,
            },
        ),
        TxError::TooManyPositions { limit: 16 },
    );
    // Another account is not limited by it.
    lock(&mut c, &user(1), 10, LOCK);
    check_all(&c);
}

#[test]
fn extend_lengthens_a_lock_or_locks_a_cooldown_again() {
    let mut c = gchain(2);
    let (u, other) = (user(0), user(1));
    let id = lock(&mut c, &u, 1_000, LOCK);
    let extend = |lock_blocks| Call::GovExtend {
        position: id,
        lock_blocks,
    };
    c.reject(
        c.tx(&u, extend(LOCK)),
        TxError::LockNotExtended {
            current: LOCK,
            found: LOCK,
        },
    );
    c.reject(
        c.tx(&u, extend(GOV_MAX_LOCK + 1)),
        TxError::LockTooLong {
            max: GOV_MAX_LOCK,
            found: GOV_MAX_LOCK + 1,
        },
    );
    c.reject(c.tx(&other, extend(20)), TxError::NotPositionOwner { id });
    c.reject(
        c.tx(
            &u,
            Call::GovExtend {
                position: 9,
                lock_blocks: 20,
            },
        ),
        TxError::UnknownPosition { id: 9 },
    );
    c.ok(c.tx(&u, extend(20)));
    assert_eq!(position(&c, id).unwrap().lock_blocks, 20);
    assert_eq!(totals(&c).locked, 20_000);
    check_all(&c);

    // Cooling: the new lock must cover the blocks left.
    c.ok(c.tx(&u, Call::GovUnlock { position: id }));
    let end = c.height() + 20;
    assert_eq!(
        position(&c, id).unwrap().lock,
        Lock::Cooling { end_height: end }
    );
    c.advance_to(end - 6);
    // The next block is end − 5: five blocks left.
    c.reject(
        c.tx(&u, extend(4)),
        TxError::LockNotExtended {
            current: 5,
            found: 4,
        },
    );
    c.ok(c.tx(&u, extend(5)));
    let p = position(&c, id).unwrap();
    assert_eq!((p.lock, p.lock_blocks), (Lock::Locked, 5));
    assert_eq!(
        totals(&c),
        PowerTotals {
            locked: 5_000,
            cooling_amount: 0,
            cooling_end: 0,
            tokens: 1_000,
        }
    );
    check_all(&c);

    // With fewer blocks left than the shortest lock, the shortest lock is needed.
    c.ok(c.tx(&u, Call::GovUnlock { position: id }));
    let end = c.height() + 5;
    c.advance_to(end - 2);
    c.reject(
        c.tx(&u, extend(1)),
        TxError::LockNotExtended {
            current: 1,
            found: 1,
        },
    );
    c.ok(c.tx(&u, extend(GOV_MIN_LOCK)));
    assert_eq!(position(&c, id).unwrap().lock_blocks, GOV_MIN_LOCK);
    check_all(&c);
    // Past the end (nothing left), locked again for at least the shortest lock.
    c.ok(c.tx(&u, Call::GovUnlock { position: id }));
    let end = c.height() + GOV_MIN_LOCK;
    c.advance_to(end + 1);
    check_all(&c);
    c.ok(c.tx(&u, extend(3)));
    assert_eq!(position(&c, id).unwrap().lock, Lock::Locked);
    check_all(&c);
}

#[test]
fn split_moves_tokens_into_a_position_with_the_same_lock() {
    let mut c = gchain(2);
    let u = user(0);
    let id = lock(&mut c, &u, 1_000, LOCK);
    for amount in [0, 1_000, 1_001] {
        c.reject(
            c.tx(
                &u,
                Call::GovSplit {
                    position: id,
                    amount,
                },
            ),
            TxError::BadSplit {
                id,
                amount,
                held: 1_000,
            },
        );
    }
    c.reject(
        c.tx(
            &user(1),
            Call::GovSplit {
                position: id,
                amount: 1,
            },
        ),
        TxError::NotPositionOwner { id },
    );
    let before = totals(&c);
    c.ok(c.tx(
        &u,
        Call::GovSplit {
            position: id,
            amount: 300,
        },
    ));
    let new = position(&c, 1).unwrap();
    assert_eq!(
        (new.owner, new.amount, new.lock_blocks, new.lock),
        (addr(&u), 300, LOCK, Lock::Locked)
    );
    assert_eq!(position(&c, id).unwrap().amount, 700);
    assert_eq!(totals(&c), before);

    // A cooling position splits into one cooling to the same end.
    c.ok(c.tx(&u, Call::GovUnlock { position: id }));
    let end = c.height() + LOCK;
    c.block(vec![]);
    let before = totals(&c);
    c.ok(c.tx(
        &u,
        Call::GovSplit {
            position: id,
            amount: 200,
        },
    ));
    let new = position(&c, 2).unwrap();
    assert_eq!(
        (new.amount, new.lock),
        (200, Lock::Cooling { end_height: end })
    );
    assert_eq!(totals(&c), before);
    check_all(&c);
    c.advance_to(end);
    check_all(&c);
    assert_eq!(totals(&c).cooling_amount, 0);
}

#[test]
fn unlock_then_withdraw_after_the_cooldown() {
    let mut c = gchain(2);
    let u = user(0);
    let a = addr(&u);
    let id = lock(&mut c, &u, 1_000, 4);
    c.reject(
        c.tx(&u, Call::GovWithdraw { position: id }),
        TxError::PositionLocked { id },
    );
    c.ok(c.tx(&u, Call::GovUnlock { position: id }));
    let end = c.height() + 4;
    assert_eq!(
        position(&c, id).unwrap().lock,
        Lock::Cooling { end_height: end }
    );
    c.reject(
        c.tx(&u, Call::GovUnlock { position: id }),
        TxError::PositionCooling { id },
    );
    c.reject(
        c.tx(&user(1), Call::GovWithdraw { position: id }),
        TxError::NotPositionOwner { id },
    );
    // The reject above was at end − 2; the next block is end − 1.
    assert_eq!(c.height(), end - 2);
    c.reject(
        c.tx(&u, Call::GovWithdraw { position: id }),
        TxError::PositionNotMatured {
            id,
            end_height: end,
        },
    );
    let balance = c.balance(&a);
    c.ok(c.tx(&u, Call::GovWithdraw { position: id }));
    assert_eq!(c.height(), end);
    assert_eq!(c.balance(&a), balance + 1_000 - FEE);
    assert_eq!(position(&c, id), None);
    assert!(positions::of_owner(&Overlay::new(&c.store), &a)
        .unwrap()
        .is_empty());
    assert_eq!(totals(&c), PowerTotals::default());
    assert!(c.store.scan(b"gexp/").is_empty());
    assert!(c.store.scan(b"gown/").is_empty());
    c.reject(
        c.tx(&u, Call::GovWithdraw { position: id }),
        TxError::UnknownPosition { id },
    );
    check_all(&c);
}

#[test]
fn power_decays_to_zero_exactly_at_the_end_of_the_cooldown() {
    let mut c = gchain(2);
    let u = user(0);
    let a = addr(&u);
    let id = lock(&mut c, &u, 1_000, 4);
    c.ok(c.tx(&u, Call::GovUnlock { position: id }));
    let end = c.height() + 4;
    // At the unlocking block the power is still the locked power.
    assert_eq!(owner_power(&c, &a, c.height()), pw(1_000, 4));
    let gov = gov_params();
    for (h, left) in [(end - 1, 1), (end, 0), (end + 1, 0)] {
        c.advance_to(h);
        let p = position(&c, id).unwrap();
        assert_eq!(positions::power(&p, h, &gov), pw(1_000, left), "at {h}");
        assert_eq!(
            positions::total_power_at(&totals(&c), &gov, h),
            pw(1_000, left)
        );
        check_all(&c);
    }
    // The cooldown left the totals at the end of its last block.
    assert_eq!(
        totals(&c),
        PowerTotals {
            tokens: 1_000,
            ..PowerTotals::default()
        }
    );
}

#[test]
fn withdraw_extend_and_split_in_the_block_a_cooldown_ends() {
    let mut c = gchain(4);
    let ids: Vec<u64> = (0..4).map(|i| lock(&mut c, &user(i), 1_000, 3)).collect();
    let unlocks = (0..4)
        .map(|i| {
            c.tx(
                &user(i),
                Call::GovUnlock {
                    position: ids[i as usize],
                },
            )
        })
        .collect();
    assert!(c.block(unlocks).iter().all(|r| r.is_ok()));
    let end = c.height() + 3;
    c.advance_to(end - 1);
    check_all(&c);
    // In block `end`, the bucket's own height: each call takes its position out
    // of the totals and the bucket; the rest of the bucket leaves at the end.
    let txs = vec![
        c.tx(&user(0), Call::GovWithdraw { position: ids[0] }),
        c.tx(
            &user(1),
            Call::GovExtend {
                position: ids[1],
                lock_blocks: GOV_MIN_LOCK,
            },
        ),
        c.tx(
            &user(2),
            Call::GovSplit {
                position: ids[2],
                amount: 400,
            },
        ),
    ];
    assert!(c.block(txs).iter().all(|r| r.is_ok()));
    assert_eq!(c.height(), end);
    check_all(&c);
    assert_eq!(
        totals(&c),
        PowerTotals {
            locked: 1_000 * u128::from(GOV_MIN_LOCK),
            cooling_amount: 0,
            cooling_end: 0,
            tokens: 3_000,
        }
    );
    // One block later the bucket is gone: the same calls find nothing to take out.
    let txs = vec![
        c.tx(
            &user(3),
            Call::GovSplit {
                position: ids[3],
                amount: 1,
            },
        ),
        c.tx(&user(2), Call::GovWithdraw { position: ids[2] }),
    ];
    assert!(c.block(txs).iter().all(|r| r.is_ok()));
    c.ok(c.tx(
        &user(3),
        Call::GovExtend {
            position: ids[3],
            lock_blocks: 5,
        },
    ));
    check_all(&c);
    c.replay();
}

#[test]
fn delegated_power_follows_the_delegate_unless_the_delegator_votes() {
    let mut c = gchain(6);
    // Long locks, so that an unlock during the vote still has power at its end.
    const L: u64 = 30;
    let (a, b, cc, prop, d) = (user(0), user(1), user(2), user(3), user(4));
    lock(&mut c, &a, 1_000, L);
    lock(&mut c, &b, 500, L);
    lock(&mut c, &cc, 100, L);
    lock(&mut c, &d, 200, L);
    c.reject(
        c.tx(&a, Call::GovDelegate { to: Some(addr(&a)) }),
        TxError::SelfDelegation,
    );
    c.ok(c.tx(&a, Call::GovDelegate { to: Some(addr(&b)) }));
    let s = Overlay::new(&c.store);
    assert_eq!(
        positions::delegate_of(&s, &addr(&a)).unwrap(),
        Some(addr(&b))
    );
    assert_eq!(
        positions::delegators_of(&s, &addr(&b)).unwrap(),
        vec![addr(&a)]
    );

    let p = propose(&mut c, &prop, GOV_MIN_DEPOSIT);
    assert_eq!(proposal(&c, p).status, ProposalStatus::Voting);
    // The proposer has no power of its own and nobody delegates to it.
    c.reject(
        c.tx(&prop, vote_call(p, VoteOption::Yes)),
        TxError::NoVotingPower,
    );

    vote(&mut c, &b, p, VoteOption::Yes);
    assert_eq!(proposal(&c, p).tally.yes, pw(1_500, L));
    assert_eq!(
        counted(&c, p, &addr(&a)),
        Some(Counted {
            voter: addr(&b),
            option: VoteOption::Yes,
            power: pw(1_000, L)
        })
    );
    check_all(&c);
    // The delegator votes itself: its power leaves the delegate's vote.
    vote(&mut c, &a, p, VoteOption::No);
    let t = proposal(&c, p).tally;
    assert_eq!((t.yes, t.no), (pw(500, L), pw(1_000, L)));
    assert_eq!(counted(&c, p, &addr(&a)).unwrap().voter, addr(&a));
    // And changes its vote.
    vote(&mut c, &a, p, VoteOption::Abstain);
    let t = proposal(&c, p).tally;
    assert_eq!((t.yes, t.no, t.abstain), (pw(500, L), 0, pw(1_000, L)));
    // The delegate's change does not move a delegator that voted.
    vote(&mut c, &b, p, VoteOption::Veto);
    let t = proposal(&c, p).tally;
    assert_eq!((t.yes, t.abstain, t.veto), (0, pw(1_000, L), pw(500, L)));
    assert_eq!(proposal(&c, p).voters, 2);
    check_all(&c);

    // A position changed during the vote moves the owner's counted power.
    lock(&mut c, &a, 1_000, L);
    assert_eq!(proposal(&c, p).tally.abstain, pw(2_000, L));
    // Delegating during the vote counts under the delegate's vote at once...
    c.ok(c.tx(&d, Call::GovDelegate { to: Some(addr(&b)) }));
    assert_eq!(proposal(&c, p).tally.veto, pw(700, L));
    // ...moving to a delegate that has not voted counts nowhere...
    c.ok(c.tx(
        &d,
        Call::GovDelegate {
            to: Some(addr(&cc)),
        },
    ));
    assert_eq!(proposal(&c, p).tally.veto, pw(500, L));
    assert_eq!(counted(&c, p, &addr(&d)), None);
    // ...until it votes.
    vote(&mut c, &cc, p, VoteOption::Yes);
    assert_eq!(proposal(&c, p).tally.yes, pw(300, L));
    c.ok(c.tx(&d, Call::GovDelegate { to: None }));
    assert_eq!(proposal(&c, p).tally.yes, pw(100, L));
    assert!(
        positions::delegators_of(&Overlay::new(&c.store), &addr(&cc))
            .unwrap()
            .is_empty()
    );
    // Unlocking during the vote counts the power left at the voting end.
    let end = proposal(&c, p).voting_end.unwrap();
    let id = positions::of_owner(&Overlay::new(&c.store), &addr(&b)).unwrap()[0];
    c.ok(c.tx(&b, Call::GovUnlock { position: id }));
    let left = c.height() + L - end;
    assert_eq!(proposal(&c, p).tally.veto, pw(500, left));
    check_all(&c);
    c.advance_to(end);
    let done = proposal(&c, p);
    assert_eq!(done.total_power, Some(pw(2_300, L) + pw(500, left)));
    assert_eq!(done.status, ProposalStatus::Rejected);
    c.replay();
}

#[test]
fn a_delegate_takes_at_most_256_delegators() {
    let keys: Vec<Keypair> = (0..257u32)
        .map(|i| {
            let mut seed = [0x77; 32];
            seed[..4].copy_from_slice(&i.to_le_bytes());
            Keypair::from_seed(seed)
        })
        .collect();
    let mut g = genesis_with_governance(1);
    g.accounts
        .extend(keys.iter().map(|k| plinth_ledger::genesis::GenesisAccount {
            address: addr(k),
            balance: 1_000,
        }));
    let mut c = Chain::from_genesis(g);
    c.sigs = SigCheck::Trusted;
    let to = Some(addr(&user(0)));
    let txs = keys[..256]
        .iter()
        .map(|k| tx(k, 0, FEE, Call::GovDelegate { to }))
        .collect();
    assert!(c.block(txs).iter().all(|r| r.is_ok()));
    c.reject(
        tx(&keys[256], 0, FEE, Call::GovDelegate { to }),
        TxError::TooManyDelegators {
            delegate: addr(&user(0)).to_string(),
            limit: 256,
        },
    );
    // One leaving makes room.
    c.ok(tx(&keys[0], 1, FEE, Call::GovDelegate { to: None }));
    c.ok(tx(&keys[256], 0, FEE, Call::GovDelegate { to }));
}

#[test]
fn a_vote_changed_before_the_end_counts_as_changed() {
    let mut c = gchain(3);
    let (v, prop) = (user(0), user(1));
    lock(&mut c, &v, 1_000, LOCK);
    let p = propose(&mut c, &prop, GOV_MIN_DEPOSIT);
    let end = proposal(&c, p).voting_end.unwrap();
    assert_eq!(end, c.height() + GOV_VOTING_BLOCKS);
    vote(&mut c, &v, p, VoteOption::Yes);
    c.advance_to(end - 1);
    assert_eq!(proposal(&c, p).tally.yes, pw(1_000, LOCK));
    // A vote in the last block counts.
    vote(&mut c, &v, p, VoteOption::No);
    assert_eq!(c.height(), end);
    let done = proposal(&c, p);
    assert_eq!(done.status, ProposalStatus::Rejected);
    assert_eq!(
        done.tally,
        Tally {
            no: pw(1_000, LOCK),
            ..Tally::default()
        }
    );
    assert_eq!((done.voters, done.total_power), (1, Some(pw(1_000, LOCK))));
    assert!(proposals::active(&Overlay::new(&c.store))
        .unwrap()
        .is_empty());
    c.reject(
        c.tx(&v, vote_call(p, VoteOption::Yes)),
        TxError::NotInVotingPeriod { id: p },
    );
}

#[test]
fn votes_refused_outside_the_voting_period_or_without_power() {
    let mut c = gchain(3);
    let (v, prop, none) = (user(0), user(1), user(2));
    lock(&mut c, &v, 1_000, LOCK);
    c.reject(
        c.tx(&v, vote_call(7, VoteOption::Yes)),
        TxError::UnknownProposal { id: 7 },
    );
    let p = propose(&mut c, &prop, GOV_MIN_DEPOSIT - 1);
    assert_eq!(proposal(&c, p).status, ProposalStatus::DepositPeriod);
    c.reject(
        c.tx(&v, vote_call(p, VoteOption::Yes)),
        TxError::NotInVotingPeriod { id: p },
    );
    c.ok(c.tx(&prop, deposit_call(p, 1)));
    c.reject(
        c.tx(&none, vote_call(p, VoteOption::Yes)),
        TxError::NoVotingPower,
    );
    // Power that is gone by the voting end does not vote.
    let id = lock(&mut c, &none, 1_000, GOV_MIN_LOCK);
    c.ok(c.tx(&none, Call::GovUnlock { position: id }));
    c.reject(
        c.tx(&none, vote_call(p, VoteOption::Yes)),
        TxError::NoVotingPower,
    );
    vote(&mut c, &v, p, VoteOption::Yes);
}

#[test]
fn proposals_refused_with_the_reason() {
    let mut c = gchain(2);
    let u = user(0);
    let with =
        |actions: Vec<Action>, description: &str, deposit, execute_height| Call::GovPropose {
            actions,
            description: description.into(),
            deposit,
            execute_height,
        };
    let long = "x".repeat(GOV_MAX_DESCRIPTION as usize + 1);
    c.reject(
        c.tx(&u, with(vec![harmless()], &long, 10, None)),
        TxError::DescriptionTooLong {
            size: u64::from(GOV_MAX_DESCRIPTION) + 1,
            limit: u64::from(GOV_MAX_DESCRIPTION),
        },
    );
    c.reject(
        c.tx(&u, with(vec![], "none", 10, None)),
        TxError::BadActionCount { count: 0, limit: 3 },
    );
    c.reject(
        c.tx(&u, with(vec![harmless(); 4], "four", 10, None)),
        TxError::BadActionCount { count: 4, limit: 3 },
    );
    let out_of_bounds = Action::SetEmissionTail {
        tail_per_epoch: GOV_TAIL_BOUNDS.max + 1,
    };
    let r = c.one(c.tx(&u, with(vec![harmless(), out_of_bounds], "bad", 10, None)));
    assert!(
        matches!(&r.error, Some(TxError::ActionRefused { index: 1, error }) if matches!(**error, TxError::OutOfBounds { .. })),
        "{:?}",
        r.error
    );
    c.reject(
        c.tx(&u, with(vec![harmless()], "zero", 0, None)),
        TxError::ZeroAmount,
    );
    let now = c.height() + 1;
    c.reject(
        c.tx(&u, propose_call(10, Some(now))),
        TxError::BadExecuteHeight {
            voting_end: now + GOV_VOTING_BLOCKS,
            found: now,
        },
    );
    for _ in 0..GOV_MAX_ACTIVE {
        propose(&mut c, &u, 10);
    }
    c.reject(
        c.tx(&u, propose_call(10, None)),
        TxError::TooManyActiveProposals { limit: 3 },
    );
    check_all(&c);
}

#[test]
fn deposits_open_the_vote_in_their_block() {
    let mut c = gchain(3);
    let (prop, dep, v) = (user(0), user(1), user(2));
    lock(&mut c, &v, 1_000, LOCK);
    let p = propose(&mut c, &prop, 400);
    let submitted = c.height();
    let q = proposal(&c, p);
    assert_eq!(
        (
            q.status.clone(),
            q.deposit_end,
            q.voting_end,
            q.total_deposit
        ),
        (
            ProposalStatus::DepositPeriod,
            submitted + GOV_DEPOSIT_BLOCKS,
            None,
            400
        )
    );
    c.reject(c.tx(&dep, deposit_call(p, 0)), TxError::ZeroAmount);
    c.reject(
        c.tx(&dep, deposit_call(5, 1)),
        TxError::UnknownProposal { id: 5 },
    );
    c.ok(c.tx(&dep, deposit_call(p, 300)));
    assert_eq!(proposal(&c, p).status, ProposalStatus::DepositPeriod);
    // The deposit reaching the minimum opens the vote: a vote later in the same
    // block counts.
    let txs = vec![
        c.tx(&dep, deposit_call(p, 300)),
        c.tx(&v, vote_call(p, VoteOption::Yes)),
    ];
    assert!(c.block(txs).iter().all(|r| r.is_ok()));
    let h = c.height();
    let q = proposal(&c, p);
    assert_eq!(q.status, ProposalStatus::Voting);
    assert_eq!(
        (q.voting_start, q.voting_end),
        (Some(h), Some(h + GOV_VOTING_BLOCKS))
    );
    assert_eq!(q.deposits, vec![(addr(&prop), 400), (addr(&dep), 600)]);
    assert_eq!(q.total_deposit, 1_000);
    assert_eq!(q.tally.yes, pw(1_000, LOCK));
    c.reject(
        c.tx(&dep, deposit_call(p, 1)),
        TxError::NotInDepositPeriod { id: p },
    );
    check_all(&c);
    // Passed: deposits come back.
    let (b0, b1) = (c.balance(&addr(&prop)), c.balance(&addr(&dep)));
    c.advance_to(h + GOV_VOTING_BLOCKS);
    assert_eq!(
        proposal(&c, p).status,
        ProposalStatus::Executed { height: c.height() }
    );
    assert_eq!(c.balance(&addr(&prop)), b0 + 400);
    assert_eq!(c.balance(&addr(&dep)), b1 + 600);
    check_all(&c);
}

#[test]
fn a_proposal_takes_deposits_from_at_most_64_accounts() {
    let mut c = gchain(66);
    c.sigs = SigCheck::Trusted;
    let p = propose(&mut c, &user(0), 1);
    let txs = (1..64)
        .map(|i| c.tx(&user(i), deposit_call(p, 1)))
        .collect();
    assert!(c.block(txs).iter().all(|r| r.is_ok()));
    assert_eq!(proposal(&c, p).deposits.len(), 64);
    c.reject(
        c.tx(&user(64), deposit_call(p, 1)),
        TxError::TooManyDepositors { limit: 64 },
    );
    // A depositor adds to its own entry.
    c.ok(c.tx(&user(1), deposit_call(p, 5)));
    let q = proposal(&c, p);
    assert_eq!(
        (q.deposits.len(), q.deposits[1], q.total_deposit),
        (64, (addr(&user(1)), 6), 69)
    );
}

#[test]
fn a_lapsed_proposal_returns_its_deposits() {
    let mut c = gchain(2);
    let (prop, dep) = (user(0), user(1));
    let p = propose(&mut c, &prop, 400);
    let end = proposal(&c, p).deposit_end;
    c.ok(c.tx(&dep, deposit_call(p, 100)));
    let (b0, b1) = (c.balance(&addr(&prop)), c.balance(&addr(&dep)));
    c.advance_to(end - 1);
    assert_eq!(proposal(&c, p).status, ProposalStatus::DepositPeriod);
    check_all(&c);
    // A deposit in the last block is still taken.
    c.ok(c.tx(&dep, deposit_call(p, 1)));
    assert_eq!(c.height(), end);
    assert_eq!(proposal(&c, p).status, ProposalStatus::Lapsed);
    assert_eq!(c.balance(&addr(&prop)), b0 + 400);
    assert_eq!(c.balance(&addr(&dep)), b1 + 100 - FEE);
    assert!(proposals::active(&Overlay::new(&c.store))
        .unwrap()
        .is_empty());
    c.reject(
        c.tx(&dep, deposit_call(p, 1)),
        TxError::NotInDepositPeriod { id: p },
    );
    check_all(&c);
}

/// Users `0..n` lock `amount` for `LOCK` each and vote as listed (none: abstain
/// from voting); user `n` proposes. Returns the chain at the voting end, the
/// proposal, and the proposer's balance before its deposit came back or burned.
fn outcome_of(votes: &[(u64, Option<VoteOption>)]) -> (Chain, Proposal, u64) {
    let n = votes.len() as u8;
    let mut c = gchain(n + 1);
    c.sigs = SigCheck::Trusted;
    let locks = (0..n)
        .map(|i| c.tx(&user(i), lock_call(votes[i as usize].0, LOCK)))
        .collect();
    assert!(c.block(locks).iter().all(|r| r.is_ok()));
    let prop = user(n);
    let p = propose(&mut c, &prop, GOV_MIN_DEPOSIT);
    let txs = votes
        .iter()
        .enumerate()
        .filter_map(|(i, (_, v))| v.map(|v| c.tx(&user(i as u8), vote_call(p, v))))
        .collect();
    assert!(c.block(txs).iter().all(|r| r.is_ok()));
    check_all(&c);
    let balance = c.balance(&addr(&prop));
    c.advance_to(proposal(&c, p).voting_end.unwrap());
    check_all(&c);
    let q = proposal(&c, p);
    (c, q, balance)
}

fn status_of(votes: &[(u64, Option<VoteOption>)]) -> ProposalStatus {
    outcome_of(votes).1.status
}

use VoteOption::{Abstain, No, Veto, Yes};

#[test]
fn quorum_at_its_boundary() {
    // 40% of the power must vote: 400 of 1,000 is exactly enough.
    assert_eq!(
        status_of(&[(399, Some(Yes)), (601, None)]),
        ProposalStatus::NoQuorum
    );
    assert_eq!(
        status_of(&[(400, Some(Yes)), (600, None)]),
        ProposalStatus::Executed {
            height: 2 + GOV_VOTING_BLOCKS
        }
    );
    assert_eq!(
        status_of(&[(401, Some(Abstain)), (599, None)]),
        ProposalStatus::Rejected
    );
}

#[test]
fn veto_at_its_boundary() {
    // Vetoed above 30% of the votes.
    assert!(matches!(
        status_of(&[(700, Some(Yes)), (300, Some(Veto))]),
        ProposalStatus::Executed { .. }
    ));
    assert_eq!(
        status_of(&[(699, Some(Yes)), (301, Some(Veto))]),
        ProposalStatus::Vetoed
    );
    assert!(matches!(
        status_of(&[(701, Some(Yes)), (299, Some(Veto))]),
        ProposalStatus::Executed { .. }
    ));
}

#[test]
fn threshold_at_its_boundary() {
    // Passed above 50% of yes + no + veto; abstain counts for quorum only.
    assert_eq!(
        status_of(&[(500, Some(Yes)), (500, Some(No)), (2_000, Some(Abstain))]),
        ProposalStatus::Rejected
    );
    assert!(matches!(
        status_of(&[(501, Some(Yes)), (499, Some(No)), (2_000, Some(Abstain))]),
        ProposalStatus::Executed { .. }
    ));
    assert_eq!(
        status_of(&[(499, Some(Yes)), (501, Some(No)), (2_000, Some(Abstain))]),
        ProposalStatus::Rejected
    );
    // No quorum at all when nobody holds power.
    assert_eq!(status_of(&[]), ProposalStatus::NoQuorum);
}

#[test]
fn the_tally_rules_are_exact_to_one_unit_of_power() {
    use ProposalStatus::{NoQuorum, Passed, Rejected, Vetoed};
    let gov = gov_params();
    // The same boundaries at small scale and where the products pass 2^128.
    for unit in [1u128, 1 << 114] {
        let u = |n: u128| n * unit;
        // (yes, no, abstain, veto), total power, outcome.
        let cases = [
            // Quorum 40% of the total power.
            ((u(4_000) - 1, 0, 0, 0), u(10_000), NoQuorum),
            ((u(4_000), 0, 0, 0), u(10_000), Passed),
            ((u(4_000), 0, 0, 0), u(10_000) + 1, NoQuorum),
            ((0, 0, 0, 0), 0, NoQuorum),
            // Veto above 30% of the votes.
            ((u(7_000), 0, 0, u(3_000)), u(10_000), Passed),
            ((u(7_000) - 1, 0, 0, u(3_000) + 1), u(10_000), Vetoed),
            // Threshold above 50% of yes + no + veto; abstain counts for quorum.
            ((u(5_000), u(5_000), 1, 0), u(10_000) + 1, Rejected),
            ((u(5_000) + 1, u(5_000), 0, 0), u(10_000) + 1, Passed),
            ((u(5_000), u(4_000), 0, u(1_000)), u(10_000), Rejected),
        ];
        for ((yes, no, abstain, veto), total, want) in cases {
            let t = Tally {
                yes,
                no,
                abstain,
                veto,
            };
            assert_eq!(tally::outcome(&t, total, &gov), want, "{t:?} of {total}");
        }
    }
}

#[test]
fn deposits_come_back_unless_vetoed() {
    for votes in [
        vec![(1_000, Some(Yes))],
        vec![(1_000, Some(No))],
        vec![(100, Some(Yes)), (900, None)],
    ] {
        let (c, q, before) = outcome_of(&votes);
        assert!(!matches!(q.status, ProposalStatus::Vetoed));
        assert_eq!(
            c.balance(&addr(&user(votes.len() as u8))),
            before + GOV_MIN_DEPOSIT
        );
        assert_eq!(supply_record(&c.store).burned, 0);
    }
    let (c, q, before) = outcome_of(&[(1_000, Some(Veto))]);
    assert_eq!(q.status, ProposalStatus::Vetoed);
    assert_eq!(c.balance(&addr(&user(1))), before);
    assert_eq!(supply_record(&c.store).burned, GOV_MIN_DEPOSIT);
    let epoch = (c.head.timestamp_ms - GENESIS_TIME_MS) / EPOCH_MS;
    let e = credits::epoch_supply(&Overlay::new(&c.store), epoch).unwrap();
    assert_eq!(e.burned, GOV_MIN_DEPOSIT);
    check_all(&c);
}

/// Funds the treasury with `amount` from user `from`.
fn fund_treasury(c: &mut Chain, from: &Keypair, amount: u64) {
    c.ok(c.tx(
        from,
        Call::Transfer {
            to: treasury_address(),
            amount,
        },
    ));
}

fn spend(to: &Keypair, amount: u64) -> Action {
    Action::TreasurySpend {
        to: addr(to),
        amount,
    }
}

/// `prop` proposes `actions` and `voter` passes them; returns the id.
fn pass(
    c: &mut Chain,
    prop: &Keypair,
    voter: &Keypair,
    actions: Vec<Action>,
    execute_height: Option<u64>,
) -> u64 {
    let call = Call::GovPropose {
        actions,
        description: "spend".into(),
        deposit: GOV_MIN_DEPOSIT,
        execute_height,
    };
    c.ok(c.tx(prop, call));
    let p = *proposals::active(&Overlay::new(&c.store))
        .unwrap()
        .last()
        .unwrap();
    vote(c, voter, p, Yes);
    p
}

#[test]
fn a_passed_proposal_applies_its_actions_at_the_voting_end_or_later() {
    let mut c = gchain(4);
    let (prop, voter, to) = (user(0), user(1), user(2));
    lock(&mut c, &voter, 1_000, LOCK);
    fund_treasury(&mut c, &prop, 1_000);
    let p = pass(&mut c, &prop, &voter, vec![spend(&to, 100)], None);
    let end = proposal(&c, p).voting_end.unwrap();
    let before = c.balance(&addr(&to));
    c.advance_to(end);
    assert_eq!(
        proposal(&c, p).status,
        ProposalStatus::Executed { height: end }
    );
    assert_eq!(c.balance(&addr(&to)), before + 100);

    // Two later executions, proposed in the reverse order of their heights.
    let first_end = c.height() + 1 + GOV_VOTING_BLOCKS;
    let late = pass(
        &mut c,
        &prop,
        &voter,
        vec![spend(&to, 10)],
        Some(first_end + 5),
    );
    let early = pass(
        &mut c,
        &prop,
        &voter,
        vec![spend(&to, 20)],
        Some(first_end + 3),
    );
    c.advance_to(first_end + 2);
    let pending = |c: &Chain| -> Vec<u64> {
        Overlay::new(&c.store)
            .get_or_default(keys::GOV_PENDING)
            .unwrap()
    };
    assert_eq!(pending(&c), vec![early, late]);
    assert_eq!(proposal(&c, late).status, ProposalStatus::Passed);
    let before = c.balance(&addr(&to));
    c.block(vec![]);
    assert_eq!(
        proposal(&c, early).status,
        ProposalStatus::Executed {
            height: first_end + 3
        }
    );
    assert_eq!(proposal(&c, late).status, ProposalStatus::Passed);
    assert_eq!(c.balance(&addr(&to)), before + 20);
    c.advance_to(first_end + 5);
    assert_eq!(
        proposal(&c, late).status,
        ProposalStatus::Executed {
            height: first_end + 5
        }
    );
    assert_eq!(c.balance(&addr(&to)), before + 30);
    assert!(pending(&c).is_empty());
    assert_eq!(Overlay::new(&c.store).get(keys::GOV_PENDING).unwrap(), None);
    check_all(&c);
    c.replay();
}

#[test]
fn a_failing_action_applies_nothing_and_records_why() {
    let mut c = gchain(4);
    let (prop, voter, a, b) = (user(0), user(1), user(2), user(3));
    lock(&mut c, &voter, 1_000, LOCK);
    fund_treasury(&mut c, &prop, 150);
    // Each spend fits the treasury alone; both do not.
    let p = pass(
        &mut c,
        &prop,
        &voter,
        vec![spend(&a, 100), spend(&b, 100)],
        None,
    );
    let end = proposal(&c, p).voting_end.unwrap();
    let (ba, bb) = (c.balance(&addr(&a)), c.balance(&addr(&b)));
    c.advance_to(end);
    assert_eq!(
        proposal(&c, p).status,
        ProposalStatus::Failed {
            height: end,
            action: 1,
            error: TxError::TreasuryInsufficient {
                needed: 100,
                available: 50
            },
        }
    );
    assert_eq!((c.balance(&addr(&a)), c.balance(&addr(&b))), (ba, bb));
    assert_eq!(c.balance(&treasury_address()), 150);
    check_all(&c);
}

#[test]
fn the_same_blocks_give_the_same_state_root() {
    let build = || {
        let (c, _, _) = outcome_of(&[(700, Some(Yes)), (200, Some(No)), (300, None)]);
        c
    };
    let (a, b) = (build(), build());
    assert_eq!(a.root(), b.root());
    // Each block checked as a block from elsewhere, on a fresh store: the same roots.
    a.replay();
}

// ---------------------------------------------------------------------------
// Property: supply, power totals and tallies through random governance calls.

const USERS: u8 = 4;

#[derive(Debug, Clone)]
enum Op {
    Lock {
        who: u8,
        amount: u64,
        lock: u64,
    },
    Extend {
        who: u8,
        position: u64,
        lock: u64,
    },
    Split {
        who: u8,
        position: u64,
        amount: u64,
    },
    Unlock {
        who: u8,
        position: u64,
    },
    Withdraw {
        who: u8,
        position: u64,
    },
    Delegate {
        who: u8,
        to: Option<u8>,
    },
    Propose {
        who: u8,
        deposit: u64,
    },
    Deposit {
        who: u8,
        proposal: u64,
        amount: u64,
    },
    Vote {
        who: u8,
        proposal: u64,
        option: VoteOption,
    },
    EndBlock,
}

impl Op {
    fn who(&self) -> u8 {
        match self {
            Op::Lock { who, .. }
            | Op::Extend { who, .. }
            | Op::Split { who, .. }
            | Op::Unlock { who, .. }
            | Op::Withdraw { who, .. }
            | Op::Delegate { who, .. }
            | Op::Propose { who, .. }
            | Op::Deposit { who, .. }
            | Op::Vote { who, .. } => *who,
            Op::EndBlock => u8::MAX,
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..USERS;
    let option = prop_oneof![Just(Yes), Just(No), Just(Abstain), Just(Veto)];
    prop_oneof![
        6 => (who.clone(), prop_oneof![5 => 1..5_000u64, 1 => Just(0u64)], 1..14u64)
            .prop_map(|(who, amount, lock)| Op::Lock { who, amount, lock }),
        2 => (who.clone(), 0..12u64, 0..16u64)
            .prop_map(|(who, position, lock)| Op::Extend { who, position, lock }),
        2 => (who.clone(), 0..12u64, 0..3_000u64)
            .prop_map(|(who, position, amount)| Op::Split { who, position, amount }),
        3 => (who.clone(), 0..12u64).prop_map(|(who, position)| Op::Unlock { who, position }),
        3 => (who.clone(), 0..12u64).prop_map(|(who, position)| Op::Withdraw { who, position }),
        2 => (who.clone(), prop::option::of(0..USERS)).prop_map(|(who, to)| Op::Delegate { who, to }),
        2 => (who.clone(), 0..1_500u64).prop_map(|(who, deposit)| Op::Propose { who, deposit }),
        2 => (who.clone(), 0..4u64, 0..800u64)
            .prop_map(|(who, proposal, amount)| Op::Deposit { who, proposal, amount }),
        5 => (who, 0..4u64, option).prop_map(|(who, proposal, option)| Op::Vote { who, proposal, option }),
        4 => Just(Op::EndBlock),
    ]
}

/// Runs `ops`, one transaction per signer per block (a refused transaction would
/// leave the signer's later nonces unusable); position and proposal numbers pick
/// among the signer's positions and the proposals that exist, when there are any.
/// Returns how many transactions succeeded and failed.
fn run(ops: Vec<Op>) -> (usize, usize) {
    let mut c = gchain(USERS);
    c.sigs = SigCheck::Trusted;
    check_all(&c);
    let (mut ok, mut failed) = (0, 0);
    let mut block: Vec<(u8, SignedTx)> = Vec::new();
    let mut flush = |c: &mut Chain, block: &mut Vec<(u8, SignedTx)>| {
        let txs = std::mem::take(block).into_iter().map(|(_, t)| t).collect();
        for r in c.block(txs) {
            if r.is_ok() {
                ok += 1;
            } else {
                failed += 1;
            }
        }
        check_all(c);
    };
    for op in ops {
        if let Op::EndBlock = op {
            flush(&mut c, &mut block);
            continue;
        }
        let who = op.who();
        if block.iter().any(|(w, _)| *w == who) {
            flush(&mut c, &mut block);
        }
        let state = Overlay::new(&c.store);
        let owned = positions::of_owner(&state, &addr(&user(who))).unwrap();
        let next: GovCounters = state.get_or_default(keys::GOV_COUNTERS).unwrap();
        let open = proposals::active(&state).unwrap();
        let pick = |i: u64| {
            let any = i % next.next_position.max(1);
            owned
                .get(i as usize % owned.len().max(1))
                .copied()
                .unwrap_or(any)
        };
        let prop = |i: u64| {
            let any = i % next.next_proposal.max(1);
            open.get(i as usize % open.len().max(1))
                .copied()
                .unwrap_or(any)
        };
        let call = match op {
            Op::EndBlock => unreachable!(),
            Op::Lock { amount, lock, .. } => lock_call(amount, lock),
            Op::Extend { position, lock, .. } => Call::GovExtend {
                position: pick(position),
                lock_blocks: lock,
            },
            Op::Split {
                position, amount, ..
            } => Call::GovSplit {
                position: pick(position),
                amount,
            },
            Op::Unlock { position, .. } => Call::GovUnlock {
                position: pick(position),
            },
            Op::Withdraw { position, .. } => Call::GovWithdraw {
                position: pick(position),
            },
            Op::Delegate { to, .. } => Call::GovDelegate {
                to: to.map(|i| addr(&user(i))),
            },
            Op::Propose { deposit, .. } => propose_call(deposit, None),
            Op::Deposit {
                proposal, amount, ..
            } => deposit_call(prop(proposal), amount),
            Op::Vote {
                proposal, option, ..
            } => vote_call(prop(proposal), option),
        };
        let k = user(who);
        let stx = tx(&k, c.nonce(&k), FEE, call);
        block.push((who, stx));
    }
    flush(&mut c, &mut block);
    // Let every open proposal and cooldown finish.
    for _ in 0..(GOV_DEPOSIT_BLOCKS + GOV_VOTING_BLOCKS + 16) {
        flush(&mut c, &mut block);
    }
    (ok, failed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn governance_conserves_supply_power_and_tallies(ops in prop::collection::vec(op(), 1..120)) {
        let n = ops.iter().filter(|o| !matches!(o, Op::EndBlock)).count();
        let (ok, failed) = run(ops);
        prop_assert_eq!(ok + failed, n);
    }
}

/// A fixed sequence through every path, so the property is known to check something.
#[test]
fn governance_conserves_supply_through_a_full_cycle() {
    let ops = vec![
        Op::Lock {
            who: 0,
            amount: 1_000,
            lock: 4,
        },
        Op::Lock {
            who: 1,
            amount: 500,
            lock: 8,
        },
        Op::Delegate {
            who: 2,
            to: Some(1),
        },
        Op::Lock {
            who: 2,
            amount: 300,
            lock: 3,
        },
        Op::Propose {
            who: 3,
            deposit: 600,
        },
        Op::EndBlock,
        Op::Deposit {
            who: 3,
            proposal: 0,
            amount: 400,
        },
        Op::Vote {
            who: 1,
            proposal: 0,
            option: Veto,
        },
        Op::Split {
            who: 0,
            position: 0,
            amount: 250,
        },
        Op::EndBlock,
        Op::Unlock {
            who: 0,
            position: 0,
        },
        Op::Vote {
            who: 0,
            proposal: 0,
            option: Yes,
        },
        Op::Extend {
            who: 1,
            position: 1,
            lock: 9,
        },
        Op::EndBlock,
        Op::Unlock {
            who: 2,
            position: 2,
        },
        Op::EndBlock,
        Op::EndBlock,
        Op::EndBlock,
        Op::EndBlock,
        Op::Withdraw {
            who: 0,
            position: 0,
        },
        Op::Withdraw {
            who: 2,
            position: 2,
        },
    ];
    let (ok, failed) = run(ops);
    assert_eq!((ok, failed), (14, 0));
}
