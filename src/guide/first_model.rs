//! Guide: first model.
#![doc = include_str!("../../docs/guide/first_model.md")]
