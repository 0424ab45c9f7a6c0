//! The price feed: this oracle posts its token price, co-signed by peers of the
//! oracle set when the chain needs more signatures than its own, and co-signs the
//! prices its peers propose (the protocol: [`crate::cosign`]).

use crate::cosign::{self, within_tolerance, CosignRefusal, CosignRequest, MAX_AHEAD_MS};
use crate::Oracle;
use anyhow::{Context, Result};
use plinth_api::node::OraclesView;
use plinth_core::Hash;
use plinth_ledger::credits::PricePoint;
use plinth_ledger::OracleSignature;

impl Oracle {
    /// The chain's oracle set, read from the node at most every
    /// [`cosign::ORACLE_SET_MAX_AGE`]. Blocking.
    pub fn oracle_set(&self) -> Result<OraclesView> {
        self.oracle_set.get(|| Ok(self.node.oracles()?))
    }

    /// Signs another oracle's price if the request is that oracle's (a member of
    /// the set) and the price agrees with this oracle's own observation. Blocking
    /// (it may read the oracle set from the node).
    pub fn cosign_price(
        &self,
        req: &CosignRequest,
        now: u64,
    ) -> Result<OracleSignature, CosignRefusal> {
        let point = &req.price;
        let own = self
            .config
            .price_micro_usd
            .ok_or(CosignRefusal::NoPriceFeed)?;
        if point.chain != self.chain {
            return Err(CosignRefusal::WrongChain {
                expected: self.chain.to_string(),
                found: point.chain.to_string(),
            });
        }
        let requester = req.signature.oracle;
        if requester
            .key()
            .verify(&point.signing_bytes(), &req.signature.signature)
            .is_err()
        {
            return Err(CosignRefusal::BadSignature { oracle: requester });
        }
        if requester == self.address() {
            return Err(CosignRefusal::FromSelf);
        }
        let set = self
            .oracle_set()
            .map_err(|e| CosignRefusal::OracleSetUnavailable {
                reason: e.to_string(),
            })?;
        if !set.members.contains(&requester) {
            return Err(CosignRefusal::NotAnOracle { oracle: requester });
        }
        if point.timestamp_ms > now.saturating_add(MAX_AHEAD_MS) {
            return Err(CosignRefusal::FromFuture {
                timestamp_ms: point.timestamp_ms,
            });
        }
        if point.timestamp_ms.abs_diff(now) > self.config.max_skew_ms {
            return Err(CosignRefusal::BadTimestamp {
                timestamp_ms: point.timestamp_ms,
                max_skew_ms: self.config.max_skew_ms,
            });
        }
        if !within_tolerance(
            point.micro_usd_per_token,
            own,
            self.config.price_tolerance_bps,
        ) {
            return Err(CosignRefusal::OutOfTolerance {
                proposed: point.micro_usd_per_token,
                own,
                tolerance_bps: self.config.price_tolerance_bps,
            });
        }
        Ok(point.sign(self.key()))
    }
}

impl Oracle {
    /// Posts the configured token price, observed at `now`: signed by this oracle
    /// and, when the chain's oracle set needs more signatures, co-signed by peers
    /// (`config.peers`, asked with this oracle's own signature over the price)
    /// whose own price is within their tolerance; every co-signature gathered
    /// goes on the price. Refuses to send a price with fewer signatures than the
    /// set's threshold.
    pub fn post_price(&self, now: u64) -> Result<Option<Hash>> {
        let Some(micro_usd) = self.config.price_micro_usd else {
            return Ok(None);
        };
        let point = PricePoint {
            chain: self.chain,
            micro_usd_per_token: micro_usd,
            timestamp_ms: now,
        };
        let set: OraclesView = self.node.oracles()?;
        let own = point.sign(&self.key);
        let mut signatures = vec![own];
        let mut refusals = Vec::new();
        if (signatures.len() as u32) < set.threshold {
            let (got, refused) = cosign::gather(&self.config.peers, &point, &own, &set.members);
            signatures.extend(got);
            refusals = refused;
        }
        if (signatures.len() as u32) < set.threshold {
            anyhow::bail!(
                "{} of the {} signatures the chain needs for a price{}",
                signatures.len(),
                set.threshold,
                if refusals.is_empty() {
                    " (no peers configured: pass --peer URL for each other oracle)".to_string()
                } else {
                    format!("; peers: {}", refusals.join("; "))
                }
            );
        }
        // Every member that co-signed is on the price (not the first `threshold`
        // in peer order): which members vouch for the feed is visible on chain.
        signatures.truncate(plinth_ledger::oracle_set::MAX_MANIFEST_SIGNATURES);
        let tx = self
            .send_tx(plinth_ledger::Call::PostPrice {
                price: point,
                signatures,
            })
            .context("posting the price")?;
        tracing::info!(micro_usd, tx = %tx, "price posted");
        Ok(Some(tx))
    }
}
