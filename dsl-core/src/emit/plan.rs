//! What every emitter needs to know of the resolved model, worked out once: the generated
//! names of the network's items and, per layer, its field, cache, kept activation, state,
//! runtime type, the trait it is driven through and its widths.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::tokens::{lit, rt};
use crate::tree::Resolved;

/// One emitted layer.
pub struct LayerPlan {
    /// `layer3`: the struct field.
    pub field: Ident,
    /// `c3`: the layer's cache in scratch and training state.
    pub cache: Ident,
    /// `a3`: the kept output in the training state.
    pub act: Ident,
    /// `st3`: the recurrent state (recurrent layers only).
    pub state: Ident,
    /// The runtime type, generic over `T`.
    pub ty: TokenStream,
    /// An expression building the layer (`rng` in scope, may use `?`).
    pub ctor: TokenStream,
    /// Driven through `Recurrent` over whole sequences rather than `Layer` row by row.
    pub recurrent: bool,
    /// A composite holding recurrent layers: told the step count before each pass.
    pub holds_recurrent: bool,
    /// The trait path it is driven through.
    pub tr: TokenStream,
    /// Rows of its input and of its output: `batch` (samples, or steps x sequences), or
    /// `seqs` after a reduction over time.
    pub rows_in: TokenStream,
    pub rows_out: TokenStream,
    pub width_in: Literal,
    pub width_out: Literal,
    /// `layers.3`: the PyTorch name prefix.
    pub prefix: String,
    pub out_dims: Vec<Literal>,
}

/// The generated items' names and the per-layer plans.
pub struct Plan {
    pub name: Ident,
    pub scratch: Ident,
    pub train: Ident,
    pub stream: Ident,
    pub n_in: Literal,
    pub n_out: Literal,
    pub layers: Vec<LayerPlan>,
    /// Rows of the network's output.
    pub rows_out: TokenStream,
    /// `where Ty<T>: CustomLayer<T>, MyLoss: Loss<T>` for the user-written layers and loss
    /// (empty without any), on every generated item, so that a type that is no layer or no
    /// loss is one error at the declaration rather than one per generated use.
    pub bounds: TokenStream,
    /// `= f32` for the state structs, none with `bounds` (a default must meet them).
    pub default_float: TokenStream,
}

/// `where Ty<T>: CustomLayer<T>, MyLoss: Loss<T>` for the user-written layers and loss (empty
/// without any).
fn bounds(net: &Resolved) -> TokenStream {
    let rt = rt();
    let mut custom = Vec::new();
    net.layers
        .iter()
        .for_each(|l| l.kind.custom_types(&mut custom));
    let mut preds: Vec<TokenStream> = custom
        .iter()
        .map(|ty| quote!(#ty: #rt::layers::CustomLayer<T>))
        .collect();
    if let crate::loss::LossSpec::Custom(ty) = &net.loss {
        let alias = crate::loss::custom_alias(ty);
        preds.push(quote!(#alias: #rt::loss::Loss<T>));
    }
    if preds.is_empty() {
        quote!()
    } else {
        quote!(where #( #preds, )*)
    }
}

impl Plan {
    pub fn new(net: &Resolved) -> Plan {
        let mut rows = quote!(batch);
        let layers: Vec<LayerPlan> = net
            .layers
            .iter()
            .map(|l| {
                let recurrent = l.kind.recurrent();
                let rt = rt();
                let rows_in = rows.clone();
                if l.kind.reduces_time() {
                    rows = quote!(seqs);
                }
                LayerPlan {
                    rows_in,
                    rows_out: rows.clone(),
                    field: format_ident!("layer{}", l.index),
                    cache: format_ident!("c{}", l.index),
                    act: format_ident!("a{}", l.index),
                    state: format_ident!("st{}", l.index),
                    ty: l.kind.field_type(&l.input, &l.output),
                    ctor: l.kind.construct(&l.input, &l.output),
                    recurrent,
                    holds_recurrent: l.kind.holds_recurrent(),
                    tr: if recurrent {
                        quote!(#rt::recurrent::Recurrent)
                    } else {
                        quote!(#rt::layers::Layer)
                    },
                    width_in: lit(l.input.numel()),
                    width_out: lit(l.output.numel()),
                    prefix: l.prefix(),
                    out_dims: l.output.0.iter().map(|&d| lit(d)).collect(),
                }
            })
            .collect();
        let bounds = bounds(net);
        Plan {
            default_float: if bounds.is_empty() {
                quote!(= f32)
            } else {
                quote!()
            },
            bounds,
            name: net.name.clone(),
            scratch: format_ident!("{}Scratch", net.name),
            train: format_ident!("{}Train", net.name),
            stream: format_ident!("{}Stream", net.name),
            n_in: lit(net.input.numel()),
            n_out: lit(net.output.numel()),
            layers,
            rows_out: rows,
        }
    }

    /// The layers with a recurrent state.
    pub fn states(&self) -> impl Iterator<Item = &Ident> {
        self.layers.iter().filter(|l| l.recurrent).map(|l| &l.state)
    }

    /// `c3: <Type as Layer<T>>::Cache,` for each layer: the caches of scratch, training state
    /// and stream.
    pub fn cache_fields(&self) -> Vec<TokenStream> {
        self.layers
            .iter()
            .map(|l| {
                let (c, ty, tr) = (&l.cache, &l.ty, &l.tr);
                quote!(#c: <#ty as #tr<T>>::Cache,)
            })
            .collect()
    }

    /// The bytes of a training state's batch-sized buffers (kept activations, carried states,
    /// gradient buffers and every layer's cache) as an expression over `t`.
    pub fn train_bytes(&self) -> TokenStream {
        let rt = crate::tokens::rt();
        let vecs = self
            .layers
            .iter()
            .map(|l| &l.act)
            .chain(self.states())
            .map(|v| quote!(#rt::layers::vec_bytes(&t.#v)));
        let caches = self.layers.iter().map(|l| {
            let (c, ty, tr) = (&l.cache, &l.ty, &l.tr);
            quote!(<#ty as #tr<T>>::cache_bytes(&t.#c))
        });
        quote! {
            #rt::layers::vec_bytes(&t.d_out) + #rt::layers::vec_bytes(&t.d_a)
                + #rt::layers::vec_bytes(&t.d_b) #( + #vecs )* #( + #caches )*
        }
    }

    /// `Layer::set_steps(&mut holder.cache, steps);` for a composite holding recurrent
    /// layers, nothing otherwise.
    pub fn set_steps(l: &LayerPlan, holder: &TokenStream, steps: &TokenStream) -> TokenStream {
        if !l.holds_recurrent {
            return quote!();
        }
        let (c, tr, ty) = (&l.cache, &l.tr, &l.ty);
        quote!(<#ty as #tr<T>>::set_steps(&mut #holder.#c, #steps);)
    }

    /// The last layer's kept output in the training state.
    pub fn last_act(&self) -> &Ident {
        &self.layers[self.layers.len() - 1].act
    }
}
