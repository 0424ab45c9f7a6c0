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
//! outside the set can make a member sign prices. This oracle's side of it
//! (posting its price, co-signing its peers') is [`crate::price`].
//!
//! ```text
//!  feed oracle: PricePoint{µUSD, now} ─ sign ─┬─▶ peer 1: member? signature? |p − own| ≤ tol,
//!                                             │           t ≤ now + 5 s, now − t ≤ skew ─▶ signature
//!                                             └─▶ peer 2: … refused: price_out_of_tolerance
//!  ≥ threshold signatures ─▶ PostPrice ─▶ ledger (checks them again)
//! ```

use plinth_api::node::OraclesView;
use plinth_api::OracleClient;
use plinth_core::Address;
use plinth_ledger::credits::PricePoint;
use plinth_ledger::OracleSignature;

use std::sync::Mutex;
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
    /// This oracle has no price of its own to compare with.
    #[error("this oracle runs no price feed")]
    NoPriceFeed,
    /// The price names another chain.
    #[error("the price is for chain `{found}`, this oracle serves `{expected}`")]
    WrongChain {
        /// The chain this oracle serves.
        expected: String,
        /// The chain the price names.
        found: String,
    },
    /// The requester's signature does not verify.
    #[error("the requester's signature is not {oracle}'s signature over the price")]
    BadSignature {
        /// The oracle the signature names.
        oracle: Address,
    },
    /// The requester is not in the oracle set.
    #[error("{oracle} is not a member of the chain's oracle set")]
    NotAnOracle {
        /// The requester.
        oracle: Address,
    },
    /// The request carries this oracle's own signature.
    #[error("the request is signed by this oracle itself")]
    FromSelf,
    /// The node could not be asked for the oracle set.
    #[error("the chain's oracle set cannot be read: {reason}")]
    OracleSetUnavailable {
        /// What failed.
        reason: String,
    },
    /// The price's time is ahead of this oracle's clock.
    #[error(
        "the price's time {timestamp_ms} is more than {MAX_AHEAD_MS} ms ahead of this oracle's clock"
    )]
    FromFuture {
        /// The price's time.
        timestamp_ms: u64,
    },
    /// The price's time is too far behind this oracle's clock.
    #[error(
        "the price's time {timestamp_ms} is more than {max_skew_ms} ms from this oracle's clock"
    )]
    BadTimestamp {
        /// The price's time.
        timestamp_ms: u64,
        /// The most it may be off.
        max_skew_ms: u64,
    },
    /// The price is too far from this oracle's own.
    #[error("{proposed} µUSD is more than {tolerance_bps} bps from this oracle's {own} µUSD")]
    OutOfTolerance {
        /// The price proposed.
        proposed: u64,
        /// This oracle's own.
        own: u64,
        /// How far apart they may be, in basis points.
        tolerance_bps: u32,
    },
}

impl CosignRefusal {
    /// The machine-readable code (`price_out_of_tolerance`, …).
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

/// The chain's oracle set as last read from the node, and when (read again
/// after [`ORACLE_SET_MAX_AGE`]).
#[derive(Default)]
pub struct OracleSetCache(Mutex<Option<(Instant, OraclesView)>>);

impl OracleSetCache {
    /// The set read less than [`ORACLE_SET_MAX_AGE`] ago, or else the one `read`
    /// returns (then kept).
    pub fn get(
        &self,
        read: impl FnOnce() -> anyhow::Result<OraclesView>,
    ) -> anyhow::Result<OraclesView> {
        if let Some((at, set)) = self.0.lock().expect("oracle set lock").as_ref() {
            if at.elapsed() < ORACLE_SET_MAX_AGE {
                return Ok(set.clone());
            }
        }
        let set = read()?;
        *self.0.lock().expect("oracle set lock") = Some((Instant::now(), set.clone()));
        Ok(set)
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
