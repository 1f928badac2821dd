//! Compile-fail and pass cases for `network!`: every diagnostic the macro emits is pinned in a
//! `.stderr` snapshot next to its case, in one folder per topic. Regenerate with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    // trybuild compiles the cases as a crate in `<target>/tests/trybuild/kiln`, so that is
    // where `weights: "mlp.safetensors"` looks (paths are relative to the crate's manifest).
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test binary lives in <target>/<profile>/deps");
    let project = target.join("tests/trybuild/kiln");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/no-std-check/weights/mlp.safetensors"
        ),
        project.join("mlp.safetensors"),
    )
    .unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/digits_mlp.int8.safetensors"
        ),
        project.join("digits.int8.safetensors"),
    )
    .unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/lstm-stream/filter.int8.safetensors"
        ),
        project.join("filter.int8.safetensors"),
    )
    .unwrap();

    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
