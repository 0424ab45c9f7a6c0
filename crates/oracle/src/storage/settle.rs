//! Settling storage deals on the ledger after each epoch, in order, and closing
//! deals that ended too long ago to be settled.

use super::{SettlementKey, RESEND_AFTER};
use crate::epoch::Manifest;
use crate::storage::MAX_CATCH_UP;
use crate::Oracle;
use anyhow::{Context, Result};
use plinth_api::node::{TxStatus, TxView};
use plinth_core::Hash;
use plinth_ledger::storage::{Deal, DealResult, DealStatus, StorageSettlement};
use std::collections::HashMap;

impl Oracle {
    /// Whether a settlement sent for `key` less than [`RESEND_AFTER`] ago is still
    /// pending in the node's mempool.
    fn settlement_pending(&self, key: &SettlementKey) -> Result<bool> {
        let Some(sent) = self.settlements.sent(key) else {
            return Ok(false);
        };
        if sent.at.elapsed() >= RESEND_AFTER {
            return Ok(false);
        }
        for tx in &sent.txs {
            let view: Option<TxView> = self.node.get_opt(&format!("/v1/txs/{tx}"))?;
            if view.is_some_and(|v| v.status == TxStatus::Pending) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Puts the settlement of a storage manifest's deals on the ledger: results for
    /// the deals whose next unsettled epoch is the manifest's, at most
    /// [`plinth_ledger::storage::MAX_SETTLEMENT_RESULTS`] per transaction. Deals
    /// with an earlier epoch still unsettled wait for it (the ledger takes epochs
    /// in order). Nothing is sent while a settlement sent for the epoch is pending
    /// (for up to [`RESEND_AFTER`]). Returns whether every deal is settled for the
    /// epoch (nothing left to send).
    pub(crate) fn ensure_settled(&self, m: &Manifest) -> Result<bool> {
        let key = (m.header.network.clone(), m.header.epoch);
        if m.deals.is_empty() || self.settlements.is_settled(&key) {
            return Ok(true);
        }
        if self.settlement_pending(&key)? {
            return Ok(false);
        }
        // Deals no longer active are settled for good (completed, slashed, closed).
        let active: HashMap<Hash, Deal> = self
            .active_deals(&m.header.network)?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        let (due, waiting) = due_results(m, &active);
        if due.is_empty() {
            if waiting == 0 {
                self.settlements.settled(&key);
                return Ok(true);
            }
            return Ok(false);
        }
        self.send_settlements(m, &key, &due, waiting)?;
        Ok(false)
    }

    /// Sends `due` (results for the manifest's epoch) in transactions of at most
    /// [`plinth_ledger::storage::MAX_SETTLEMENT_RESULTS`], and remembers what was
    /// sent, also when a send fails (so that it is not sent twice).
    fn send_settlements(
        &self,
        m: &Manifest,
        key: &SettlementKey,
        due: &[DealResult],
        waiting: usize,
    ) -> Result<()> {
        let epoch = m.header.epoch;
        let mut sent = Vec::new();
        for results in due.chunks(plinth_ledger::storage::MAX_SETTLEMENT_RESULTS) {
            let settlement = StorageSettlement {
                chain: self.chain,
                network: m.header.network.clone(),
                epoch,
                results: results.to_vec(),
            };
            let signatures = self.gather_settlement(&settlement);
            let tx = self.send_tx(plinth_ledger::Call::SettleStorage {
                settlement,
                signatures,
            });
            let tx = match tx {
                Ok(tx) => tx,
                Err(e) => {
                    // What was sent is still remembered, so it is not sent twice.
                    self.settlements.remember(key, sent);
                    return Err(e).context("settling storage deals");
                }
            };
            sent.push(tx);
            tracing::info!(
                network = %m.header.network,
                epoch,
                deals = results.len(),
                proven = results.iter().filter(|r| r.proven).count(),
                waiting,
                tx = %tx,
                "storage deals settled"
            );
        }
        self.settlements.remember(key, sent);
        Ok(())
    }

    /// Closes (best effort, with `CloseDeal`) the active deals of every storage
    /// network (of epoch `current`) whose end is more than [`MAX_CATCH_UP`]
    /// epochs before `current`: beyond anything this oracle still settles, so
    /// their escrow and collateral do not stay locked. Runs once per epoch.
    pub(crate) fn close_abandoned_deals(&self, current: u64) -> Result<()> {
        if self.settlements.swept_since(current) {
            return Ok(());
        }
        for (network, _) in self.networks_at(current)?.storage() {
            let deals = match self.active_deals(network) {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(network, error = %e, "listing deals to close failed");
                    return Ok(());
                }
            };
            for d in deals.iter().filter(|d| {
                d.status == DealStatus::Active && d.end_epoch.saturating_add(MAX_CATCH_UP) < current
            }) {
                match self.send_tx(plinth_ledger::Call::CloseDeal { deal: d.id }) {
                    Ok(tx) => tracing::info!(deal = %d.id, tx = %tx, "abandoned deal closed"),
                    Err(e) => {
                        tracing::warn!(deal = %d.id, error = %e, "closing an abandoned deal failed")
                    }
                }
            }
        }
        self.settlements.swept(current);
        Ok(())
    }
}

/// The results due for the manifest's epoch (deals still active whose next
/// unsettled epoch it is), and how many deals wait for an earlier epoch first.
fn due_results(m: &Manifest, active: &HashMap<Hash, Deal>) -> (Vec<DealResult>, usize) {
    let epoch = m.header.epoch;
    let mut waiting = 0usize;
    let mut due: Vec<DealResult> = Vec::new();
    for o in &m.deals {
        let Some(d) = active.get(&o.deal) else {
            continue;
        };
        if epoch >= d.end_epoch || d.next_epoch > epoch {
            continue;
        }
        if d.next_epoch < epoch {
            waiting += 1;
            continue;
        }
        due.push(DealResult {
            deal: o.deal,
            proven: o.proven,
        });
    }
    (due, waiting)
}
