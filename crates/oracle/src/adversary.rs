//! A lying oracle, for tests and drills: `plinth oracle --adversary MODE` makes an
//! oracle propose manifests its honest peers must refuse (see [`crate::quorum`]).
//! An honest oracle never sets it.
//!
//! ```text
//!  inflate         the scores as computed, then the first entry paid more
//!  drop            one batch of the network's reports left out of the list
//!  invent          a report of a device that is not registered added
//!  forge-registry  a device of the oracle's own added to the registry snapshot,
//!                  with a report that pays it
//! ```

use crate::epoch::Manifest;
use crate::spool::SpoolBatch;
use crate::Oracle;
use anyhow::Result;
use plinth_core::{DeviceId, Hash, Keypair};
use plinth_proofs::{DeviceInfo, Report, SignedReport};

/// How a lying oracle lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adversary {
    /// Pays the first entry more than it earned.
    Inflate,
    /// Leaves a batch of reports out.
    Drop,
    /// Adds a report of an unregistered device.
    Invent,
    /// Adds a device of its own to the registry snapshot.
    ForgeRegistry,
}

impl std::str::FromStr for Adversary {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "inflate" => Adversary::Inflate,
            "drop" => Adversary::Drop,
            "invent" => Adversary::Invent,
            "forge-registry" => Adversary::ForgeRegistry,
            other => {
                return Err(format!(
                    "unknown adversary `{other}` (inflate, drop, invent, forge-registry)"
                ))
            }
        })
    }
}

/// The fake device's key: fixed, so a drill can look for it.
fn fake_device() -> Keypair {
    Keypair::from_seed(*Hash::tagged("plinth/adversary-device", b"").as_bytes())
}

impl Oracle {
    /// The batches a lying oracle scores instead of `batches` (its invented ones
    /// kept apart, where peers fetch them).
    pub(crate) fn tamper_batches(
        &self,
        a: Adversary,
        network: &str,
        epoch: u64,
        mut batches: Vec<(Hash, SpoolBatch)>,
    ) -> Result<Vec<(Hash, SpoolBatch)>> {
        match a {
            Adversary::Inflate => {}
            Adversary::Drop => {
                if let Some(i) = batches.iter().position(|(_, b)| {
                    matches!(b, SpoolBatch::Reports(rs) if rs.iter().any(|r| r.report.network == network))
                }) {
                    batches.remove(i);
                }
            }
            Adversary::Invent => {
                let r = self.fake_report(&Keypair::from_seed([0x1e; 32]), network, epoch);
                let b = SpoolBatch::Reports(vec![r]);
                batches.push((self.foreign.write(epoch, &b)?, b));
            }
            Adversary::ForgeRegistry => {
                let dev = fake_device();
                let mut parts = Vec::new();
                let mut out = Vec::new();
                for (h, b) in batches {
                    match b {
                        SpoolBatch::Registry(mut snaps) => {
                            if let Some(s) = snaps.iter_mut().find(|s| s.network == network) {
                                s.devices.push(DeviceInfo {
                                    id: DeviceId(dev.public()),
                                    owner: self.address(),
                                    location: s.devices.first().map_or(0, |d| d.location),
                                    active: true,
                                });
                            }
                            let nb = SpoolBatch::Registry(snaps);
                            let nh = self.foreign.write(epoch, &nb)?;
                            parts.push(nh);
                            out.push((nh, nb));
                        }
                        SpoolBatch::Storage(rs) => {
                            parts.push(h);
                            out.push((h, SpoolBatch::Storage(rs)));
                        }
                        SpoolBatch::Closed(_) => {}
                        b => out.push((h, b)),
                    }
                }
                parts.sort();
                let closed = SpoolBatch::Closed(parts);
                out.push((self.foreign.write(epoch, &closed)?, closed));
                let r = SpoolBatch::Reports(vec![self.fake_report(&dev, network, epoch)]);
                out.push((self.foreign.write(epoch, &r)?, r));
                batches = out;
            }
        }
        batches.sort_by_key(|(h, _)| *h);
        Ok(batches)
    }

    /// A lying oracle's manifest after scoring.
    pub(crate) fn tamper_manifest(&self, a: Adversary, m: &mut Manifest) {
        if a != Adversary::Inflate || m.entries.is_empty() {
            return;
        }
        m.entries[0].amount += m.header.total / 2 + 1;
        m.header.total = m.entries.iter().map(|e| e.amount).sum();
        m.header.root = plinth_ledger::rewards::manifest_root(&m.entries);
    }

    /// A well-signed report of `dev` in the middle of `epoch`.
    fn fake_report(&self, dev: &Keypair, network: &str, epoch: u64) -> SignedReport {
        let w = self.clock.window(epoch);
        let body = self
            .network_at(network, epoch)
            .ok()
            .flatten()
            .filter(|n| n.info.family == plinth_core::FamilyKind::Sensor)
            .map(|n| plinth_proofs::ReportBody::Reading {
                value_milli: 20_000,
                unit: n
                    .info
                    .params
                    .get("unit")
                    .and_then(|u| u.as_str())
                    .unwrap_or("celsius")
                    .to_string(),
            })
            .unwrap_or(plinth_proofs::ReportBody::Heartbeat);
        Report {
            chain: self.chain,
            device: DeviceId(dev.public()),
            network: network.to_string(),
            epoch,
            timestamp_ms: w.start_ms + (w.end_ms - w.start_ms) / 2,
            seq: 1,
            body,
        }
        .sign(dev)
    }
}

/// The device a `forge-registry` oracle adds to its snapshots (for drills).
pub fn fake_device_id() -> DeviceId {
    DeviceId(fake_device().public())
}
