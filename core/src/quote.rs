//! Quotes with their fee breakdown. Being written.
