//! The mapping family (being written).
