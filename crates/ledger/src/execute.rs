//! The dispatcher: executes blocks (signature checks, each transaction's envelope
//! and fee, its call routed to the module that owns it) and computes the state
//! root; also the mempool's admission check.
//!
//! The only module that imports the modules handling calls; none of them imports
//! it. What they share with it (the block's context, the failure type) lives in
//! [`crate::context`], what executing yields in [`crate::outcome`].

use crate::block::{Block, SealedHeader};
use crate::context::TxContext;
use crate::error::{LedgerError, TxError};
use crate::outcome::Receipt;
use crate::params::{ChainParams, Validator};
use crate::state::{Overlay, Store};
use crate::tx::{Call, Module, SignedTx};
use crate::{
    accounts, bursts, compute, credits, devices, energy, governance, keys, oracle_schedule,
    rewards, staking, storage, tree, validators, Amount, MAX_TX_BYTES,
};
use plinth_core::{Address, Hash, Memo};
use rayon::prelude::*;
use std::collections::HashSet;

pub use crate::context::{BlockContext, Fail, UNKNOWN_TIME};
pub use crate::outcome::Execution;

/// Whether transaction signatures still need checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigCheck {
    /// Check every signature (blocks from elsewhere, replays).
    Verify,
    /// Signatures were checked when the transactions entered this node's mempool.
    Trusted,
}

/// The chain parameters in committed state.
pub fn params<S: Store>(store: &S) -> Result<ChainParams, LedgerError> {
    Overlay::new(store)
        .get_t::<ChainParams>(keys::PARAMS)?
        .ok_or(LedgerError::NoGenesis)
}

/// Transactions whose signatures this process has checked and found good, by
/// transaction id — which commits to every byte, the signature included, so
/// the same id is the same bytes. Admission checks a transaction once; the
/// block that carries it (built here, or proposed by a peer after gossip)
/// finds it here and does not check it again. Bounded: two generations of at
/// most [`VERIFIED_CACHE`] ids; a transaction not found is simply checked again.
static VERIFIED: Memo<Hash, ()> = Memo::new(VERIFIED_CACHE);

/// Most ids in each generation of [`VERIFIED`] (a few blocks' worth).
const VERIFIED_CACHE: usize = 262_144;

/// Which of `hashes` were checked before (see [`VERIFIED`]).
fn verified_before(hashes: &[Hash]) -> Vec<bool> {
    VERIFIED
        .get_many(hashes)
        .into_iter()
        .map(|hit| hit.is_some())
        .collect()
}

/// Remembers that the transactions `hashes` name have good signatures.
fn remember_verified(hashes: impl Iterator<Item = Hash>) {
    VERIFIED.insert_many(hashes.map(|h| (h, ())));
}

/// Checks signatures in parallel batches; returns one verdict per transaction.
/// A transaction whose exact bytes were found good before in this process
/// (admitted to the mempool, or in a block checked earlier) is not checked
/// again (see [`VERIFIED`]).
pub fn verify_signatures(txs: &[SignedTx]) -> Vec<bool> {
    verify_signatures_hashed(txs, &tx_ids(txs))
}

/// Each transaction's id, computed in parallel.
pub fn tx_ids(txs: &[SignedTx]) -> Vec<Hash> {
    txs.par_iter().map(|t| t.hash()).collect()
}

/// The ids of a block's transactions, `txs`, executed as `exec`: its receipts'
/// (computed once, in parallel, when the block was executed), or computed afresh
/// when the receipts do not line up with the transactions.
pub fn block_tx_ids(txs: &[SignedTx], exec: &Execution) -> Vec<Hash> {
    if exec.receipts.len() == txs.len() {
        exec.receipts.iter().map(|r| r.tx_hash).collect()
    } else {
        tx_ids(txs)
    }
}

/// Leaves the transactions an execution of `candidates` rejected out of the
/// block being built: returns the included ones and the rejected ones' ids with
/// their errors, and renumbers the receipts to match the included ones.
/// Rejected transactions wrote nothing, so the writes and the state root stay
/// those of the block without them.
pub fn leave_out_rejected(
    exec: &mut Execution,
    candidates: Vec<SignedTx>,
) -> (Vec<SignedTx>, Vec<(Hash, TxError)>) {
    let mut included = Vec::with_capacity(candidates.len());
    let mut rejected = Vec::new();
    let mut receipts = Vec::with_capacity(candidates.len());
    for (tx, mut receipt) in candidates
        .into_iter()
        .zip(std::mem::take(&mut exec.receipts))
    {
        match receipt.error.take() {
            None => {
                receipt.index = included.len() as u32;
                receipts.push(receipt);
                included.push(tx);
            }
            Some(e) => rejected.push((receipt.tx_hash, e)),
        }
    }
    exec.receipts = receipts;
    (included, rejected)
}

/// [`verify_signatures`] with each transaction's id already at hand.
pub fn verify_signatures_hashed(txs: &[SignedTx], hashes: &[Hash]) -> Vec<bool> {
    let mut verdicts = verified_before(hashes);
    let todo: Vec<usize> = (0..txs.len()).filter(|&i| !verdicts[i]).collect();
    if todo.is_empty() {
        return verdicts;
    }
    let fresh: Vec<bool> = todo
        .par_chunks(plinth_core::batch_size(
            todo.len(),
            rayon::current_num_threads(),
        ))
        .flat_map_iter(|chunk| {
            let msgs: Vec<Vec<u8>> = chunk.iter().map(|&i| txs[i].tx.signing_bytes()).collect();
            let items: Vec<_> = chunk
                .iter()
                .zip(&msgs)
                .map(|(&i, m)| (m.as_slice(), *txs[i].tx.signer.key(), txs[i].signature))
                .collect();
            plinth_core::verify_each(&items)
        })
        .collect();
    for (&i, ok) in todo.iter().zip(&fresh) {
        verdicts[i] = *ok;
    }
    remember_verified(
        todo.iter()
            .zip(&fresh)
            .filter(|(_, ok)| **ok)
            .map(|(&i, _)| hashes[i]),
    );
    verdicts
}

/// Applies one transaction whose signature is known to be good. On error, the
/// caller discards the transaction's writes.
fn apply_tx<S: Store>(
    state: &mut Overlay<'_, S>,
    params: &ChainParams,
    ctx: &BlockContext,
    stx: &SignedTx,
) -> Result<Amount, Fail> {
    let tx = &stx.tx;
    if tx.chain_id != params.chain_id {
        return Err(TxError::WrongChain {
            expected: params.chain_id.clone(),
            found: tx.chain_id.clone(),
        }
        .into());
    }
    let signer = tx.signer;
    let mut acct = accounts::load(state, &signer)?.ok_or_else(|| TxError::UnknownAccount {
        address: signer.to_string(),
    })?;
    if tx.nonce != acct.nonce {
        return Err(TxError::BadNonce {
            expected: acct.nonce,
            found: tx.nonce,
        }
        .into());
    }
    if tx.fee < params.min_fee {
        return Err(TxError::FeeTooLow {
            min: params.min_fee,
            found: tx.fee,
        }
        .into());
    }
    let needed = tx
        .fee
        .checked_add(tx.call.cost())
        .ok_or(TxError::Overflow)?;
    if acct.balance < needed {
        return Err(TxError::InsufficientFunds {
            needed,
            available: acct.balance,
        }
        .into());
    }
    acct.debit(tx.fee)?;
    acct.nonce += 1;
    accounts::save(state, &signer, &acct);
    accounts::credit(state, &ctx.proposer, tx.fee)?;

    let cx = TxContext {
        state,
        params,
        block: ctx,
        signer,
        nonce: tx.nonce,
    };
    apply_call(cx, &tx.call)?;
    Ok(tx.fee)
}

/// Routes a call to the module that owns it ([`Call::module`]): one line per
/// module.
fn apply_call<S: Store>(cx: TxContext<'_, '_, S>, call: &Call) -> Result<(), Fail> {
    match call.module() {
        Module::Accounts => accounts::apply(cx, call),
        Module::Devices => devices::apply(cx, call),
        Module::Staking => staking::apply(cx, call),
        Module::Rewards => rewards::apply(cx, call),
        Module::Validators => validators::apply(cx, call),
        Module::Credits => credits::apply(cx, call),
        Module::Storage => storage::apply(cx, call),
        Module::OracleSet => oracle_schedule::apply(cx, call),
        Module::Governance => governance::apply(cx, call),
        Module::Compute => compute::apply(cx, call),
        Module::Bursts => bursts::apply(cx, call),
        Module::Energy => energy::apply(cx, call),
    }
}

/// Executes `txs` as the block at `ctx.height` on top of `store`'s head.
///
/// Rejected transactions get a receipt with their error and change nothing. The
/// state root covers every write, including the head marker written each block.
pub fn execute<S: Store>(
    store: &S,
    ctx: &BlockContext,
    txs: &[SignedTx],
    sigs: SigCheck,
) -> Result<Execution, LedgerError> {
    let head = store.version()?.ok_or(LedgerError::NoGenesis)?;
    if ctx.height != head + 1 {
        return Err(LedgerError::BadHeight {
            head,
            found: ctx.height,
        });
    }
    let params = params(store)?;
    // Each transaction's encoding once: its id, and its size for the limit.
    let encoded: Vec<(Hash, usize)> = txs
        .par_iter()
        .map(|t| {
            let bytes = t.encode();
            (SignedTx::hash_of(&bytes), bytes.len())
        })
        .collect();
    let sig_ok = match sigs {
        SigCheck::Verify => {
            let hashes: Vec<Hash> = encoded.iter().map(|(h, _)| *h).collect();
            verify_signatures_hashed(txs, &hashes)
        }
        SigCheck::Trusted => vec![true; txs.len()],
    };
    let mut state = Overlay::new(store);
    let mut seen = HashSet::with_capacity(txs.len());
    let mut receipts = Vec::with_capacity(txs.len());
    for (i, ((stx, sig_ok), &(tx_hash, size))) in txs.iter().zip(sig_ok).zip(&encoded).enumerate() {
        let outcome = if sigs == SigCheck::Verify && size > MAX_TX_BYTES {
            Err(Fail::Tx(TxError::TooLarge {
                size: size as u64,
                limit: MAX_TX_BYTES as u64,
            }))
        } else if !sig_ok {
            Err(Fail::Tx(TxError::BadSignature))
        } else if !seen.insert(tx_hash) {
            Err(Fail::Tx(TxError::Duplicate))
        } else {
            apply_tx(&mut state, &params, ctx, stx)
        };
        let (fee, error) = match outcome {
            Ok(fee) => {
                state.commit_tx();
                (fee, None)
            }
            Err(Fail::Tx(e)) => {
                state.discard_tx();
                (0, Some(e))
            }
            Err(Fail::Fatal(e)) => return Err(e),
        };
        receipts.push(Receipt {
            tx_hash,
            index: i as u32,
            fee,
            error,
        });
    }
    governance::end_block(&mut state, ctx, &params)?;
    energy::end_block(&mut state, ctx, &params)?;
    validators::end_block(&mut state, ctx.height)?;
    state.put_t(keys::HEAD.to_vec(), &(ctx.height, ctx.timestamp_ms));
    let writes = state.into_writes();
    let (state_root, tree_batch) = tree::update(store, &writes, ctx.height)?;
    Ok(Execution {
        version: ctx.height,
        receipts,
        writes,
        state_root,
        tree_batch,
    })
}

/// Checks a block from elsewhere against its parent (its header and seal, which
/// name it) and executes it; the claimed state root must match the computed one.
pub fn apply_block<S: Store>(
    store: &S,
    parent: &SealedHeader,
    block: &Block,
    sigs: SigCheck,
) -> Result<Execution, LedgerError> {
    let h = &block.header;
    let params = params(store)?;
    if h.chain_id != params.chain_id {
        return Err(LedgerError::WrongChain {
            expected: params.chain_id,
            found: h.chain_id.clone(),
        });
    }
    if h.height != parent.height + 1 {
        return Err(LedgerError::BadHeight {
            head: parent.height,
            found: h.height,
        });
    }
    if h.parent != parent.hash() {
        return Err(LedgerError::BadParent {
            expected: parent.hash().to_hex(),
            found: h.parent.to_hex(),
        });
    }
    if h.timestamp_ms < parent.timestamp_ms {
        return Err(LedgerError::BadTimestamp {
            parent: parent.timestamp_ms,
            found: h.timestamp_ms,
        });
    }
    if Overlay::new(store)
        .get_t::<Validator>(&keys::validator(h.proposer.key()))?
        .is_none()
    {
        return Err(LedgerError::UnknownProposer {
            proposer: h.proposer.to_string(),
        });
    }
    if !block.verify_seal() {
        return Err(LedgerError::BadBlockSignature);
    }
    if !block.body_matches() {
        return Err(LedgerError::TxRootMismatch);
    }
    let ctx = BlockContext {
        height: h.height,
        timestamp_ms: h.timestamp_ms,
        proposer: h.proposer,
    };
    let exec = execute(store, &ctx, &block.txs, sigs)?;
    if exec.state_root != h.state_root {
        return Err(LedgerError::StateRootMismatch {
            claimed: h.state_root.to_hex(),
            computed: exec.state_root.to_hex(),
        });
    }
    Ok(exec)
}

/// What the mempool already holds from a transaction's signer.
#[derive(Debug, Clone, Copy, Default)]
pub struct PendingView {
    /// Transactions from this signer waiting in the mempool.
    pub count: u64,
    /// Their fees and costs, which the balance must also cover.
    pub spend: Amount,
}

/// Checks whether `stx` would apply on top of committed state and the signer's
/// pending transactions, without changing anything: the mempool's admission check.
/// Returns what the transaction will spend (fee + cost).
///
/// Rules that depend on the block's timestamp are not checked here (the timestamp
/// of the block that will include the transaction is not known yet): a reward
/// manifest for an epoch that is not over is admitted, and refused by the block.
pub fn admit<S: Store>(
    store: &S,
    stx: &SignedTx,
    pending: PendingView,
    proposer: &Address,
) -> Result<Amount, LedgerError> {
    let params = params(store)?;
    let height = store.version()?.ok_or(LedgerError::NoGenesis)? + 1;
    admit_with(store, &params, height, stx, pending, proposer)
}

/// [`admit`] with the chain parameters and the next height already at hand (the
/// mempool's hot path).
pub fn admit_with<S: Store>(
    store: &S,
    params: &ChainParams,
    height: u64,
    stx: &SignedTx,
    pending: PendingView,
    proposer: &Address,
) -> Result<Amount, LedgerError> {
    let mut state = Overlay::new(store);
    if let Some(mut acct) = accounts::load(&state, &stx.tx.signer)? {
        acct.nonce += pending.count;
        acct.balance = acct.balance.saturating_sub(pending.spend);
        accounts::save(&mut state, &stx.tx.signer, &acct);
    }
    let ctx = BlockContext {
        height,
        // The next block's timestamp is not known yet; time-dependent rules (a reward
        // epoch being over, a price being fresh) are judged by the block, which drops
        // what fails them.
        timestamp_ms: UNKNOWN_TIME,
        proposer: *proposer,
    };
    match apply_tx(&mut state, params, &ctx, stx) {
        Ok(fee) => Ok(fee + stx.tx.call.cost()),
        Err(Fail::Tx(e)) => Err(LedgerError::Rejected(e)),
        Err(Fail::Fatal(e)) => Err(e),
    }
}
