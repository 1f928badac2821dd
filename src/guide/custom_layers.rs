//! Guide: custom layers.
#![doc = include_str!("../../docs/guide/custom_layers.md")]
