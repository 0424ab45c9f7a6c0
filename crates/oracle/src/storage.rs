//! Storage networks: after each epoch the oracle challenges every active deal's
//! provider and settles the deals on the ledger.
//!
//! ```text
//!  epoch E over ─▶ seed = the first block with timestamp ≥ E's end (binary search
//!                  over GET /v1/blocks/{h}: one block, whatever head the oracle sees)
//!              ─▶ deals active in E (GET /v1/deals?network=N), endpoints (offers)
//!              ─▶ per deal: StorageChallenge::derive(seed, deal, E) ─▶ POST agent /prove
//!                  (providers in batches, answer_timeout_ms from each batch's start)
//!              ─▶ StorageRound {deals, answers} ─▶ spool
//!  close E ─▶ storage::score (verify every proof against its root) ─▶ outcomes
//!          ─▶ SettleStorage {E, [deal, proven]} for deals whose next epoch is E
//!             (signed, ≤128 results per tx; not sent again while one is pending)
//!          ─▶ manifest: work by MiB proven, usage by credits earned
//! ```
//!
//! The round goes into the spool with the epoch's other batches before any network
//! of the epoch is closed, so every manifest of the epoch names the same inputs and
//! `plinth oracle audit` recomputes the outcomes from the recorded answers (and
//! checks that the seed is exactly the first block sealed at or after the epoch's
//! end, so the oracle could not choose among blocks).
//!
//! The ledger applies a deal's result only for the deal's next unsettled epoch, so
//! the oracle settles every epoch in order: after downtime it closes every missed
//! epoch (at most [`MAX_CATCH_UP`] back, see [`crate::close`]), and a
//! deal's result for an epoch waits until the earlier epochs are settled. Deals
//! whose end is further back than that are closed with `CloseDeal` (best effort,
//! after the settlements).
//!
//! Challenges are grouped by provider device: each provider gets its own requests
//! (up to [`plinth_storage::agent::MAX_BATCH_CHALLENGES`] deals' challenges per `POST /v1/prove`,
//! [`REQUESTS_PER_PROVIDER`] requests at a time) and nothing is sent to it
//! after its batch's deadline, so an agent that never answers costs at most one
//! `answer_timeout_ms` per batch of providers and cannot take time from providers
//! in other batches (nor, by naming a victim's endpoint in its own offer, from the
//! victim's requests).
//!
//! The job's parts: [`providers`] (asking providers, no oracle state), `round`
//! (taking a round: [`Oracle::take_storage_round`](crate::Oracle::take_storage_round)),
//! `settle` (settling and closing deals); what it remembers between epochs is
//! `Settlements`.

pub mod providers;
mod round;
mod settle;

pub use providers::{
    ask_providers, ask_providers_checked, failure_code, Job, PROVIDERS_AT_ONCE,
    REQUESTS_PER_PROVIDER,
};

use plinth_core::Hash;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many epochs back an oracle that was down still challenges and settles
/// storage deals (the ledger settles each deal's epochs in order); deals that
/// ended before that are closed instead.
pub const MAX_CATCH_UP: u64 = 64;
/// How long a settlement transaction may stay pending before it is sent again.
pub const RESEND_AFTER: Duration = Duration::from_secs(30);

/// A storage network and epoch: `(network, epoch)`.
pub(crate) type SettlementKey = (String, u64);

/// Settlement transactions sent for one `(network, epoch)`, and when.
#[derive(Debug, Clone)]
pub(crate) struct SentSettlement {
    pub txs: Vec<Hash>,
    pub at: Instant,
}

/// What the storage job remembers between epochs: the settlements it sent and
/// those the ledger has made, and when it last closed abandoned deals.
#[derive(Default)]
pub(crate) struct Settlements {
    /// Storage epochs whose deals the ledger has settled.
    settled: Mutex<HashSet<SettlementKey>>,
    /// Settlement transactions sent per storage epoch, not sent again while one
    /// is pending.
    sent: Mutex<HashMap<SettlementKey, SentSettlement>>,
    /// The epoch in which abandoned deals were last closed.
    swept: Mutex<Option<u64>>,
}

impl Settlements {
    /// Whether the ledger has settled every deal of `key`'s epoch.
    fn is_settled(&self, key: &SettlementKey) -> bool {
        self.settled.lock().expect("settled lock").contains(key)
    }

    /// Notes that the ledger has settled every deal of `key`'s epoch.
    fn settled(&self, key: &SettlementKey) {
        self.settled
            .lock()
            .expect("settled lock")
            .insert(key.clone());
        self.sent.lock().expect("settlements lock").remove(key);
    }

    /// The settlement last sent for `key`, if any.
    fn sent(&self, key: &SettlementKey) -> Option<SentSettlement> {
        self.sent
            .lock()
            .expect("settlements lock")
            .get(key)
            .cloned()
    }

    /// Remembers the transactions sent for `key` (none: nothing changes).
    fn remember(&self, key: &SettlementKey, txs: Vec<Hash>) {
        if txs.is_empty() {
            return;
        }
        self.sent.lock().expect("settlements lock").insert(
            key.clone(),
            SentSettlement {
                txs,
                at: Instant::now(),
            },
        );
    }

    /// Whether abandoned deals were closed in `current` or later.
    fn swept_since(&self, current: u64) -> bool {
        self.swept
            .lock()
            .expect("sweep lock")
            .is_some_and(|e| e >= current)
    }

    /// Notes that abandoned deals were closed in `current`.
    fn swept(&self, current: u64) {
        *self.swept.lock().expect("sweep lock") = Some(current);
    }
}
