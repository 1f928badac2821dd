//! Guide: sequences.
#![doc = include_str!("../../docs/guide/sequences.md")]
