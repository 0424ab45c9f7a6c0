//! The leaf every call handler builds on: what the block supplies
//! ([`BlockContext`]), what a transaction's call runs with (`TxContext`) and how
//! a handler fails ([`Fail`]).
//!
//! It imports no module that handles calls, so those modules import it and never
//! the dispatcher ([`crate::execute`](mod@crate::execute)), which is the only module that imports them
//! all.

use crate::error::{LedgerError, TxError};
use crate::keys;
use crate::params::ChainParams;
use crate::state::{Overlay, Store};
use plinth_core::Address;

/// A transaction failed (typed, the transaction is dropped) or the store failed
/// (fatal: the block cannot be executed at all).
#[derive(Debug)]
pub enum Fail {
    /// The transaction broke a rule: it is dropped, its receipt says why.
    Tx(TxError),
    /// The store failed or holds corrupt state: the block cannot be executed.
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
    /// The block's height.
    pub height: u64,
    /// The block's timestamp, milliseconds since the Unix epoch ([`UNKNOWN_TIME`]
    /// at admission).
    pub timestamp_ms: u64,
    /// The block's proposer, who receives the fees.
    pub proposer: Address,
}

/// The block time admission executes with: the next block's time is not known yet.
pub const UNKNOWN_TIME: u64 = u64::MAX;

impl BlockContext {
    /// The reward epoch of the block's time (at admission, of an unknown future
    /// time).
    pub fn epoch(&self, params: &ChainParams) -> u64 {
        params
            .emission
            .epoch_at(params.genesis_time_ms, self.timestamp_ms)
    }

    /// The reward epoch a call's checks judge by: the block's; at admission,
    /// where the block's time is unknown, the head's (a lower bound of it: the
    /// block judges again).
    pub(crate) fn current_epoch<S: Store>(
        &self,
        state: &Overlay<'_, S>,
        params: &ChainParams,
    ) -> Result<u64, LedgerError> {
        if self.timestamp_ms == UNKNOWN_TIME {
            head_epoch(state, params)
        } else {
            Ok(self.epoch(params))
        }
    }

    /// Refuses what the oracles sign about `epoch` (a manifest, a settlement)
    /// unless the epoch is over at the block's time. At admission, the time being
    /// unknown, every epoch that ends at all counts as over; the block judges.
    pub(crate) fn check_epoch_over(&self, params: &ChainParams, epoch: u64) -> Result<(), TxError> {
        let ends_at = params.emission.epoch_end_ms(params.genesis_time_ms, epoch);
        if ends_at.is_none_or(|end| self.timestamp_ms < end) {
            return Err(TxError::EpochNotOver {
                epoch,
                ends_at_ms: ends_at.unwrap_or(u64::MAX),
            });
        }
        Ok(())
    }
}

/// The reward epoch of the head block, from state (a lower bound of any future
/// block's epoch, for checks at admission).
pub fn head_epoch<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
) -> Result<u64, LedgerError> {
    let head_ms = state
        .get_t::<(u64, u64)>(keys::HEAD)?
        .map(|(_, t)| t)
        .unwrap_or(params.genesis_time_ms);
    Ok(params.emission.epoch_at(params.genesis_time_ms, head_ms))
}

/// What a transaction's call runs with: the state it reads and writes, the chain's
/// parameters, the block, and the transaction's signer and nonce. The fee is
/// already paid and the nonce already advanced.
pub(crate) struct TxContext<'a, 's, S: Store> {
    /// The block's state, with this transaction's own layer on top.
    pub state: &'a mut Overlay<'s, S>,
    /// The chain's parameters.
    pub params: &'a ChainParams,
    /// The block the transaction is in.
    pub block: &'a BlockContext,
    /// Who signed the transaction.
    pub signer: Address,
    /// The transaction's nonce.
    pub nonce: u64,
}
