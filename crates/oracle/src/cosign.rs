//! Co-signing prices among the oracle set.
//!
//! The ledger takes a price only with signatures of `threshold` members of the
//! oracle set. An oracle running the price feed signs its observation and asks its
//! peers (`POST /v1/cosign/price` on each): a peer signs only a price of this chain
//! within `price_tolerance_bps` of its own observation and with a timestamp within
//! its clock skew, so no single oracle can move the price alone.
//!
//! ```text
//!  feed oracle: PricePoint{µUSD, now} ─ sign ─┬─▶ peer 1: |p − own| ≤ tol, |t − now| ≤ skew ─▶ signature
//!                                             └─▶ peer 2: … refused: price_out_of_tolerance
//!  ≥ threshold signatures ─▶ PostPrice ─▶ ledger (checks them again)
//! ```

use crate::Oracle;
use plinth_core::Address;
use plinth_ledger::credits::PricePoint;
use plinth_ledger::OracleSignature;
use std::time::Duration;

/// How long a peer has to answer.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an oracle will not co-sign a price.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignRefusal {
    #[error("this oracle runs no price feed")]
    NoPriceFeed,
    #[error("the price is for chain `{found}`, this oracle serves `{expected}`")]
    WrongChain { expected: String, found: String },
    #[error(
        "the price's time {timestamp_ms} is more than {max_skew_ms} ms from this oracle's clock"
    )]
    BadTimestamp { timestamp_ms: u64, max_skew_ms: u64 },
    #[error("{proposed} µUSD is more than {tolerance_bps} bps from this oracle's {own} µUSD")]
    OutOfTolerance {
        proposed: u64,
        own: u64,
        tolerance_bps: u32,
    },
}

impl CosignRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            CosignRefusal::NoPriceFeed => "no_price_feed",
            CosignRefusal::WrongChain { .. } => "wrong_chain",
            CosignRefusal::BadTimestamp { .. } => "bad_timestamp",
            CosignRefusal::OutOfTolerance { .. } => "price_out_of_tolerance",
        }
    }
}

/// Whether `proposed` is within `tolerance_bps` of `own` (exact integers).
pub fn within_tolerance(proposed: u64, own: u64, tolerance_bps: u32) -> bool {
    let diff = proposed.abs_diff(own) as u128;
    diff * 10_000 <= own as u128 * u128::from(tolerance_bps)
}

impl Oracle {
    /// Signs a peer's price if it agrees with this oracle's own observation.
    pub fn cosign_price(
        &self,
        point: &PricePoint,
        now: u64,
    ) -> Result<OracleSignature, CosignRefusal> {
        let own = self
            .config
            .price_micro_usd
            .ok_or(CosignRefusal::NoPriceFeed)?;
        if point.chain_id != self.chain_id {
            return Err(CosignRefusal::WrongChain {
                expected: self.chain_id.clone(),
                found: point.chain_id.clone(),
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

/// Asks every peer to co-sign `point` (in parallel); returns the valid signatures
/// of set members (one per member) and a line per peer that did not give one.
pub fn gather(
    peers: &[String],
    point: &PricePoint,
    members: &[Address],
) -> (Vec<OracleSignature>, Vec<String>) {
    let msg = point.signing_bytes();
    let answers: Vec<(String, Result<OracleSignature, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = peers
            .iter()
            .map(|peer| s.spawn(move || (peer.clone(), ask(peer, point))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("cosign thread"))
            .collect()
    });
    let mut got: Vec<OracleSignature> = Vec::new();
    let mut refused = Vec::new();
    for (peer, answer) in answers {
        match answer {
            Ok(sig) if !members.contains(&sig.oracle) => {
                refused.push(format!("{peer}: {} is not in the oracle set", sig.oracle))
            }
            Ok(sig) if sig.oracle.key().verify(&msg, &sig.signature).is_err() => {
                refused.push(format!("{peer}: bad signature"))
            }
            Ok(sig) if got.iter().any(|g| g.oracle == sig.oracle) => {}
            Ok(sig) => got.push(sig),
            Err(e) => refused.push(format!("{peer}: {e}")),
        }
    }
    (got, refused)
}

fn ask(peer: &str, point: &PricePoint) -> Result<OracleSignature, String> {
    let url = format!("{}/v1/cosign/price", peer.trim_end_matches('/'));
    let agent = ureq::AgentBuilder::new().timeout(PEER_TIMEOUT).build();
    match agent
        .post(&url)
        .send_json(serde_json::to_value(point).expect("price serialises"))
    {
        Ok(r) => r
            .into_json::<OracleSignature>()
            .map_err(|e| format!("unreadable answer: {e}")),
        Err(ureq::Error::Status(code, r)) => {
            let body: serde_json::Value = r.into_json().unwrap_or_default();
            Err(format!(
                "refused ({code}): {}",
                body["error"]["message"]
                    .as_str()
                    .unwrap_or("no reason given")
            ))
        }
        Err(e) => Err(format!("unreachable: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_is_exact() {
        // 2% of $0.50 is 10,000 µUSD.
        assert!(within_tolerance(510_000, 500_000, 200));
        assert!(within_tolerance(490_000, 500_000, 200));
        assert!(!within_tolerance(510_001, 500_000, 200));
        assert!(!within_tolerance(489_999, 500_000, 200));
        assert!(within_tolerance(500_000, 500_000, 0));
        assert!(!within_tolerance(500_001, 500_000, 0));
        assert!(within_tolerance(u64::MAX, u64::MAX - 1, 1));
    }
}
