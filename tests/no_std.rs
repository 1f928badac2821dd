//! kiln without its `std` feature: the `#![no_std]` crate `no-std-check` is built and tested
//! on its own (so kiln's features are not unified with the rest of the workspace), in a
//! target folder of its own, and checks that kiln really was built without std and that the
//! embedded networks give the std build's numbers. Neither kiln nor its runtime use `alloc`,
//! so no allocator is needed either.

use std::process::Command;

#[test]
fn kiln_builds_and_runs_without_std_or_an_allocator() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(env!("CARGO"))
        .args(["test", "-p", "kiln-no-std-check", "--target-dir"])
        .arg(format!("{root}/target/no-std"))
        .env("KILN_EXPECT_NO_STD", "1")
        .current_dir(root)
        .output()
        .expect("cargo runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "no_std build or its tests failed:\n{log}"
    );
    assert!(
        log.contains("test same_numbers_as_the_std_build ... ok"),
        "{log}"
    );

    // No allocator: the crates built without std never reach for `alloc`.
    for dir in ["src", "runtime/src", "no-std-check/src"] {
        for file in walk(&format!("{root}/{dir}")) {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(!text.contains("extern crate alloc"), "{file} uses alloc");
        }
    }
}

fn walk(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(p.to_str().unwrap()));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p.display().to_string());
        }
    }
    out
}
