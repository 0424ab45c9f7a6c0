//! The template family (being written).
