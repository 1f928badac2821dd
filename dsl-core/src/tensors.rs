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
    /// For a custom layer: `name` is its prefix and its tensors are this expression's list
    /// (`<Ty as CustomLayer<f32>>::TENSORS`), known only to the compiler.
    pub from_type: Option<TokenStream>,
}

impl TensorDecl {
    /// Batch norm's step counter (`num_batches_tracked`): saved and loaded with the network,
    /// but not part of the embedded form, and not required in a weights file.
    pub fn is_counter(&self) -> bool {
        self.name.ends_with("num_batches_tracked")
    }
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

    /// The tensors of a custom layer named `prefix`, listed by the type (`list`).
    pub fn custom(&mut self, prefix: &str, list: TokenStream) {
        self.out.push(TensorDecl {
            name: prefix.to_string(),
            shape: Vec::new(),
            buffer: false,
            from_type: Some(list),
        });
    }

    fn push(&mut self, prefix: &str, name: &str, shape: &[usize], buffer: bool) {
        self.out.push(TensorDecl {
            name: format!("{prefix}.{name}"),
            shape: shape.to_vec(),
            buffer,
            from_type: None,
        });
    }
}

/// `&[TensorSpec { .. }, ..]` for `Network::TENSORS`; with custom layers, a list assembled by
/// the compiler from the known tensors and the custom types' own lists.
pub fn emit(tensors: &[TensorDecl]) -> TokenStream {
    let rt = rt();
    let spec = |t: &TensorDecl| {
        let (name, shape, buffer) = (&t.name, &t.shape, t.buffer);
        quote!(#rt::network::TensorSpec { name: #name, shape: &[#(#shape),*], buffer: #buffer })
    };
    if tensors.iter().all(|t| t.from_type.is_none()) {
        let specs = tensors.iter().map(spec);
        return quote!(&[#(#specs),*]);
    }
    let c = quote!(#rt::layers::custom);
    let parts = tensors.iter().map(|t| match &t.from_type {
        None => {
            let s = spec(t);
            quote!(#c::TensorPart::One(#s))
        }
        Some(list) => {
            let prefix = &t.name;
            quote!(#c::TensorPart::Prefixed(#prefix, #list))
        }
    });
    quote!({
        const PARTS: &[#c::TensorPart] = &[#(#parts),*];
        static NAMES: [u8; #c::name_bytes_len(PARTS)] = #c::name_bytes(PARTS);
        static SPECS: [#rt::network::TensorSpec; #c::tensor_count(PARTS)] =
            #c::tensor_specs(PARTS, &NAMES);
        &SPECS
    })
}
