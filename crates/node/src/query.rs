//! What the API's handlers share: a consistent read of the state, and path
//! values parsed into typed errors. A leaf: every router module imports it, it
//! imports none of them.

use crate::Node;
use plinth_api::server::ApiError;
use plinth_store::Snapshot;

/// `s` parsed as a `T`, or 400 with `code` and the parser's reason.
pub fn parse<T: std::str::FromStr>(s: &str, code: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>()
        .map_err(|e| ApiError::bad_request(code, e.to_string()))
}

/// A consistent read of the node's state (one store snapshot), or a 500.
pub(crate) fn snapshot(node: &Node) -> Result<Snapshot, ApiError> {
    node.store.snapshot().map_err(ApiError::internal)
}
