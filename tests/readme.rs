//! The README's declarations stay valid: every `network! { .. }` in its Rust blocks goes
//! through the macro's front end (`kiln_dsl::expand`, what `network!` runs) and must expand
//! without a `compile_error!`. The full reference (`kiln::dsl`) and the guides are doctests.

/// The bodies of every `network! { .. }` in the ```rust blocks of `text`, braces matched.
fn declarations(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_rust = false;
    let mut code = String::new();
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```");
        if fence && !in_rust {
            in_rust = line.trim_start() == "```rust";
            code.clear();
        } else if fence {
            in_rust = false;
            let mut rest = code.as_str();
            while let Some(at) = rest.find("network! {") {
                let body = &rest[at + "network! ".len()..];
                let mut depth = 0;
                let end = body
                    .char_indices()
                    .find(|&(_, c)| {
                        depth += (c == '{') as i32 - (c == '}') as i32;
                        depth == 0
                    })
                    .map(|(i, _)| i)
                    .expect("a network! block closes");
                out.push(body[1..end].to_string());
                rest = &body[end..];
            }
        } else if in_rust {
            code.push_str(line);
            code.push('\n');
        }
    }
    out
}

#[test]
fn every_readme_declaration_expands_without_errors() {
    let readme = include_str!("../README.md");
    let decls = declarations(readme);
    assert!(decls.len() >= 4, "found only {} declarations", decls.len());
    for d in decls {
        // A baked weights file of the README's (`controller.safetensors`) is not in the
        // repository: check the declaration's shapes without it.
        let body: String = d
            .lines()
            .filter(|l| !l.trim_start().starts_with("weights:"))
            .map(|l| format!("{l}\n"))
            .collect();
        let tokens: proc_macro2::TokenStream = body.parse().expect("the declaration lexes");
        let out = kiln_dsl::expand(tokens).to_string();
        assert!(
            !out.contains("compile_error"),
            "README declaration fails:\n{d}\n{out}"
        );
    }
}

#[test]
fn a_wrong_declaration_would_be_caught() {
    let tokens: proc_macro2::TokenStream =
        "struct N { input: [4], layers: [dense(3 -> 2)], loss: mse }"
            .parse()
            .unwrap();
    assert!(kiln_dsl::expand(tokens)
        .to_string()
        .contains("compile_error"));
}
