//! Guide: from pytorch.
#![doc = include_str!("../../docs/guide/from_pytorch.md")]
