//! Determinism: blocks of random transactions, valid and invalid, produced on one
//! store replay into a fresh store with the same roots and receipts.

use crate::common::*;
use plinth_core::{DeviceId, Keypair, PublicKey};
use plinth_ledger::state::MemStore;
use plinth_ledger::{
    apply_block, keys, Call, LedgerError, SigCheck, SignedTx, StakeTarget, Transaction, TxError,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeSet, HashMap};

const USERS: u8 = 10;
const DEVICES: u8 = 16;
const BLOCKS: usize = 20;

fn locations() -> Vec<u64> {
    vec![
        berlin(),
        paris(),
        cell(40.7128, -74.006),
        cell(-33.8688, 151.2093),
        cell(35.6762, 139.6503),
    ]
}

struct Gen {
    rng: StdRng,
    users: Vec<Keypair>,
    devices: Vec<Keypair>,
    locations: Vec<u64>,
}

impl Gen {
    fn amount(&mut self, available: u64) -> u64 {
        match self.rng.gen_range(0..10) {
            0 => 0,
            1 => self.rng.gen_range(0..=available.saturating_mul(2).max(1)),
            _ => self.rng.gen_range(1..=5_000),
        }
    }

    fn location(&mut self) -> u64 {
        if self.rng.gen_bool(0.1) {
            self.rng.gen()
        } else {
            self.locations[self.rng.gen_range(0..self.locations.len())]
        }
    }

    /// One random transaction from user `i` against committed state in `c`.
    fn call(&mut self, c: &Chain, i: usize) -> Call {
        let me = addr(&self.users[i]);
        let acct = account(&c.store, &me).unwrap_or_default();
        let validator = StakeTarget::Validator(c.proposer());
        let d = self.rng.gen_range(0..self.devices.len());
        // Device calls mostly name one of the signer's own devices.
        let prefix = keys::owner_prefix(me.key());
        let mine: Vec<_> = c.store.scan(&prefix);
        let dev = if !mine.is_empty() && self.rng.gen_bool(0.8) {
            let (k, _) = &mine[self.rng.gen_range(0..mine.len())];
            DeviceId(PublicKey(k[prefix.len()..].try_into().unwrap()))
        } else {
            dev_id(&self.devices[d])
        };
        match self.rng.gen_range(0..100) {
            0..=34 => {
                let to = if self.rng.gen_bool(0.1) {
                    addr(&stranger())
                } else {
                    addr(&self.users[self.rng.gen_range(0..self.users.len())])
                };
                let amount = self.amount(acct.balance);
                Call::Transfer { to, amount }
            }
            35..=46 => {
                let network = if self.rng.gen_bool(0.1) {
                    "rain"
                } else {
                    NETWORK
                };
                let location = self.location();
                let mut call = register_call(&me, &self.devices[d], network, location);
                if self.rng.gen_bool(0.05) {
                    if let Call::RegisterDevice {
                        device_signature, ..
                    } = &mut call
                    {
                        device_signature.0[1] ^= 1;
                    }
                }
                call
            }
            47..=50 => Call::TransferDevice {
                device: dev,
                new_owner: addr(&self.users[self.rng.gen_range(0..self.users.len())]),
            },
            51..=54 => Call::UpdateLocation {
                device: dev,
                location: self.location(),
            },
            55 => Call::RetireDevice { device: dev },
            57..=71 => {
                let target = if self.rng.gen_bool(0.3) {
                    StakeTarget::Device(dev)
                } else {
                    validator
                };
                let amount = self.amount(acct.balance);
                Call::Bond { target, amount }
            }
            72..=85 => {
                let target = if self.rng.gen_bool(0.3) {
                    StakeTarget::Device(dev)
                } else {
                    validator
                };
                // Mostly within what is bonded (to the validator, usually).
                let amount = if acct.bonded > 0 && self.rng.gen_bool(0.7) {
                    self.rng.gen_range(1..=acct.bonded)
                } else {
                    self.amount(acct.bonded)
                };
                Call::Unbond { target, amount }
            }
            _ => Call::Withdraw,
        }
    }

    /// A block's worth of transactions, with per-block nonce tracking and a few
    /// deliberately broken envelopes.
    fn block(&mut self, c: &Chain) -> Vec<SignedTx> {
        let n = self.rng.gen_range(5..=30);
        let mut nonces: HashMap<usize, u64> = HashMap::new();
        let mut txs = Vec::with_capacity(n);
        for _ in 0..n {
            let i = self.rng.gen_range(0..self.users.len());
            let call = self.call(c, i);
            let k = self.users[i].clone();
            let next = nonces.entry(i).or_insert_with(|| c.nonce(&k));
            let mut t = Transaction {
                chain_id: CHAIN_ID.into(),
                signer: addr(&k),
                nonce: *next,
                fee: if self.rng.gen_bool(0.05) {
                    MIN_FEE - 1
                } else {
                    self.rng.gen_range(MIN_FEE..=3 * MIN_FEE)
                },
                call,
            };
            let stx = match self.rng.gen_range(0..100) {
                0..=3 => {
                    t.nonce += self.rng.gen_range(1..5);
                    t.sign(&k)
                }
                4..=5 => t.sign(&self.users[(i + 1) % self.users.len()]),
                6 => {
                    t.chain_id = "elsewhere".into();
                    t.sign(&k)
                }
                7 => tx(&stranger(), 0, MIN_FEE, Call::Withdraw),
                _ => {
                    *next += 1;
                    t.sign(&k)
                }
            };
            txs.push(stx);
            // Now and then the same transaction twice.
            if self.rng.gen_bool(0.03) {
                let dup = txs.last().unwrap().clone();
                txs.push(dup);
            }
        }
        txs
    }
}

#[test]
fn random_blocks_replay_to_the_same_roots() {
    let mut gen = Gen {
        rng: StdRng::seed_from_u64(0x9e3779b97f4a7c15),
        users: (0..USERS).map(user).collect(),
        devices: (0..DEVICES).map(device_key).collect(),
        locations: locations(),
    };
    // Store A: produce the blocks.
    let mut a = Chain::new(USERS);
    let supply0 = a.genesis.supply();
    let mut receipts = Vec::new();
    let mut roots = vec![a.root()];
    for _ in 0..BLOCKS {
        let txs = gen.block(&a);
        receipts.push(a.block(txs));
        roots.push(a.root());
        assert_eq!(supply(&a.store), supply0);
    }
    let all: Vec<_> = receipts.iter().flatten().collect();
    let ok = all.iter().filter(|r| r.is_ok()).count();
    let failed = all.len() - ok;
    assert!(all.len() >= 200, "only {} transactions", all.len());
    assert!(ok >= 50, "only {ok} of {} succeeded", all.len());
    assert!(failed >= 50, "only {failed} of {} failed", all.len());
    let kinds: BTreeSet<String> = all
        .iter()
        .filter_map(|r| r.error.as_ref())
        .map(|e| {
            format!("{e:?}")
                .split([' ', '{'])
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    for expected in [
        "BadSignature",
        "BadNonce",
        "InsufficientFunds",
        "ZeroAmount",
        "FeeTooLow",
        "DeviceExists",
        "InsufficientBond",
        "NotDeviceOwner",
        "UnknownAccount",
    ] {
        assert!(kinds.contains(expected), "no {expected} among {kinds:?}");
    }
    let successes = |f: fn(&Call) -> bool| {
        a.blocks
            .iter()
            .zip(&receipts)
            .flat_map(|(b, rs)| b.txs.iter().zip(rs))
            .filter(|(t, r)| r.is_ok() && f(&t.tx.call))
            .count()
    };
    assert!(successes(|c| matches!(c, Call::RegisterDevice { .. })) > 0);
    assert!(successes(|c| matches!(c, Call::Bond { .. })) > 0);
    assert!(successes(|c| matches!(c, Call::Unbond { .. })) > 0);
    assert!(successes(|c| matches!(c, Call::Withdraw)) > 0);
    assert!(successes(|c| matches!(c, Call::Transfer { .. })) > 0);

    // Store B: replay from the same genesis.
    let mut b = MemStore::new();
    let genesis_exec = a.genesis.execute(&b).unwrap();
    b.commit(&genesis_exec);
    assert_eq!(genesis_exec.state_root, roots[0]);
    let mut parent = a.genesis.block(genesis_exec.state_root).sealed_header();
    for (i, block) in a.blocks.iter().enumerate() {
        let exec = apply_block(&b, &parent, block, SigCheck::Verify)
            .unwrap_or_else(|e| panic!("block {} failed to apply: {e}", i + 1));
        assert_eq!(exec.state_root, roots[i + 1], "root of block {}", i + 1);
        assert_eq!(exec.receipts, receipts[i], "receipts of block {}", i + 1);
        b.commit(&exec);
        parent = block.sealed_header();
    }
    assert_eq!(parent.state_root, a.root());
    assert_eq!(b.scan(b""), a.store.scan(b""), "final state differs");

    // Replaying while trusting the signatures would apply the forged transactions
    // and diverge: the checked replay is what keeps them out.
    let first_forged = receipts
        .iter()
        .position(|rs| rs.iter().any(|r| r.error == Some(TxError::BadSignature)))
        .expect("some forged transaction");
    let mut t = MemStore::new();
    t.commit(&a.genesis.execute(&t).unwrap());
    let mut parent = a.genesis.block(roots[0]).sealed_header();
    let mut diverged = None;
    for (i, block) in a.blocks.iter().enumerate() {
        match apply_block(&t, &parent, block, SigCheck::Trusted) {
            Ok(exec) => t.commit(&exec),
            Err(LedgerError::StateRootMismatch { .. }) => {
                diverged = Some(i);
                break;
            }
            Err(e) => panic!("unexpected error {e}"),
        }
        parent = block.sealed_header();
    }
    let diverged = diverged.expect("trusting forged signatures must change the state");
    assert!(diverged >= first_forged);
}
