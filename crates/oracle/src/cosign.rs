//! Co-signing prices among the oracle set.
//!
//! The ledger takes a price only with signatures of `threshold` members of the
//! oracle set. An oracle running the price feed signs its observation and asks its
//! peers (`POST /v1/cosign/price` on each, body `{"price": PricePoint,
//! "signature": OracleSignature}` with its own signature over the price). A peer
//! signs only for another member of the chain's oracle set (read from the node's
//! `/v1/oracles`, cached for [`ORACLE_SET_MAX_AGE`]) whose signature over the price
//! is valid, only a price of this chain, not more than [`MAX_AHEAD_MS`] ahead of its
//! clock nor more than its clock skew behind, and within `price_tolerance_bps` of
//! its own observation: so no single oracle can move the price alone, and no one
//! outside the set can make a member sign prices.
//!
//! ```text
//!  feed oracle: PricePoint{µUSD, now} ─ sign ─┬─▶ peer 1: member? signature? |p − own| ≤ tol,
//!                                             │           t ≤ now + 5 s, now − t ≤ skew ─▶ signature
//!                                             └─▶ peer 2: … refused: price_out_of_tolerance
//!  ≥ threshold signatures ─▶ PostPrice ─▶ ledger (checks them again)
//! ```

use crate::Oracle;
use plinth_api::OracleClient;
use plinth_core::Address;
use plinth_ledger::credits::PricePoint;
use plinth_ledger::OracleSignature;
use std::time::{Duration, Instant};

/// How long a peer has to answer.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(5);
/// How far ahead of this oracle's clock a price's time may be.
pub const MAX_AHEAD_MS: u64 = 5_000;
/// How long the oracle set read from the node is used before it is read again.
pub const ORACLE_SET_MAX_AGE: Duration = Duration::from_secs(60);

/// What `POST /v1/cosign/price` takes: the price and the requesting oracle's own
/// signature over it (the API's [`plinth_api::oracle::CosignRequest`]).
pub use plinth_api::oracle::CosignRequest;

/// Why an oracle will not co-sign a price.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignRefusal {
    #[error("this oracle runs no price feed")]
    NoPriceFeed,
    #[error("the price is for chain `{found}`, this oracle serves `{expected}`")]
    WrongChain { expected: String, found: String },
    #[error("the requester's signature is not {oracle}'s signature over the price")]
    BadSignature { oracle: Address },
    #[error("{oracle} is not a member of the chain's oracle set")]
    NotAnOracle { oracle: Address },
    #[error("the request is signed by this oracle itself")]
    FromSelf,
    #[error("the chain's oracle set cannot be read: {reason}")]
    OracleSetUnavailable { reason: String },
    #[error(
        "the price's time {timestamp_ms} is more than {MAX_AHEAD_MS} ms ahead of this oracle's clock"
    )]
    FromFuture { timestamp_ms: u64 },
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
            CosignRefusal::BadSignature { .. } => "bad_signature",
            CosignRefusal::NotAnOracle { .. } => "not_an_oracle",
            CosignRefusal::FromSelf => "from_self",
            CosignRefusal::OracleSetUnavailable { .. } => "oracle_set_unavailable",
            CosignRefusal::FromFuture { .. } => "from_future",
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
    /// The chain's oracle set, read from the node at most every
    /// [`ORACLE_SET_MAX_AGE`]. Blocking.
    pub fn oracle_set(&self) -> anyhow::Result<plinth_api::node::OraclesView> {
        if let Some((at, set)) = self.oracle_set.lock().expect("oracle set lock").as_ref() {
            if at.elapsed() < ORACLE_SET_MAX_AGE {
                return Ok(set.clone());
            }
        }
        let set = self.node.oracles()?;
        *self.oracle_set.lock().expect("oracle set lock") = Some((Instant::now(), set.clone()));
        Ok(set)
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

/// Asks every peer to co-sign `point` (in parallel), presenting `own` (this
/// oracle's signature over it); returns the valid signatures of set members other
/// than this oracle (one per member) and a line per peer that did not give one.
pub fn gather(
    peers: &[String],
    point: &PricePoint,
    own: &OracleSignature,
    members: &[Address],
) -> (Vec<OracleSignature>, Vec<String>) {
    let msg = point.signing_bytes();
    let req = CosignRequest {
        price: point.clone(),
        signature: *own,
    };
    let req = &req;
    let answers: Vec<(String, Result<OracleSignature, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = peers
            .iter()
            .map(|peer| s.spawn(move || (peer.clone(), ask(peer, req))))
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
            Ok(sig) if sig.oracle == own.oracle => {
                refused.push(format!("{peer}: answered with this oracle's own signature"))
            }
            Ok(sig) if got.iter().any(|g| g.oracle == sig.oracle) => {}
            Ok(sig) => got.push(sig),
            Err(e) => refused.push(format!("{peer}: {e}")),
        }
    }
    (got, refused)
}

fn ask(peer: &str, req: &CosignRequest) -> Result<OracleSignature, String> {
    use plinth_api::ClientError;
    match OracleClient::with_timeout(peer, PEER_TIMEOUT).cosign_price(req) {
        Ok(sig) => Ok(sig),
        Err(ClientError::Api { status, error, .. }) => Err(format!(
            "refused ({status} {}): {}",
            error.code, error.message
        )),
        Err(ClientError::Unexpected { status, .. }) => {
            Err(format!("refused ({status} ?): no reason given"))
        }
        Err(e @ (ClientError::BadAnswer { .. } | ClientError::TooLarge { .. })) => {
            Err(format!("unreadable answer: {e}"))
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
