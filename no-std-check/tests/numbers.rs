//! The embedded networks, built with kiln without std, give the numbers the std networks gave
//! (recorded by the workspace test `tests/embedded.rs`).

mod expected;

fn input<const N: usize>(k: usize) -> [f32; N] {
    std::array::from_fn(|i| (((i + 7 * k) * 37 % 101) as f32 / 50.0) - 1.0)
}

fn check(name: &str, got: &[f32]) {
    let want = expected::EXPECTED
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} not recorded"))
        .1;
    assert_eq!(got.len(), want.len(), "{name}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
            "{name}[{i}]: {g} vs std {w}"
        );
    }
}

#[test]
fn same_numbers_as_the_std_build() {
    // Run on its own (tests/no_std.rs), kiln must have been built without std.
    if std::env::var_os("KILN_EXPECT_NO_STD").is_some() {
        let has_std = kiln::HAS_STD;
        assert!(!has_std, "kiln was built with std");
    }
    for k in 0..3 {
        check(&format!("mlp{k}"), &kiln_no_std_check::mlp(&input::<16>(k)));
        check(
            &format!("conv{k}"),
            &kiln_no_std_check::conv(&input::<64>(k)),
        );
    }
    for k in 0..3 {
        let mlp = kiln_no_std_check::mlp_int8(&input::<16>(k));
        check(&format!("mlp_int8{k}"), &mlp);
        let conv = kiln_no_std_check::conv_int8(&input::<64>(k));
        check(&format!("conv_int8{k}"), &conv);
        let conv1d = kiln_no_std_check::conv1d_int8(&input::<64>(k));
        check(&format!("conv1d_int8{k}"), &conv1d);
        let ds_cnn = kiln_no_std_check::ds_cnn_int8(&input::<64>(k));
        check(&format!("ds_cnn_int8{k}"), &ds_cnn);
        let conv_bn = kiln_no_std_check::conv_bn_int8(&input::<64>(k));
        check(&format!("conv_bn_int8{k}"), &conv_bn);
        let acts = kiln_no_std_check::act_int8(&input::<16>(k));
        check(&format!("act_int8{k}"), &acts);
    }
    for k in 0..3 {
        check(&format!("res{k}"), &kiln_no_std_check::res(&input::<64>(k)));
        check(
            &format!("conv1d{k}"),
            &kiln_no_std_check::conv1d(&input::<64>(k)),
        );
    }
    for k in 0..3 {
        let window: [[f32; 2]; 8] = std::array::from_fn(|t| input::<2>(k + t));
        check(&format!("bi_seq{k}"), &kiln_no_std_check::bi_seq(&window));
    }
    let lstm: Vec<f32> = (0..12).flat_map(input::<3>).collect();
    let mut ys = [0.0; 2 * 12];
    kiln_no_std_check::lstm_int8(&lstm, &mut ys);
    check("lstm_int8", &ys);
    let xs = input::<40>(1);
    let mut ys = [0.0; 40];
    kiln_no_std_check::stream(&xs, &mut ys);
    check("stream", &ys);
    let ids = [3usize, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    check("tokens", &kiln_no_std_check::tokens(&ids).unwrap());
    let five: Vec<usize> = ids.iter().map(|i| i % 5).collect();
    check("onehot", &kiln_no_std_check::one_hot(&five).unwrap());
    assert!(kiln_no_std_check::tokens(&[10]).is_err());
}
