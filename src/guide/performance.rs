//! Guide: performance.
#![doc = include_str!("../../docs/guide/performance.md")]
