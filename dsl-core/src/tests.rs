//! The front end called as a library: the worked example's expansion, and errors counted and
//! read from the `compile_error!`s of an expansion.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

/// The messages of every `compile_error!` in an expansion, in order.
pub fn errors_of(tokens: &TokenStream) -> Vec<String> {
    let mut out = Vec::new();
    let toks: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (i, t) in toks.iter().enumerate() {
        match t {
            TokenTree::Ident(id) if id == "compile_error" => {
                if let Some(TokenTree::Group(g)) = toks.get(i + 2) {
                    let lit = g.stream().to_string();
                    out.push(syn::parse_str::<syn::LitStr>(&lit).map_or(lit, |l| l.value()));
                }
            }
            TokenTree::Group(g) => out.extend(errors_of(&g.stream())),
            _ => {}
        }
    }
    out
}

#[test]
fn expansion_of_the_worked_example() {
    let decl: crate::parse::NetworkDecl = syn::parse2(quote! {
        /// A two-hidden-layer classifier for 8x8 digits.
        pub struct DigitsMlp {
            input: [64],
            layers: [dense(128), relu, dropout(0.2), dense(128 -> 64), tanh, dense(10)],
            output: [10],
            loss: softmax_cross_entropy,
        }
    })
    .expect("parses");
    let mut cx = crate::diag::Ctxt::default();
    let net = crate::check::check(&decl, &mut cx).0.expect("checks");
    let all = crate::emit::network(&net, &mut cx)
        .expect("emits")
        .to_string();
    assert!(
        all.contains("use __network_DigitsMlp_"),
        "items re-exported from their module: {all}"
    );
    // The std part as `heap_backed` writes it (`network` wraps it in `::kiln::__std!`).
    let tokens = crate::emit::heap_backed(&net);
    let file: syn::File = syn::parse2(tokens).expect("the expansion is valid Rust");
    let text = prettyplease::unparse(&file);
    if std::env::var_os("KILN_SHOW_EXPANSION").is_some() {
        println!("{text}");
    }
    assert!(
        text.contains("pub layer0: ::kiln::runtime::layers::Dense<T, 64, 128>"),
        "{text}"
    );
    assert!(text.contains("pub layer2: ::kiln::runtime::layers::Dropout<T, 128>"));
    assert!(
        text.contains("::kiln::runtime::activation::Activation::Relu"),
        "relu fused into layer 0"
    );
    assert!(
        !text.contains("layer1:"),
        "no separate layer for a fused activation"
    );
    assert!(text.contains("\"layers.3\""), "PyTorch-style names");
}

fn errors(tokens: TokenStream) -> Vec<String> {
    errors_of(&crate::expand(tokens))
}

#[test]
fn every_independent_mistake_once() {
    let e = errors(quote! {
        struct Bad { input: [0], layers: [dense(0), dropout(2.0), nonsense], loss: what }
    });
    assert_eq!(e.len(), 5, "{e:#?}");
    let e = errors(quote! {
        struct Mlp { input: [784], layers: [dense(748 -> 256), relu, dense(128), relu, dense(126 -> 10)], loss: softmax_cross_entropy }
    });
    assert_eq!(e.len(), 2, "{e:#?}");
    assert!(e[0].contains("write `dense(784 -> 256)`"), "{}", e[0]);
    assert!(e[1].contains("write `dense(128 -> 10)`"), "{}", e[1]);
}

#[test]
fn declarations_that_emit_no_layer_expand() {
    for decl in [
        quote!(struct A { input: [1, 4, 4], layers: [flatten], loss: none }),
        quote!(block f() { flatten } struct B { input: [1, 4, 4], layers: [f(), dense(3)], loss: none }),
        quote!(struct C { input: [8], layers: [residual { flatten }], loss: none }),
        quote!(struct D { input: [1, 4, 4], layers: [flatten], loss: none, embedded: true }),
    ] {
        let out = crate::expand(decl);
        assert!(errors_of(&out).is_empty(), "{:?}", errors_of(&out));
        syn::parse2::<syn::File>(out).expect("valid Rust");
    }
}

#[test]
fn pytorch_keywords_are_one_error_with_the_rewrite() {
    let e = errors(quote! {
        struct N { input: [1, 8, 8], layers: [conv2d(out_channels = 16, kernel_size = 3), max_pool2d(kernel = 2), flatten, dropout(p = 0.5), dense(10)], loss: softmax_cross_entropy }
    });
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(e[0].contains("write `conv2d(16, 3)`"), "{}", e[0]);
    assert!(e[1].contains("write `max_pool2d(2)`"), "{}", e[1]);
    assert!(e[2].contains("write `dropout(0.5)`"), "{}", e[2]);
}

#[test]
fn stand_in_after_errors_and_after_parse_failures() {
    let out = crate::expand(quote!(pub struct Net { input: [0], layers: [dense(1)], loss: none }));
    let text = out.to_string();
    assert!(text.contains("pub struct Net"), "{text}");
    let out = crate::expand(quote!(pub struct Net { input: [4] layers: [dense(1)] }));
    assert_eq!(errors_of(&out).len(), 1);
    assert!(out.to_string().contains("pub struct Net"));
}

#[test]
fn self_use_huge_sizes_and_blow_ups_are_errors_not_panics_or_hangs() {
    let e = errors(quote! {
        block r() { r(), r(), r() }
        struct N { input: [4], layers: [r()], loss: none }
    });
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].contains("uses itself"), "{}", e[0]);
    for decl in [
        quote!(struct N { input: [4294967296, 4294967296] }),
        quote!(struct N { input: [4], layers: [maxout(2, pieces = 9223372036854775808)], loss: none }),
        quote!(struct N { input: [seq, 4], layers: [lstm(4611686018427387904)], loss: none, embedded: true }),
        quote!(struct N { input: [4], layers: [concat { [dense(18446744073709551615)], [dense(1)] }], loss: none }),
        quote!(struct N { input: [1, 4, 4], layers: [conv2d(1, 1, padding = 9223372036854775808)], loss: none }),
        quote!(struct N { input: [16777216, 16777216, 16777216], layers: [flatten], loss: none }),
    ] {
        assert!(!errors(decl).is_empty());
    }
    // Twelve levels of blocks, each using the next three times: 3^12 uses.
    let mut blocks = TokenStream::new();
    for i in 0..12usize {
        let (b, next) = (
            quote::format_ident!("b{i}"),
            quote::format_ident!("b{}", i + 1),
        );
        blocks.extend(quote!(block #b() { #next(), #next(), #next() }));
    }
    blocks.extend(quote!(block b12() { relu }));
    let e = errors(quote!(#blocks struct N { input: [4], layers: [b0()], loss: none }));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].contains("more than 100000 layers"), "{}", e[0]);
}

#[test]
fn renamed_options_keep_their_old_spelling() {
    for (old, new) in [
        (
            quote!(struct A { input: [4], layers: [dense(3)], loss: softmax_cross_entropy(label_smoothing_notes = 0.1) }),
            quote!(struct A { input: [4], layers: [dense(3)], loss: softmax_cross_entropy(label_smoothing_others = 0.1) }),
        ),
        (
            quote!(struct B { input: [seq, 2], layers: [gru(3, form = notes)], loss: none }),
            quote!(struct B { input: [seq, 2], layers: [gru(3, form = reset_before)], loss: none }),
        ),
    ] {
        let (a, b) = (crate::expand(old), crate::expand(new));
        assert!(errors_of(&b).is_empty(), "{:?}", errors_of(&b));
        assert_eq!(
            a.to_string(),
            b.to_string(),
            "the old spelling means the same"
        );
    }
}
