//! The vehicles family (being written).
