//! Guide: embedding.
#![doc = include_str!("../../docs/guide/embedding.md")]
