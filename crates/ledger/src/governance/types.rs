//! The governance records and settings: defined in the leaf [`crate::gov_types`]
//! (below [`crate::tx`], which carries actions and votes in its calls), re-exported
//! here for the governance files.

pub use crate::gov_types::*;
