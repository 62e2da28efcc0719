//! Per-customer limits. Being written.
