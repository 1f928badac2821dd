//! The `network!` language reference.
#![doc = include_str!("../docs/dsl.md")]
