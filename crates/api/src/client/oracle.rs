//! [`OracleClient`]: the oracle's API, typed.

use super::{with_query, Result, Service};
use crate::oracle::*;
use plinth_core::{Address, DeviceId, EpochClock, Hash};
use plinth_ledger::rewards::OracleSignature;
use plinth_proofs::{BeaconRound, SignedReport};

service_client!(
    /// A blocking client of an oracle's API (call it from blocking threads).
    OracleClient,
    Service::Oracle,
    "oracle"
);

impl OracleClient {
    /// `GET /v1/status`.
    pub fn status(&self) -> Result<OracleStatus> {
        self.get("/v1/status")
    }

    /// The chain's epoch schedule, from the oracle's status.
    pub fn clock(&self) -> Result<EpochClock> {
        Ok(self.status()?.clock())
    }

    /// `POST /v1/reports`: sends reports (in a binary body, [`REPORTS_BINARY`]);
    /// the oracle's answer.
    pub fn submit_reports(&self, reports: &[SignedReport]) -> Result<ReportsResponse> {
        let encoded: Vec<Vec<u8>> = reports.iter().map(SignedReport::encode).collect();
        self.http
            .post_bytes("/v1/reports", REPORTS_BINARY, &frame_reports(&encoded))
    }

    /// Sends reports; one verdict each, in order.
    pub fn send(&self, reports: &[SignedReport]) -> Result<Vec<Verdict>> {
        Ok(self.submit_reports(reports)?.results)
    }

    /// `GET /v1/challenges/{device}`: the probes the device may still answer.
    pub fn challenges(&self, device: &DeviceId) -> Result<Vec<Challenge>> {
        self.get(&format!("/v1/challenges/{device}"))
    }

    /// `GET /v1/rounds/{network}`: the beacon rounds the oracle drew for a
    /// coverage network (those of the current and the previous epoch, ascending).
    pub fn rounds(&self, network: &str) -> Result<Vec<BeaconRound>> {
        Ok(self
            .get::<RoundsView>(&format!("/v1/rounds/{network}"))?
            .rounds)
    }

    /// `GET /v1/spool/{epoch}`: the hashes of a closed epoch's spool batches.
    pub fn spool(&self, epoch: u64) -> Result<Vec<Hash>> {
        self.get(&format!("/v1/spool/{epoch}"))
    }

    /// `GET /v1/spool/{epoch}/{hash}`: one spool batch as stored, refused when
    /// over `max_bytes` ([`super::ClientError::TooLarge`]).
    pub fn spool_batch(&self, epoch: u64, hash: &Hash, max_bytes: u64) -> Result<Vec<u8>> {
        self.http
            .get_bytes(&format!("/v1/spool/{epoch}/{hash}"), max_bytes)
    }

    /// `GET /v1/manifests`: one page of published manifests, ascending.
    pub fn manifests(&self, page: &ManifestPage) -> Result<Vec<ManifestRef>> {
        self.get(&with_query("/v1/manifests", page))
    }

    /// `GET /v1/manifests/{network}/{epoch}`; `None` when the oracle published
    /// none.
    pub fn manifest(&self, network: &str, epoch: u64) -> Result<Option<Manifest>> {
        self.http
            .get_opt(&format!("/v1/manifests/{network}/{epoch}"))
    }

    /// `GET /v1/manifests/{network}/{epoch}/awards/{tag}`: the award of `tag`
    /// with its proof; `None` when the manifest awards nothing for it (or the
    /// oracle published no manifest).
    pub fn award(&self, network: &str, epoch: u64, tag: u64) -> Result<Option<AwardProof>> {
        self.http
            .get_opt(&format!("/v1/manifests/{network}/{epoch}/awards/{tag}"))
    }

    /// `GET /v1/rewards/{owner}`: every manifest entry paying `owner`, with proofs.
    pub fn rewards(&self, owner: &Address) -> Result<Vec<RewardClaim>> {
        self.get(&format!("/v1/rewards/{owner}"))
    }

    /// `GET /v1/spool/{epoch}` as a member of the oracle set (open epochs too).
    pub fn spool_as(&self, epoch: u64, auth: &PeerAuth) -> Result<Vec<Hash>> {
        self.get(&format!("/v1/spool/{epoch}?{}", auth.query()))
    }

    /// `GET /v1/spool/{epoch}/{hash}` as a member of the oracle set (open epochs
    /// too), refused when over `max_bytes`.
    pub fn spool_batch_as(
        &self,
        epoch: u64,
        hash: &Hash,
        auth: &PeerAuth,
        max_bytes: u64,
    ) -> Result<Vec<u8>> {
        self.http.get_bytes(
            &format!("/v1/spool/{epoch}/{hash}?{}", auth.query()),
            max_bytes,
        )
    }

    /// `POST /v1/cosign/manifest`: asks the oracle to recompute and co-sign a
    /// manifest; its signature over the header.
    pub fn cosign_manifest(&self, req: &ManifestProposal) -> Result<OracleSignature> {
        self.http.post("/v1/cosign/manifest", req)
    }

    /// `POST /v1/cosign/verdict`: asks the oracle to co-sign a spot check.
    pub fn cosign_verdict(&self, req: &crate::oracle::VerdictProposal) -> Result<OracleSignature> {
        self.http.post("/v1/cosign/verdict", req)
    }

    /// `POST /v1/cosign/checks`: asks the oracle to co-sign capacity checks.
    pub fn cosign_checks(&self, req: &crate::oracle::ChecksProposal) -> Result<OracleSignature> {
        self.http.post("/v1/cosign/checks", req)
    }

    /// `POST /v1/cosign/settlement`: asks the oracle to co-sign a storage
    /// settlement; its signature.
    pub fn cosign_settlement(&self, req: &SettlementProposal) -> Result<OracleSignature> {
        self.http.post("/v1/cosign/settlement", req)
    }

    /// `GET /v1/cosign/refusals`: the proposals this oracle refused lately, newest
    /// last.
    pub fn refusals(&self) -> Result<Vec<RefusalRecord>> {
        self.get("/v1/cosign/refusals")
    }

    /// `POST /v1/cosign/price`: asks the oracle to co-sign a price; its signature.
    pub fn cosign_price(&self, req: &CosignRequest) -> Result<OracleSignature> {
        self.http.post("/v1/cosign/price", req)
    }
}
