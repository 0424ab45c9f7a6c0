//! Executing blocks: signature checks, transaction dispatch, the state root.

use crate::block::{Block, Receipt, SealedHeader};
use crate::error::{LedgerError, TxError};
use crate::params::{ChainParams, Validator};
use crate::state::{Overlay, Store, Writes};
use crate::tx::{Call, SignedTx};
use crate::{
    accounts, credits, devices, keys, rewards, staking, storage, tree, validators, Amount,
    MAX_TX_BYTES,
};
use jmt::storage::TreeUpdateBatch;
use plinth_core::{Address, Hash};
use rayon::prelude::*;
use std::collections::HashSet;

/// A transaction failed (typed, the transaction is dropped) or the store failed
/// (fatal: the block cannot be executed at all).
#[derive(Debug)]
pub enum Fail {
    Tx(TxError),
    Fatal(LedgerError),
}

impl From<TxError> for Fail {
    fn from(e: TxError) -> Self {
        Fail::Tx(e)
    }
}

impl From<LedgerError> for Fail {
    fn from(e: LedgerError) -> Self {
        Fail::Fatal(e)
    }
}

/// What the block being executed supplies: nothing else of the outside world enters.
#[derive(Debug, Clone)]
pub struct BlockContext {
    pub height: u64,
    pub timestamp_ms: u64,
    pub proposer: Address,
}

/// The block time admission executes with: the next block's time is not known yet.
pub const UNKNOWN_TIME: u64 = u64::MAX;

/// Whether transaction signatures still need checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigCheck {
    /// Check every signature (blocks from elsewhere, replays).
    Verify,
    /// Signatures were checked when the transactions entered this node's mempool.
    Trusted,
}

/// The result of executing a block: receipts, the write set, the new root and the
/// tree nodes to persist with it.
pub struct Execution {
    pub version: u64,
    pub receipts: Vec<Receipt>,
    pub writes: Writes,
    pub state_root: Hash,
    pub tree_batch: TreeUpdateBatch,
}

/// The chain parameters in committed state.
pub fn params<S: Store>(store: &S) -> Result<ChainParams, LedgerError> {
    Overlay::new(store)
        .get_t::<ChainParams>(keys::PARAMS)?
        .ok_or(LedgerError::NoGenesis)
}

/// Checks signatures in parallel batches; returns one verdict per transaction.
pub fn verify_signatures(txs: &[SignedTx]) -> Vec<bool> {
    txs.par_chunks(64)
        .flat_map_iter(|chunk| {
            let msgs: Vec<Vec<u8>> = chunk.iter().map(|t| t.tx.signing_bytes()).collect();
            let items: Vec<_> = chunk
                .iter()
                .zip(&msgs)
                .map(|(t, m)| (m.as_slice(), *t.tx.signer.key(), t.signature))
                .collect();
            plinth_core::verify_each(&items)
        })
        .collect()
}

/// What the call costs the signer beyond the fee.
fn call_cost(call: &Call) -> Amount {
    match call {
        Call::Transfer { amount, .. }
        | Call::Bond { amount, .. }
        | Call::BurnForCredits { amount, .. } => *amount,
        Call::OfferStorage { deposit, .. } => *deposit,
        _ => 0,
    }
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
        .checked_add(call_cost(&tx.call))
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

    match &tx.call {
        Call::Transfer { to, amount } => accounts::transfer(state, &signer, to, *amount)?,
        Call::RegisterDevice {
            device,
            network,
            location,
            device_signature,
        } => devices::register(
            state,
            &params.chain,
            ctx.height,
            &signer,
            device,
            network,
            *location,
            device_signature,
        )?,
        Call::TransferDevice { device, new_owner } => {
            devices::transfer(state, &signer, device, new_owner)?
        }
        Call::UpdateLocation { device, location } => {
            devices::update_location(state, &signer, device, *location)?
        }
        Call::RetireDevice { device } => devices::retire(state, &signer, device)?,
        Call::Bond { target, amount } => staking::bond(state, &signer, target, *amount)?,
        Call::Unbond { target, amount } => {
            staking::unbond(state, params, ctx.height, &signer, target, *amount)?
        }
        Call::Withdraw => staking::withdraw(state, ctx.height, &signer)?,
        Call::SubmitManifest { header, signatures } => {
            rewards::submit_manifest(state, params, ctx, header, signatures)?
        }
        Call::Claim {
            network,
            epoch,
            index,
            entry,
            proof,
        } => rewards::claim(state, network, *epoch, *index, entry, proof)?,
        Call::SetValidators { validators } => validators::set(state, &signer, validators)?,
        Call::PostPrice { price, signatures } => {
            credits::post_price(state, params, ctx, price, signatures)?
        }
        Call::BurnForCredits { amount, to } => {
            credits::burn(state, params, ctx, &signer, *amount, to)?;
        }
        Call::DelegateCredits { to, amount } => credits::delegate(state, &signer, to, *amount)?,
        Call::OfferStorage {
            device,
            endpoint,
            price_per_mib_epoch,
            collateral_per_mib,
            deposit,
        } => storage::set_offer(
            state,
            &signer,
            device,
            endpoint,
            *price_per_mib_epoch,
            *collateral_per_mib,
            *deposit,
        )?,
        Call::WithdrawCollateral { device, amount } => {
            storage::withdraw_collateral(state, &signer, device, *amount)?
        }
        Call::OpenDeal {
            provider,
            manifest,
            epochs,
            price_per_epoch,
            min_collateral,
        } => {
            storage::open_deal(
                state,
                params,
                ctx,
                &signer,
                tx.nonce,
                &storage::DealTerms {
                    provider,
                    manifest,
                    epochs: *epochs,
                    price_per_epoch: *price_per_epoch,
                    min_collateral: *min_collateral,
                },
            )?;
        }
        Call::SettleStorage {
            settlement,
            signatures,
        } => storage::settle(state, params, ctx, settlement, signatures)?,
        Call::CloseDeal { deal } => storage::close_deal(state, params, ctx, deal)?,
        Call::ActivateDeal { deal, receipt } => {
            storage::activate_deal(state, params, ctx, deal, receipt)?
        }
    }
    Ok(tx.fee)
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
    let sig_ok = match sigs {
        SigCheck::Verify => verify_signatures(txs),
        SigCheck::Trusted => vec![true; txs.len()],
    };
    let mut state = Overlay::new(store);
    let mut seen = HashSet::with_capacity(txs.len());
    let mut receipts = Vec::with_capacity(txs.len());
    for (i, (stx, sig_ok)) in txs.iter().zip(sig_ok).enumerate() {
        let tx_hash = stx.hash();
        let outcome = if sigs == SigCheck::Verify && stx.encode().len() > MAX_TX_BYTES {
            Err(Fail::Tx(TxError::TooLarge {
                size: stx.encode().len() as u64,
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
        Ok(fee) => Ok(fee + call_cost(&stx.tx.call)),
        Err(Fail::Tx(e)) => Err(LedgerError::Rejected(e)),
        Err(Fail::Fatal(e)) => Err(e),
    }
}
