//! `plinth bench governance`: a chain where every account locks a governance
//! position, one proposal, every account votes on it in blocks, then the tally
//! (and the passed proposal's execution) at the voting end. Blocks execute
//! through the ledger ([`plinth_ledger::execute`]: each call, the end-of-block
//! governance work and the state root) into an in-memory store.

use crate::peak_rss_mib;
use anyhow::{bail, Context, Result};
use plinth_core::{Address, Keypair};
use plinth_ledger::genesis::{Fees, GenesisAccount, Staking, Token};
use plinth_ledger::governance::{
    proposals, Action, Bounds, GovParams, ParamBounds, ProposalStatus, VoteOption,
};
use plinth_ledger::params::Validator;
use plinth_ledger::state::MemStore;
use plinth_ledger::{
    execute, BlockContext, Call, Genesis, Overlay, SigCheck, SignedTx, Store, Transaction,
};
use rayon::prelude::*;
use std::time::Instant;

/// `plinth bench governance`: locks, votes and one tally at scale.
#[derive(Debug, Clone, clap::Args)]
pub struct GovernanceBench {
    /// Accounts, each locking one position and voting once.
    #[arg(long, default_value_t = 100_000)]
    pub accounts: usize,
    /// Most transactions per block.
    #[arg(long, default_value_t = 10_000)]
    pub block_txs: usize,
    /// Check every transaction's signature in the blocks (as a block from
    /// another validator is checked); by default they count as checked at
    /// admission, as for the block's own producer.
    #[arg(long)]
    pub verify: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

const CHAIN: &str = "bench-gov";
const FEE: u64 = 1_000;
const BLOCK_MS: u64 = 1_000;
const LOCK_BLOCKS: u64 = 100_000;
const MAX_LOCK_BLOCKS: u64 = 1_000_000;

fn key(i: usize) -> Keypair {
    crate::key(0x90, i)
}

/// A chain in memory, driven block by block.
struct Bench {
    store: MemStore,
    height: u64,
    validator: Address,
    sigs: SigCheck,
}

impl Bench {
    /// Executes and commits one block; every transaction must succeed. Returns
    /// the seconds it took (execution, end of block, state root, commit).
    fn block(&mut self, txs: &[SignedTx]) -> Result<f64> {
        self.height += 1;
        let ctx = BlockContext {
            height: self.height,
            timestamp_ms: self.height * BLOCK_MS,
            proposer: self.validator,
        };
        let t = Instant::now();
        let exec = execute(&self.store, &ctx, txs, self.sigs)?;
        self.store.commit(&exec);
        let secs = t.elapsed().as_secs_f64();
        if let Some(r) = exec.receipts.iter().find(|r| r.error.is_some()) {
            bail!(
                "a bench transaction failed at height {}: {:?}",
                self.height,
                r.error
            );
        }
        Ok(secs)
    }

    /// Runs `txs` in blocks of `per_block`; returns (blocks, seconds).
    fn blocks(&mut self, txs: &[SignedTx], per_block: usize) -> Result<(usize, f64)> {
        let (mut blocks, mut secs) = (0, 0.0);
        for chunk in txs.chunks(per_block) {
            secs += self.block(chunk)?;
            blocks += 1;
        }
        Ok((blocks, secs))
    }
}

fn gov_params(voting_period_blocks: u64) -> GovParams {
    let any = Bounds {
        min: 0,
        max: u64::MAX,
    };
    GovParams {
        min_lock_blocks: 1,
        max_lock_blocks: MAX_LOCK_BLOCKS,
        max_multiplier_bps: 1_000_000,
        min_deposit: 1_000_000,
        deposit_period_blocks: 10,
        voting_period_blocks,
        quorum_bps: 3_340,
        threshold_bps: 5_000,
        veto_bps: 3_340,
        max_description_bytes: 1_024,
        max_actions: 4,
        max_active_proposals: 8,
        treasury_bps: 0,
        bounds: ParamBounds {
            credit_micro_usd: any,
            price_max_age_ms: any,
            storage_max_failures: any,
            storage_max_deal_epochs: any,
            storage_accept_epochs: any,
            tail_per_epoch: any,
        },
    }
}

/// Signs one transaction per key, in parallel: key `i`'s `call(i)` at `nonce`.
fn sign_all(keys: &[Keypair], nonce: u64, call: impl Fn(usize) -> Call + Sync) -> Vec<SignedTx> {
    keys.par_iter()
        .enumerate()
        .map(|(i, k)| {
            Transaction {
                chain_id: CHAIN.into(),
                signer: Address(k.public()),
                nonce,
                fee: FEE,
                call: call(i),
            }
            .sign(k)
        })
        .collect()
}

/// Runs the benchmark and prints its result.
pub fn run(b: GovernanceBench) -> Result<()> {
    let n = b.accounts;
    if n == 0 || b.block_txs == 0 {
        bail!("need at least 1 account and 1 transaction per block");
    }
    let vote_blocks = n.div_ceil(b.block_txs) as u64;
    // The proposal's block opens the vote; the votes follow; the tally is the block after.
    let voting_period = vote_blocks + 1;
    eprintln!("generating {n} accounts and their signed locks and votes…");
    let t = Instant::now();
    let keys: Vec<Keypair> = (0..n).into_par_iter().map(key).collect();
    let proposer = key(n);
    let validator = key(n + 1);
    let mut accounts: Vec<GenesisAccount> = keys
        .iter()
        .chain([&proposer])
        .map(|k| GenesisAccount {
            address: Address(k.public()),
            balance: 1_000_000_000_000,
        })
        .collect();
    accounts.sort_by_key(|a| a.address);
    let genesis = Genesis {
        chain_id: CHAIN.into(),
        genesis_time_ms: 0,
        block_time_ms: BLOCK_MS,
        token: Token {
            name: "Plinth".into(),
            symbol: "PLN".into(),
            decimals: 6,
        },
        fees: Fees { min_fee: FEE },
        staking: Staking {
            unbonding_blocks: 10,
            max_unbonding_entries: 16,
        },
        accounts,
        validators: vec![Validator {
            address: Address(validator.public()),
            name: "v".into(),
        }],
        networks: Vec::new(),
        emission: Default::default(),
        oracles: Default::default(),
        validator_set: None,
        credits: None,
        storage: None,
        compute: None,
        governance: Some(gov_params(voting_period)),
        makers: Vec::new(),
        modules: Vec::new(),
    };
    // Amounts differ so that the power does too.
    let locks = sign_all(&keys, 0, |i| Call::GovLock {
        amount: 1_000_000 + (i as u64 % 1_000) * 1_000,
        lock_blocks: LOCK_BLOCKS + (i as u64 % 1_000),
    });
    // 70% yes, 10% each no, abstain and veto: passed.
    let votes = sign_all(&keys, 1, |i| Call::GovVote {
        proposal: 0,
        option: match i % 10 {
            7 => VoteOption::No,
            8 => VoteOption::Abstain,
            9 => VoteOption::Veto,
            _ => VoteOption::Yes,
        },
    });
    let propose = Transaction {
        chain_id: CHAIN.into(),
        signer: Address(proposer.public()),
        nonce: 0,
        fee: FEE,
        call: Call::GovPropose {
            actions: vec![Action::SetEmissionTail { tail_per_epoch: 0 }],
            description: "bench: one proposal, every account votes".into(),
            deposit: 1_000_000,
            execute_height: None,
        },
    }
    .sign(&proposer);
    let generation_secs = t.elapsed().as_secs_f64();

    let mut store = MemStore::new();
    let exec = genesis.execute(&store).context("bench genesis")?;
    store.commit(&exec);
    let mut chain = Bench {
        store,
        height: 0,
        validator: Address(validator.public()),
        sigs: if b.verify {
            SigCheck::Verify
        } else {
            SigCheck::Trusted
        },
    };
    eprintln!("locking…");
    let (lock_blocks, lock_secs) = chain.blocks(&locks, b.block_txs)?;
    let propose_secs = chain.block(std::slice::from_ref(&propose))?;
    let voting_end = chain.height + voting_period;
    eprintln!("voting…");
    let (vote_blocks, vote_secs) = chain.blocks(&votes, b.block_txs)?;
    // The votes fill the period: the next block is the voting end.
    while chain.height + 1 < voting_end {
        chain.block(&[])?;
    }
    let tally_secs = chain.block(&[])?;
    let empty_secs = chain.block(&[])?;

    let p = proposals::load(&Overlay::new(&chain.store), 0)?.context("the proposal")?;
    if p.status != (ProposalStatus::Executed { height: voting_end }) {
        bail!(
            "the proposal ended {:?}, not executed at {voting_end}",
            p.status
        );
    }
    let t = p.tally;
    let voted = t.yes + t.no + t.abstain + t.veto;
    if p.total_power != Some(voted) || p.voters != n as u64 {
        bail!(
            "the tally counts {voted} of {:?} power, {} voters",
            p.total_power,
            p.voters
        );
    }
    let version = chain.store.version()?.unwrap_or(0);
    let blocks = lock_blocks + vote_blocks;
    let busy = lock_secs + vote_secs;
    let result = serde_json::json!({
        "accounts": n,
        "block_txs": b.block_txs,
        "signatures_verified": b.verify,
        "generation_seconds": generation_secs,
        "lock_blocks": lock_blocks,
        "lock_seconds": lock_secs,
        "locks_per_second": n as f64 / lock_secs,
        "propose_block_seconds": propose_secs,
        "vote_blocks": vote_blocks,
        "vote_seconds": vote_secs,
        "votes_per_second": n as f64 / vote_secs,
        "blocks_per_second": blocks as f64 / busy,
        "tally_block_seconds": tally_secs,
        "empty_block_seconds": empty_secs,
        "total_power": voted.to_string(),
        "status": format!("{:?}", p.status),
        "height": version,
        "peak_rss_mib": peak_rss_mib(),
    });
    if b.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    println!(
        "plinth bench governance: {n} accounts, each locks and votes; blocks of {}{}",
        b.block_txs,
        if b.verify {
            ", signatures verified"
        } else {
            ""
        }
    );
    println!("  inputs signed (not measured)  {generation_secs:>10.2} s");
    println!(
        "  locks                         {:>10.0} /s  ({lock_blocks} blocks, {lock_secs:.2} s)",
        n as f64 / lock_secs
    );
    println!(
        "  votes                         {:>10.0} /s  ({vote_blocks} blocks, {vote_secs:.2} s)",
        n as f64 / vote_secs
    );
    println!(
        "  blocks/s (locks and votes)    {:>10.2}",
        blocks as f64 / busy
    );
    println!(
        "  proposal block                {:>10.1} ms",
        propose_secs * 1e3
    );
    println!(
        "  tally block (+ execution)     {:>10.1} ms  ({n} voters, {:?})",
        tally_secs * 1e3,
        p.status
    );
    println!(
        "  empty block, for comparison   {:>10.1} ms",
        empty_secs * 1e3
    );
    println!(
        "  peak memory                   {:>10.1} MiB",
        peak_rss_mib().unwrap_or(0.0)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_run_passes_its_own_checks() {
        run(GovernanceBench {
            accounts: 300,
            block_txs: 100,
            verify: true,
            json: true,
        })
        .unwrap();
    }
}
