//! Compile-fail and pass cases for `network!`: every diagnostic the macro emits is pinned in a
//! `.stderr` snapshot next to its case. Regenerate with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
