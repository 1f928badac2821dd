//! The CI smoke run: every target fuzzed briefly from its corpus with a fixed seed, and every
//! corpus and crash input replayed; none may panic, hang or allocate out of proportion.

use std::time::Duration;

use kiln_fuzz::driver::{corpus_dir, crashes_dir, execute, fuzz, read_inputs, Budget};
use kiln_fuzz::{target, TARGETS};

#[test]
fn every_target_survives_a_short_seeded_run() {
    let budget = Budget {
        iterations: 3_000,
        time: Duration::from_secs(3),
    };
    for t in TARGETS {
        let corpus: Vec<Vec<u8>> = read_inputs(&corpus_dir(t.name))
            .unwrap()
            .into_iter()
            .map(|(_, b)| b)
            .collect();
        assert!(corpus.len() >= 3, "{}: the seed corpus is missing", t.name);
        let report = fuzz(*t, &corpus, budget, 2024, None).unwrap();
        assert!(
            report.iterations >= corpus.len() as u64,
            "{}: only {} iterations",
            t.name,
            report.iterations
        );
        let found: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{} on {:?}", f.problem, f.input))
            .collect();
        assert!(found.is_empty(), "{}: {found:#?}", t.name);
    }
}

#[test]
fn corpus_and_saved_crashes_replay_cleanly() {
    let mut replayed = 0;
    for t in TARGETS {
        for (path, input) in read_inputs(&corpus_dir(t.name)).unwrap() {
            assert_eq!(execute(*t, &input), None, "{}", path.display());
            replayed += 1;
        }
    }
    assert!(replayed >= 20, "only {replayed} corpus files");
    // Crash files are named `<target>-<hash>`; a fixed one moves into the corpus.
    for (path, input) in read_inputs(&crashes_dir()).unwrap() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let t = name
            .split_once('-')
            .and_then(|(t, _)| target(t))
            .unwrap_or_else(|| panic!("{name}: not named after a target"));
        assert_eq!(execute(t, &input), None, "{}", path.display());
    }
}

#[test]
fn the_training_seeds_restore_so_mutants_reach_the_restore_path() {
    use kiln::checkpoint::load_training_from_bytes;
    use kiln::prelude::*;
    use kiln::runtime::optim::{Adam, Sgd};
    use kiln_fuzz::net::FuzzNet;
    let dir = corpus_dir("training");
    let adam = std::fs::read(dir.join("fuzznet-adam-f32.safetensors")).unwrap();
    let mut net = FuzzNet::<f32>::new(&mut seeded(1));
    let state = net.train_state(0);
    let mut opt = Adam::new(1e-3).unwrap();
    let meta = load_training_from_bytes("a", &adam, &mut net, &mut opt, &state.grads, &[]);
    assert!(meta.is_ok(), "{meta:?}");
    assert_eq!(opt.steps(), 2);
    let sgd = std::fs::read(dir.join("fuzznet-sgd-f64.safetensors")).unwrap();
    let mut net = FuzzNet::<f64>::new(&mut seeded(1));
    let state = net.train_state(0);
    let mut opt = Sgd::new(0.1).unwrap().momentum(0.9).unwrap();
    assert!(load_training_from_bytes("s", &sgd, &mut net, &mut opt, &state.grads, &[]).is_ok());
}
