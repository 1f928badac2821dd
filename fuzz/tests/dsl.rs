//! The `dsl` target's generator: seeded declarations through `kiln_dsl::expand`. None may
//! panic, hang or allocate out of proportion, and enough must check without a single
//! `compile_error!` to show that the generator writes valid declarations, not only noise
//! (and enough must not, to show that it slips).

use arbitrary::Unstructured;
use kiln_fuzz::driver::execute;
use kiln_fuzz::dsl::{compile_errors, declaration, expand_text};
use kiln_fuzz::rng::Rng;
use kiln_fuzz::target;

const RUNS: usize = 2_000;

/// `RUNS` seeded inputs of 256 random bytes each.
fn inputs() -> Vec<Vec<u8>> {
    let mut rng = Rng::new(2024);
    (0..RUNS)
        .map(|_| (0..256).map(|_| rng.next_u64() as u8).collect())
        .collect()
}

#[test]
fn generated_declarations_never_panic_and_many_are_valid() {
    let t = target("dsl").expect("`dsl` is registered");
    let mut valid = 0;
    let mut failed = 0;
    // One example per distinct problem.
    let mut found: Vec<(String, String)> = Vec::new();
    for bytes in inputs() {
        let text = declaration(&mut Unstructured::new(&bytes));
        // First byte 0: the target generates the same declaration from the rest.
        let input = [&[0][..], &bytes].concat();
        if let Some(problem) = execute(t, &input) {
            failed += 1;
            let problem = problem.to_string();
            if !found.iter().any(|(p, _)| *p == problem) {
                found.push((problem, text));
            }
            continue;
        }
        let out = expand_text(&text).expect("generated declarations lex");
        valid += usize::from(compile_errors(&out) == 0);
    }
    let causes: Vec<String> = found
        .iter()
        .map(|(p, t)| format!("{p}, e.g. on\n{t}"))
        .collect();
    assert!(
        failed == 0,
        "{failed} of {RUNS} declarations failed, {} distinct problems:\n{}",
        found.len(),
        causes.join("\n")
    );
    assert!(
        valid * 10 >= RUNS,
        "only {valid} of {RUNS} declarations expand without errors"
    );
    assert!(
        valid * 10 <= RUNS * 9,
        "{valid} of {RUNS} declarations expand without errors: the generator hardly slips"
    );
}

#[test]
fn an_exhausted_input_gives_a_valid_declaration() {
    let text = declaration(&mut Unstructured::new(&[]));
    let out = expand_text(&text).expect("lexes");
    assert_eq!(compile_errors(&out), 0, "{text}");
    assert!(text.contains("pub struct"), "{text}");
}

#[test]
fn compile_errors_are_counted_in_nested_groups() {
    let valid = "pub struct N { input: [4], layers: [dense(8), relu, dense(2)], loss: mse }";
    assert_eq!(compile_errors(&expand_text(valid).unwrap()), 0);
    let bad = "pub struct N { input: [4], layers: [dense(0), rleu, dropout(2.0)], loss: what }";
    assert_eq!(compile_errors(&expand_text(bad).unwrap()), 4);
    let unparsable = "pub struct N { input: [4] layers: [] }";
    assert_eq!(compile_errors(&expand_text(unparsable).unwrap()), 1);
    assert!(
        expand_text("pub struct N { input: [4").is_none(),
        "unbalanced: no tokens"
    );
}
