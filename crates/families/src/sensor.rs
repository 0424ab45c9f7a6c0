//! The sensor family (being written).
