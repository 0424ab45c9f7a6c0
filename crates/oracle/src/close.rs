//! Closing epochs: the spool's batches in, a signed manifest published and put on
//! the ledger.
//!
//! ```text
//!  every second (run.rs) ─▶ epochs due: spooled ones, and every epoch since the last
//!                           manifest (rewards: the ledger's max age back; storage:
//!                           MAX_CATCH_UP back)
//!  per epoch, once its end + close_grace has passed:
//!    storage rounds ─▶ registry snapshot ─▶ close record      (spool, once per epoch)
//!    per network: epoch::compute ─▶ refusals added ─▶ sign ─▶ manifests/ (published)
//!               ─▶ storage deals settled ─▶ SubmitManifest (unless the ledger has it)
//!  then deals ended too long ago are closed (CloseDeal)
//! ```
//!
//! The scoring itself is [`crate::epoch::compute`] (pure, what audits rerun); the
//! storage rounds and settlements are [`crate::storage`]'s.

use crate::epoch::{self, Manifest};
use crate::manifests::RewardClaim;
use crate::networks::EpochNetwork;
use crate::spool::SpoolBatch;
use crate::storage::MAX_CATCH_UP;
use crate::{now_ms, Oracle};
use anyhow::{Context, Result};
use plinth_core::Hash;
use std::ops::Range;

impl Oracle {
    /// A published manifest.
    pub fn manifest(&self, network: &str, epoch: u64) -> Result<Option<Manifest>> {
        self.manifests.read(network, epoch)
    }

    /// Every published manifest's (network, epoch), ascending by epoch.
    pub fn manifests(&self) -> Result<Vec<(String, u64)>> {
        Ok(self.manifests_page(None, usize::MAX))
    }

    /// At most `limit` published manifests' (network, epoch), ascending by
    /// (epoch, network), strictly after `after`.
    pub fn manifests_page(&self, after: Option<(u64, String)>, limit: usize) -> Vec<(String, u64)> {
        self.manifests.page(after, limit)
    }

    /// Every reward entry of `owner`'s devices, with proofs (from the index).
    pub fn rewards_of(&self, owner: &plinth_core::Address) -> Result<Vec<RewardClaim>> {
        Ok(self.manifests.rewards_of(owner))
    }

    /// The epochs storage networks must still be challenged and settled for,
    /// before `current`: every epoch after the last one with a manifest of every
    /// storage network (of the epoch before `current`), up to `current - 1`, at
    /// most [`MAX_CATCH_UP`] back.
    pub fn storage_epochs_due(&self, current: u64) -> Result<Range<u64>> {
        if current == 0 {
            return Ok(0..0);
        }
        let last = self.networks_at(current - 1)?;
        let names: Vec<&str> = last.storage().into_iter().map(|(n, _)| n).collect();
        self.epochs_due(&names, current.saturating_sub(MAX_CATCH_UP), current)
    }

    /// The epochs reward manifests are still due for, before `current`: every epoch
    /// after the last one with a manifest of every scored network (of the epoch
    /// before `current`), up to `current - 1`, at most `manifest_max_age_epochs`
    /// back (the ledger refuses older ones). Each is closed, reports or not,
    /// with an empty manifest if it paid nothing: an epoch left open on the
    /// ledger is one a leaked oracle key could still mint for itself.
    pub fn reward_epochs_due(&self, current: u64) -> Result<Range<u64>> {
        if current == 0 {
            return Ok(0..0);
        }
        let last = self.networks_at(current - 1)?;
        let names: Vec<&str> = last.scored().map(|n| n.name()).collect();
        let oldest = current.saturating_sub(self.emission.manifest_max_age_epochs);
        self.epochs_due(&names, oldest, current)
    }

    /// `from..current`: `from` the earliest epoch, not before `oldest`, that
    /// one of `networks` has no manifest for yet; a network's first is after
    /// its last manifest, or, without one, the first epoch it is in force in
    /// (a network added by proposal is closed from then).
    fn epochs_due(&self, networks: &[&str], oldest: u64, current: u64) -> Result<Range<u64>> {
        let mut from = current;
        for name in networks {
            let first = match self.manifests.last_epoch(name) {
                Some(e) => e.saturating_add(1).max(oldest),
                None => self.first_epoch_with(name, oldest, current - 1)?,
            };
            from = from.min(first);
        }
        Ok(from..current)
    }

    /// Closes every epoch whose end (plus the grace period) has passed and that has
    /// no manifest yet, and (re)submits manifests the ledger does not hold.
    /// Every network's epochs are closed, reports or not (see
    /// [`Oracle::reward_epochs_due`]).
    /// Storage networks are challenged after every epoch, reports or not: every
    /// epoch missed while the oracle was down is closed, in order (see
    /// [`Oracle::storage_epochs_due`]); then deals that ended too long ago to be
    /// settled are closed on the ledger. Blocking.
    pub fn close_due_epochs(&self, now: u64) -> Result<Vec<(String, u64)>> {
        let grace = self.config.close_grace.as_millis() as u64;
        let mut closed = Vec::new();
        let mut epochs = self.spool.epochs()?;
        let current = self.clock.epoch_of(now);
        // Set first, so that it moves on while passes fail (the alert on late
        // epochs compares it with the last one closed).
        self.metrics.epoch_current.set(gauge(current));
        epochs.extend(self.storage_epochs_due(current)?);
        epochs.extend(self.reward_epochs_due(current)?);
        epochs.sort();
        epochs.dedup();
        for epoch in epochs {
            if self.clock.window(epoch).end_ms.saturating_add(grace) > now {
                continue;
            }
            let mut pulled = false;
            // The networks as in force in the epoch: its shares, parameters and
            // allowances, and a network added by proposal from its first epoch.
            let networks = self.networks_at(epoch)?;
            for n in &networks.networks {
                match self.manifest(n.name(), epoch)? {
                    Some(m) => self.finish(m)?,
                    None if !self.config.peers.is_empty()
                        && self.node.reward_epoch(n.name(), epoch)?.is_some() =>
                    {
                        self.adopt(n.name(), epoch)?
                    }
                    None if self.proposes(epoch, now) => {
                        // The peers' last batches before the cut-off, so that no
                        // member finds one of its own left out.
                        if !pulled && !self.config.peers.is_empty() {
                            self.pull(epoch);
                            pulled = true;
                        }
                        if let Some(m) = self.close(n, epoch)? {
                            self.finish(m)?;
                            closed.push((n.info.name.clone(), epoch));
                        }
                    }
                    None => {}
                }
            }
            self.ingest.state().forget_before(epoch);
        }
        // The gauges only watch: a failure to read them never fails a pass.
        if let Err(e) = self.observe_closed(current, now) {
            tracing::debug!(error = %e, "the closing gauges were not updated");
        }
        if current > 0 {
            self.close_abandoned_deals(current)?;
        }
        Ok(closed)
    }

    /// Sets the gauges of closing at `now`: the last epoch closed (every scored
    /// network's manifest of it and of each epoch before it is here) and how long
    /// the epoch after it is past its cut-off (what the alert on late epochs reads).
    fn observe_closed(&self, current: u64, now: u64) -> Result<()> {
        let due = self.reward_epochs_due(current)?;
        let grace = self.config.close_grace.as_millis() as u64;
        self.metrics
            .epoch_last_closed
            .set(gauge(due.start).saturating_sub(1));
        let overdue_ms = if due.is_empty() {
            0
        } else {
            let cutoff = self.clock.window(due.start).end_ms.saturating_add(grace);
            now.saturating_sub(cutoff)
        };
        self.metrics
            .epoch_close_overdue
            .set(gauge(overdue_ms / 1000));
        Ok(())
    }

    /// Every batch of `epoch`, with its hash, in hash order.
    fn read_batches(&self, epoch: u64) -> Result<Vec<(Hash, SpoolBatch)>> {
        Ok(self
            .spool
            .batches(epoch)?
            .into_iter()
            .map(|h| self.spool.read(epoch, &h).map(|b| (h, b)))
            .collect::<Result<_, _>>()?)
    }

    /// The epoch's batches, writing the registry snapshot and the storage rounds
    /// first if the epoch has none yet (so every network of the epoch is scored
    /// against the same ones). Both may take several batches (each below the
    /// spool's read limit); a [`SpoolBatch::Closed`] batch written after them
    /// names them, and until it exists the close is redone from scratch (parts
    /// left by an attempt that stopped half-way are removed: no manifest names
    /// them).
    fn epoch_batches(&self, epoch: u64) -> Result<Vec<(Hash, SpoolBatch)>> {
        let batches = self.read_batches(epoch)?;
        if batches
            .iter()
            .any(|(_, b)| matches!(b, SpoolBatch::Closed(_)))
        {
            return Ok(batches);
        }
        for (h, b) in &batches {
            if matches!(
                b,
                SpoolBatch::Registry(_)
                    | SpoolBatch::Storage(_)
                    | SpoolBatch::Earnings(_)
                    | SpoolBatch::FamilyStates(_)
            ) {
                self.spool.remove(epoch, h)?;
            }
        }
        drop(batches);
        self.write_close_inputs(epoch)?;
        self.read_batches(epoch)
    }

    /// Writes what closing `epoch` adds to its spool: the storage rounds, the
    /// registry snapshot, and the close record naming them.
    fn write_close_inputs(&self, epoch: u64) -> Result<()> {
        // Storage rounds go first: taking them may fail (no block after the
        // epoch's end yet), and then nothing of the epoch is written.
        let mut rounds = Vec::new();
        for (network, params) in self.networks_at(epoch)?.storage() {
            rounds.push(self.take_storage_round(network, params, epoch)?);
        }
        let mut written = Vec::new();
        if !rounds.is_empty() {
            written.extend(self.spool.write_all(epoch, SpoolBatch::Storage(rounds))?);
        }
        // Compute networks are paid by what the ledger recorded they earned;
        // custom families' networks pay the credits earned from bursts as usage.
        let mut earnings = Vec::new();
        let networks = self.networks_at(epoch)?;
        let earning = networks
            .compute()
            .into_iter()
            .map(|(n, _)| n)
            .chain(networks.wasm())
            .chain(networks.energy());
        for network in earning {
            earnings.push(self.compute_earnings(network, epoch)?);
        }
        if !earnings.is_empty() {
            written.extend(
                self.spool
                    .write_all(epoch, SpoolBatch::Earnings(earnings))?,
            );
        }
        // Custom families get the state their module returned for the epoch
        // before (empty for a network's first epoch, or one this oracle did not
        // compute).
        let mut states = Vec::new();
        for network in self.networks_at(epoch)?.wasm() {
            let before = epoch.checked_sub(1);
            let state = match before {
                Some(b) => self.manifests.read_state(network, b)?,
                None => None,
            };
            if state.is_none()
                && before
                    .is_some_and(|b| self.manifests.last_epoch(network).is_some_and(|l| l >= b))
            {
                tracing::warn!(
                    network,
                    epoch,
                    "no family state of the epoch before: the module starts from an empty one"
                );
            }
            states.push(crate::spool::FamilyState {
                network: network.to_string(),
                epoch: before.unwrap_or(0),
                state: state.unwrap_or_default(),
            });
        }
        if !states.is_empty() {
            written.extend(
                self.spool
                    .write_all(epoch, SpoolBatch::FamilyStates(states))?,
            );
        }
        self.refresh_registry_checked(self.clock.window(epoch).end_ms)?;
        let snaps = {
            let state = self.ingest.state();
            state.registry_snapshots(
                state.registry_height,
                state.registry_networks.iter().map(String::as_str),
            )
        };
        written.extend(self.spool.write_all(epoch, SpoolBatch::Registry(snaps))?);
        written.sort();
        self.spool.write_all(epoch, SpoolBatch::Closed(written))?;
        Ok(())
    }

    /// Scores one network's epoch with its family, allowance and usage split as
    /// in force in that epoch, signs the manifest and publishes it (file).
    fn close(&self, n: &EpochNetwork, epoch: u64) -> Result<Option<Manifest>> {
        let Some(spec) = n.spec(self.chain, self.clock.window(epoch)) else {
            if let Err(e) = &n.family {
                tracing::warn!(network = %n.name(), error = %e, "network not scored");
            }
            return Ok(None);
        };
        let mut batches = self.epoch_batches(epoch)?;
        if let Some(a) = self.config.adversary {
            batches = self.tamper_batches(a, n.name(), epoch, batches)?;
        }
        if self.config.record_family_inputs
            && n.info.family != plinth_core::FamilyKind::Storage
            && n.info.family != plinth_core::FamilyKind::Compute
        {
            self.record_family_input(n, &spec, epoch, batches.clone())?;
        }
        // A custom family that fails (out of fuel, a trap, a bad output) fails
        // the epoch: no manifest; the next close pass tries again.
        let (mut m, state) = epoch::try_compute(&spec, batches).map_err(|e| {
            self.metrics
                .family_failures
                .get_or_create(&crate::metrics::ReasonLabel { reason: e.code() })
                .inc();
            tracing::warn!(network = %n.name(), epoch, code = %e.code(), error = %e, "family failed; epoch not closed");
            anyhow::anyhow!("network {} epoch {epoch}: {e}", n.name())
        })?;
        if let Some(a) = self.config.adversary {
            self.tamper_manifest(a, &mut m);
        }
        // Reports refused at ingest (not in the spool, so not part of the audited
        // computation) are published beside the family's rejections.
        if let Some(refused) = self.ingest.state().refused_in(n.name(), epoch) {
            for (code, count) in refused {
                *m.rejected.entry(code.clone()).or_insert(0) += count;
            }
        }
        m.signatures.push(m.header.sign(&self.key));
        if matches!(spec.family, plinth_proofs::Family::Wasm(_)) {
            self.manifests.save_state(n.name(), epoch, &state)?;
        }
        self.manifests.publish(n.name(), epoch, &m)?;
        self.metrics.epochs_closed.inc();
        tracing::info!(
            network = %n.name(), epoch, devices = m.header.devices, total = m.header.total,
            root = %m.header.root, "epoch closed"
        );
        Ok(Some(m))
    }

    /// Writes the epoch as a family ABI input (`config.record_family_inputs`).
    fn record_family_input(
        &self,
        n: &EpochNetwork,
        spec: &epoch::EpochSpec<'_>,
        epoch: u64,
        batches: Vec<(plinth_core::Hash, SpoolBatch)>,
    ) -> Result<()> {
        let mut params = n.info.params.clone();
        if let Some(o) = params.as_object_mut() {
            for k in plinth_proofs::wasm::HOST_PARAMS {
                o.remove(*k);
            }
        }
        let bytes = epoch::family_input(spec, &params.to_string(), batches);
        let dir = self.config.data_dir.join("family-inputs").join(n.name());
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{epoch:010}.input"));
        let tmp = path.with_extension("input-tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// Gathers the set's signatures for a manifest this oracle holds, then settles
    /// and submits it once it has the threshold (else it is proposed again later).
    fn finish(&self, mut m: Manifest) -> Result<()> {
        // An oracle outside the epoch's set neither proposes nor submits.
        if !self.config.peers.is_empty()
            && !self
                .set_at(m.header.epoch)?
                .members
                .contains(&self.address())
        {
            return Ok(());
        }
        if !self.gather(&mut m)? {
            return Ok(());
        }
        // A co-signer's copy goes on the ledger only if the proposer has not put
        // it there in its time (one transaction per manifest, not one per member).
        let proposed_by_me = m.signatures.first().map(|s| s.oracle) == Some(self.address());
        let proposer_had_time = now_ms()
            > self
                .cutoff_ms(m.header.epoch)
                .saturating_add(self.config.propose_after.as_millis() as u64)
                .saturating_add(self.config.proposal_timeout.as_millis() as u64);
        if proposed_by_me || proposer_had_time {
            self.ensure_submitted(&m)?;
        }
        Ok(())
    }

    /// Takes the manifest the ledger accepted for an epoch this oracle did not
    /// sign (it was down), from a peer: kept if its header is the ledger's and its
    /// entries hash to its root, so this oracle serves its claims too.
    fn adopt(&self, network: &str, epoch: u64) -> Result<()> {
        let Some(on_chain) = self.node.reward_epoch(network, epoch)? else {
            return Ok(());
        };
        for url in &self.config.peers {
            let peer = plinth_api::OracleClient::with_timeout(url, crate::peers::PEER_READ_TIMEOUT);
            let Ok(Some(m)) = peer.manifest(network, epoch) else {
                continue;
            };
            if m.header == on_chain.header
                && plinth_ledger::rewards::manifest_root(&m.entries) == m.header.root
            {
                self.manifests.publish(network, epoch, &m)?;
                tracing::info!(network, epoch, peer = %url, "manifest taken from a peer");
                return Ok(());
            }
        }
        Ok(())
    }

    /// Settles a storage manifest's deals, and puts the manifest on the ledger
    /// unless it is there already or too old for the ledger to take. A manifest
    /// that pays nothing goes too: it closes its epoch on the ledger for good.
    fn ensure_submitted(&self, m: &Manifest) -> Result<()> {
        self.ensure_settled(m)?;
        let current = self.clock.epoch_of(now_ms());
        if self.emission.manifest_too_old(m.header.epoch, current) {
            return Ok(());
        }
        if self
            .node
            .reward_epoch(&m.header.network, m.header.epoch)?
            .is_some()
        {
            return Ok(());
        }
        let tx = self
            .send_tx(plinth_ledger::Call::SubmitManifest {
                header: m.header.clone(),
                signatures: m.signatures.clone(),
            })
            .context("submitting the manifest")?;
        tracing::info!(network = %m.header.network, epoch = m.header.epoch, tx = %tx, "manifest submitted");
        Ok(())
    }
}

/// `n` as a gauge's value (saturating at `i64::MAX`).
fn gauge(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
