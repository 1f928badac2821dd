//! The tensors a declaration owns, named and shaped as PyTorch's `state_dict` would hold them
//! (`layers.0.weight: [128, 64]`). The macro knows them while expanding, so it emits them as
//! `Network::TENSORS`: checkpoints read and write by that list and check a file against it.

use proc_macro2::TokenStream;
use quote::quote;

use crate::tokens::rt;

/// One tensor: its full dotted name, its PyTorch shape, and whether it is a buffer (state such
/// as batch-norm running statistics) rather than a trainable parameter.
pub struct TensorDecl {
    pub name: String,
    pub shape: Vec<usize>,
    pub buffer: bool,
}

/// Collects the tensors of the layers under one prefix.
pub struct Tensors<'a> {
    pub out: &'a mut Vec<TensorDecl>,
}

impl Tensors<'_> {
    /// A trainable tensor `prefix.name`.
    pub fn param(&mut self, prefix: &str, name: &str, shape: &[usize]) {
        self.push(prefix, name, shape, false);
    }

    /// A state buffer `prefix.name`.
    pub fn buffer(&mut self, prefix: &str, name: &str, shape: &[usize]) {
        self.push(prefix, name, shape, true);
    }

    fn push(&mut self, prefix: &str, name: &str, shape: &[usize], buffer: bool) {
        self.out.push(TensorDecl {
            name: format!("{prefix}.{name}"),
            shape: shape.to_vec(),
            buffer,
        });
    }
}

/// `&[TensorSpec { .. }, ..]` for `Network::TENSORS`.
pub fn emit(tensors: &[TensorDecl]) -> TokenStream {
    let rt = rt();
    let specs = tensors.iter().map(|t| {
        let (name, shape, buffer) = (&t.name, &t.shape, t.buffer);
        quote!(#rt::network::TensorSpec { name: #name, shape: &[#(#shape),*], buffer: #buffer })
    });
    quote!(&[#(#specs),*])
}
