//! The oracle's API (`/v1` on an oracle): reports in and verdicts out,
//! challenges and beacon rounds for devices, manifests and reward claims for
//! wallets and auditors, price co-signing between oracles. Documented for other
//! languages in `crates/oracle/openapi.yaml`.

use crate::node::NetworkView;
use plinth_core::{Address, DeviceId, EpochClock, Hash};
use plinth_ledger::credits::PricePoint;
use plinth_ledger::rewards::{ManifestEntry, ManifestHeader, OracleSignature};
use plinth_ledger::storage::StorageSettlement;
use plinth_proofs::{BeaconRound, SignedReport};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `POST /v1/reports`: signed device reports, each the hex of its canonical
/// encoding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsRequest {
    /// Hex of each report's canonical encoding.
    pub reports: Vec<String>,
}

impl ReportsRequest {
    /// The request that sends `reports`, in order.
    pub fn new(reports: &[SignedReport]) -> Self {
        ReportsRequest {
            reports: reports.iter().map(|r| hex::encode(r.encode())).collect(),
        }
    }
}

/// The content type of a binary `POST /v1/reports` body: the reports' canonical
/// encodings, each after its length ([`frame_reports`]). The same verdicts as
/// the JSON body's, without hex or JSON to decode.
pub const REPORTS_BINARY: &str = "application/octet-stream";

/// Bytes of a frame's length prefix.
const FRAME_LEN_BYTES: usize = 4;

/// A binary `POST /v1/reports` body ([`REPORTS_BINARY`]): each report's
/// length (4 bytes, little-endian) then its canonical encoding, in order.
pub fn frame_reports<B: AsRef<[u8]>>(reports: &[B]) -> Vec<u8> {
    let len = reports
        .iter()
        .map(|r| FRAME_LEN_BYTES + r.as_ref().len())
        .sum();
    let mut out = Vec::with_capacity(len);
    for r in reports {
        let r = r.as_ref();
        let n = u32::try_from(r.len()).expect("a report is far below 4 GiB");
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(r);
    }
    out
}

/// Why a binary `POST /v1/reports` body is not a list of framed reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The body ends inside a length prefix or a report.
    #[error("the body ends inside report {index} (at byte {at}): each report is a 4-byte little-endian length, then that many bytes")]
    Truncated {
        /// The report's position, from 0.
        index: usize,
        /// Where its frame starts.
        at: usize,
    },
    /// More reports than one request may carry.
    #[error("at most {limit} reports per request")]
    TooMany {
        /// The most allowed.
        limit: usize,
    },
}

/// The byte range of each report in a binary body ([`frame_reports`]), in
/// order; at most `max_reports` of them. A report's own size limit is its
/// decoder's (an oversized report gets its own verdict, as in a JSON body).
pub fn report_frames(
    body: &[u8],
    max_reports: usize,
) -> Result<Vec<std::ops::Range<usize>>, FrameError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < body.len() {
        if out.len() == max_reports {
            return Err(FrameError::TooMany { limit: max_reports });
        }
        let truncated = FrameError::Truncated {
            index: out.len(),
            at,
        };
        let Some(prefix) = body.get(at..at + FRAME_LEN_BYTES) else {
            return Err(truncated);
        };
        let n = u32::from_le_bytes(prefix.try_into().expect("4 bytes")) as usize;
        let start = at + FRAME_LEN_BYTES;
        if body.len() - start < n {
            return Err(truncated);
        }
        out.push(start..start + n);
        at = start + n;
    }
    Ok(out)
}

/// The answer to `POST /v1/reports`: one verdict per report, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportsResponse {
    /// How many were accepted.
    pub accepted: usize,
    /// One verdict each.
    pub results: Vec<Verdict>,
}

/// The oracle's answer for one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The report's hash (absent for a report that did not decode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Hash>,
    /// Accepted or rejected.
    pub status: VerdictStatus,
    /// Why it was rejected, for machines (`bad_signature`, `stale`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Why it was rejected, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Whether a report was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictStatus {
    /// In the spool: it counts in its epoch.
    Accepted,
    /// Refused (see the verdict's `code` and `reason`).
    Rejected,
}

impl Verdict {
    /// The verdict of the accepted report `hash`.
    pub fn accepted(hash: Hash) -> Verdict {
        Verdict {
            hash: Some(hash),
            status: VerdictStatus::Accepted,
            code: None,
            reason: None,
        }
    }

    /// The verdict of a refused report: its hash if it decoded, the refusal's
    /// code and reason.
    pub fn rejected(
        hash: Option<Hash>,
        code: impl Into<String>,
        reason: impl Into<String>,
    ) -> Verdict {
        Verdict {
            hash,
            status: VerdictStatus::Rejected,
            code: Some(code.into()),
            reason: Some(reason.into()),
        }
    }

    /// Whether the report was accepted.
    pub fn is_accepted(&self) -> bool {
        self.status == VerdictStatus::Accepted
    }
}

/// The items of `GET /v1/challenges/{device}`: a probe the device may still
/// answer (with a report naming `challenge`) before `deadline_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// The device probed.
    pub device: DeviceId,
    /// What its answer must name.
    pub challenge: Hash,
    /// When the probe was issued (the oracle's clock, Unix milliseconds).
    pub issued_ms: u64,
    /// When the answer must have arrived.
    pub deadline_ms: u64,
}

/// `GET /v1/rounds/{network}`: the beacon rounds the oracle drew for a coverage
/// network (those of the current and the previous epoch, ascending).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundsView {
    /// The coverage network.
    pub network: String,
    /// Its drawn rounds.
    pub rounds: Vec<BeaconRound>,
}

/// `GET /v1/status` on an oracle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OracleStatus {
    /// The chain's id.
    pub chain_id: String,
    /// The chain's identity ([`plinth_core::chain_identity`] of its genesis hash):
    /// reports must name it.
    pub chain: Hash,
    /// The oracle's address (it signs manifests).
    pub oracle: Address,
    /// The reward epoch now, by the oracle's clock.
    pub epoch: u64,
    /// The length of a reward epoch.
    pub epoch_ms: u64,
    /// Reward epochs count from here.
    pub genesis_time_ms: u64,
    /// The networks the oracle scores.
    pub networks: Vec<NetworkView>,
}

impl OracleStatus {
    /// The chain's epoch schedule.
    pub fn clock(&self) -> EpochClock {
        EpochClock {
            genesis_time_ms: self.genesis_time_ms,
            epoch_ms: self.epoch_ms,
        }
    }
}

/// The query of `GET /v1/manifests`: `limit` (1 to 1000, the default) and
/// `after`, the last item of the previous page as `<epoch>:<network>`, or
/// `<epoch>` to start after every manifest of that epoch.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestPage {
    /// Most items on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Where the page starts (after this item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The items of `GET /v1/manifests`: a published manifest's network and epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRef {
    /// The network.
    pub network: String,
    /// The reward epoch.
    pub epoch: u64,
}

/// `GET /v1/manifests/{network}/{epoch}`: a manifest as the oracle publishes it:
/// the header the ledger holds, every entry, the batches it was computed from,
/// and what was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// What the oracle quorum signs and the ledger holds.
    pub header: ManifestHeader,
    /// Every payment, in the order the header's merkle root commits to.
    pub entries: Vec<ManifestEntry>,
    /// The spool batches of the epoch, in hash order; `header.inputs` is their hash.
    pub batches: Vec<Hash>,
    /// The oracles' signatures over the header.
    pub signatures: Vec<OracleSignature>,
    /// Reports the family did not count, and reports refused at ingest, by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Devices with a positive score.
    pub scored: u64,
    /// Storage networks: every deal's outcome in the epoch (what settles the
    /// ledger's deals).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deals: Vec<plinth_proofs::storage::DealOutcome>,
    /// Usage rewards: credits each device earned from consumers in the epoch.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub usage: BTreeMap<DeviceId, u64>,
    /// Members of the oracle set that refused to co-sign this manifest, and why
    /// (as the proposer recorded their answers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<ManifestRefusal>,
    /// A custom family's awards (tag → devices), in the order the header's
    /// `awards` root commits to: what bursts pay on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awards: Vec<plinth_ledger::oracle_set::Award>,
}

/// `GET /v1/manifests/{network}/{epoch}/awards/{tag}`: one award of a manifest
/// with its inclusion proof under the header's `awards` root (what
/// `ClaimBurst` carries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardProof {
    /// The network.
    pub network: String,
    /// The manifest's epoch.
    pub epoch: u64,
    /// The award.
    pub award: plinth_ledger::oracle_set::Award,
    /// Its inclusion proof.
    pub proof: plinth_core::merkle::Proof,
}

/// A member's refusal to co-sign a manifest: who, the refusal's code (e.g.
/// `omits_batches`, `invalid_batch`, `registry_mismatch`, `differs`) and its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestRefusal {
    /// The oracle that refused.
    pub oracle: Address,
    /// The refusal's code.
    pub code: String,
    /// What it found, in words.
    pub reason: String,
}

/// `POST /v1/cosign/manifest`: a member proposes a network's manifest for an
/// epoch; the asked oracle recomputes it from the listed batches (fetching those it
/// lacks from its peers and re-admitting every report in them) and signs only the
/// same header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestProposal {
    /// The proposed header.
    pub header: ManifestHeader,
    /// Every batch it was scored over, in hash order (`header.inputs` is their hash).
    pub batches: Vec<Hash>,
    /// The proposer's signature over the header.
    pub signature: OracleSignature,
}

/// `POST /v1/cosign/settlement`: a member asks for signatures over a storage
/// settlement; the asked oracle signs only if it holds that network's manifest for
/// the epoch (computed or co-signed by itself) and every result matches its deal
/// outcomes. The answer is the asked oracle's [`OracleSignature`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementProposal {
    /// The settlement to co-sign.
    pub settlement: StorageSettlement,
    /// The requester's signature over it.
    pub signature: OracleSignature,
}

/// The query by which a member of the oracle set reads another's spool while the
/// epoch is still open (`GET /v1/spool/{epoch}?oracle=…&time_ms=…&signature=…`):
/// its signature over [`PeerAuth::message`], at most the asked oracle's clock skew
/// old. Everyone else reads an epoch's spool only once it is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerAuth {
    /// The reading oracle.
    pub oracle: Address,
    /// When it signed (its clock).
    pub time_ms: u64,
    /// Its signature over [`PeerAuth::message`].
    pub signature: plinth_core::Signature,
}

impl PeerAuth {
    /// What a reading oracle signs: a domain tag, the chain's identity, the epoch
    /// and the time.
    pub fn message(chain: &Hash, epoch: u64, time_ms: u64) -> Vec<u8> {
        let mut m = b"plinth/peer-spool-read/v1".to_vec();
        m.extend_from_slice(chain.as_bytes());
        m.extend_from_slice(&epoch.to_le_bytes());
        m.extend_from_slice(&time_ms.to_le_bytes());
        m
    }

    /// `key`'s authorisation to read `epoch`'s spool at `time_ms`.
    pub fn sign(key: &plinth_core::Keypair, chain: &Hash, epoch: u64, time_ms: u64) -> PeerAuth {
        PeerAuth {
            oracle: Address(key.public()),
            time_ms,
            signature: key.sign(&Self::message(chain, epoch, time_ms)),
        }
    }

    /// Whether the signature is the named oracle's over `epoch` at its time.
    pub fn verify(&self, chain: &Hash, epoch: u64) -> bool {
        self.oracle
            .key()
            .verify(&Self::message(chain, epoch, self.time_ms), &self.signature)
            .is_ok()
    }

    /// The query string (without `?`).
    pub fn query(&self) -> String {
        serde_urlencoded::to_string(self).expect("a flat struct encodes")
    }
}

/// One refusal this oracle gave to a manifest proposal (`GET /v1/cosign/refusals`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusalRecord {
    /// The network of the proposal.
    pub network: String,
    /// Its epoch.
    pub epoch: u64,
    /// Who proposed it.
    pub proposer: Address,
    /// The refusal's code.
    pub code: String,
    /// What was found, in words.
    pub reason: String,
    /// When (this oracle's clock).
    pub at_ms: u64,
}

/// The items of `GET /v1/rewards/{owner}`: a claimable reward, one manifest
/// entry with its merkle proof (what a `Claim` transaction needs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RewardClaim {
    /// The manifest's network.
    pub network: String,
    /// The manifest's epoch.
    pub epoch: u64,
    /// The entry's index in the manifest.
    pub index: u64,
    /// The entry.
    pub entry: ManifestEntry,
    /// Its inclusion proof under the manifest's root.
    pub proof: plinth_core::merkle::Proof,
}

/// `POST /v1/cosign/price`: a price and the requesting oracle's own signature
/// over it. The answer is the asked oracle's [`OracleSignature`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosignRequest {
    /// The price to co-sign.
    pub price: PricePoint,
    /// The requester's signature over it.
    pub signature: OracleSignature,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_keep_their_wire_shape() {
        let h = Hash::of(b"r");
        assert_eq!(
            serde_json::to_value(Verdict::accepted(h)).unwrap(),
            serde_json::json!({"hash": h.to_string(), "status": "accepted"})
        );
        assert_eq!(
            serde_json::to_value(Verdict::rejected(None, "malformed", "not hex")).unwrap(),
            serde_json::json!({"status": "rejected", "code": "malformed", "reason": "not hex"})
        );
    }

    #[test]
    fn framed_reports_split_back_and_bad_frames_are_named() {
        let reports: Vec<Vec<u8>> = vec![vec![1, 2, 3], vec![], vec![9; 300]];
        let body = frame_reports(&reports);
        assert_eq!(body.len(), 3 * 4 + 303);
        let frames = report_frames(&body, 3).unwrap();
        let back: Vec<&[u8]> = frames.iter().map(|r| &body[r.clone()]).collect();
        assert_eq!(back, reports.iter().map(Vec::as_slice).collect::<Vec<_>>());
        assert_eq!(report_frames(&[], 3).unwrap(), vec![]);
        assert_eq!(
            report_frames(&body, 2),
            Err(FrameError::TooMany { limit: 2 })
        );
        // Cut inside the last report, then inside the second's length.
        assert_eq!(
            report_frames(&body[..body.len() - 1], 3),
            Err(FrameError::Truncated { index: 2, at: 11 })
        );
        assert_eq!(
            report_frames(&body[..9], 3),
            Err(FrameError::Truncated { index: 1, at: 7 })
        );
        // A length past the end (even near u32::MAX) is truncation, not a panic.
        assert_eq!(
            report_frames(&[0xff, 0xff, 0xff, 0xff, 0], 3),
            Err(FrameError::Truncated { index: 0, at: 0 })
        );
    }
}

/// `POST /v1/cosign/verdict`: a member asks for signatures over its spot check of
/// a revealed compute claim; the asked oracle re-executes the drawn tasks itself
/// and signs only the same verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictProposal {
    /// The verdict to co-sign.
    pub verdict: plinth_ledger::compute::JobVerdict,
    /// The requester's signature over it.
    pub signature: OracleSignature,
}

/// `POST /v1/cosign/checks`: a member asks for signatures over an epoch's
/// capacity checks of a compute network's leases; the asked oracle signs only if
/// every failure listed for a lease is one it saw itself (it checks the leases too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksProposal {
    /// The checks to co-sign.
    pub checks: plinth_ledger::compute::ComputeChecks,
    /// The requester's signature over them.
    pub signature: OracleSignature,
}
