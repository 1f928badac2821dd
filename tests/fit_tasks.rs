//! `Fit` beyond classification, on real data: a regression on a CSV with a header (early
//! stopping on validation RMSE, a plot of RMSE, the scaling saved with the model and used to
//! predict on raw rows), a multi-label model, f64 networks, and `ReduceLrOnPlateau`.

use std::path::PathBuf;

use kiln::checkpoint::{load_weights, read_metadata};
use kiln::data::{diabetes, digits, parse_table, Dataset, Scaling, Table};
use kiln::prelude::*;
use kiln::runtime::network::predict;
use kiln::runtime::optim::Adam;
use kiln::runtime::schedule::Cosine;
use kiln::train::{best_path, EarlyStopping, Fit, Metric, ReduceLrOnPlateau, TrainError};

network! {
    struct Regressor {
        input: [10],
        layers: [dense(32), relu, dense(1)],
        loss: mse,
    }
}

network! {
    struct Tagger {
        input: [64],
        layers: [dense(32), relu, dense(4)],
        loss: bce_with_logits,
    }
}

network! {
    struct Classifier {
        input: [64],
        layers: [dense(32), relu, dense(10)],
        loss: softmax_cross_entropy,
    }
}

fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kiln-tasks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The diabetes table split 80/20, both sides standardised with the training side's scaling.
fn diabetes_split() -> (Table, Table, Scaling) {
    let (mut train, mut val) = diabetes().unwrap().split(0.8, 7).unwrap();
    let scaling = train.fit_standardizer().unwrap();
    train.scale(&scaling).unwrap();
    val.scale(&scaling).unwrap();
    (train, val, scaling)
}

#[test]
fn regression_on_a_csv_stops_on_rmse_and_saves_its_scaling() {
    let dir = scratch_dir("regression");
    let (train, val, scaling) = diabetes_split();
    let raw_val = diabetes().unwrap().split(0.8, 7).unwrap().1;
    let mut net = Regressor::<f32>::new(&mut seeded(3));
    let mut opt = Adam::new(0.01).unwrap();
    let history = Fit::new(300, 32)
        .unwrap()
        .seed(5)
        .early_stopping(
            EarlyStopping::new(Metric::Rmse, 15)
                .unwrap()
                .restore_best(true),
        )
        .checkpoint(dir.join("model.safetensors"))
        .metadata(scaling.metadata())
        .plot(dir.join("curves.svg"), "diabetes")
        .quiet()
        .run(&mut net, &mut opt, &train, Some(&val))
        .unwrap();

    // Early stopping ended the run and put back the best epoch by validation RMSE.
    let stopped = history
        .stopped_early
        .expect("300 epochs on 354 rows overfit");
    let best = history.restored_epoch.unwrap_or(stopped);
    let best_val = history.epochs[best - 1].val.clone().unwrap();
    let min_rmse = history
        .epochs
        .iter()
        .map(|r| r.val.as_ref().unwrap().rmse.unwrap())
        .fold(f64::MAX, f64::min);
    assert_eq!(best_val.rmse, Some(min_rmse));
    assert_eq!(best_val.accuracy, None, "no accuracy for a regression");
    // In the target's units (progression 25..346, std 77 on this split): a linear model
    // reaches an RMSE of about 54 and R² of about 0.5 on this data.
    let (rmse, r2) = (best_val.rmse.unwrap(), best_val.r2.unwrap());
    eprintln!("diabetes: best epoch {best} of {stopped}, validation RMSE {rmse:.2}, MAE {:.2}, R² {r2:.3}", best_val.mae.unwrap());
    assert!(rmse > 35.0 && rmse < 62.0, "validation RMSE {rmse}");
    assert!(r2 > 0.3, "validation R² {r2}");

    // A fresh network from the saved file predicts on raw rows with the saved scaling, and
    // its RMSE is the one the history reports.
    let file = best_path(&dir.join("model.safetensors"));
    let saved = Scaling::from_metadata(&read_metadata(&file).unwrap()).unwrap();
    assert_eq!(saved, scaling);
    let mut loaded = Regressor::<f32>::new(&mut seeded(99));
    load_weights(&mut loaded, &file).unwrap();
    let mut x: Vec<f32> = raw_val.features.iter().map(|&v| v as f32).collect();
    saved.scale_inputs(&mut x, 10).unwrap();
    let mut y = predict(&loaded, &x, 64).unwrap();
    saved.unscale_outputs(&mut y, 1).unwrap();
    let sse: f64 = y
        .iter()
        .zip(&raw_val.targets)
        .map(|(&p, &t)| (p as f64 - t).powi(2))
        .sum();
    let by_hand = (sse / raw_val.len() as f64).sqrt();
    assert!((by_hand - rmse).abs() < 1e-3 * rmse, "{by_hand} vs {rmse}");

    let svg = std::fs::read_to_string(dir.join("curves.svg")).unwrap();
    assert!(svg.contains(">RMSE<") && svg.contains(">R²<") && !svg.contains(">accuracy<"));
}

#[test]
fn a_csv_table_with_several_targets_trains() {
    // Two targets from the real table: progression and blood pressure, named in that order.
    let raw = diabetes().unwrap();
    let mut csv = format!(
        "{},progression\n",
        raw.feature_names.join(",").replace("bp", "pressure")
    );
    for (row, y) in raw.features.chunks(10).zip(&raw.targets) {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        csv += &format!("{},{y}\n", cells.join(","));
    }
    let t = parse_table("d.csv", csv.as_bytes(), &["progression", "pressure"]).unwrap();
    assert_eq!((t.width(), t.target_width()), (9, 2));
    assert_eq!(t.targets[..2], [raw.targets[0], raw.features[3]]);
}

/// Four yes/no properties of each digit image: even, at least 5, prime, has a closed loop.
fn digit_properties() -> (Table, Table) {
    let d = digits().unwrap();
    let props = |l: usize| {
        [
            l.is_multiple_of(2),
            l >= 5,
            [2, 3, 5, 7].contains(&l),
            [0, 6, 8, 9].contains(&l),
        ]
        .map(|b| f64::from(u8::from(b)))
    };
    let features = d.features.iter().map(|&v| v as f64 / 16.0).collect();
    let targets = d.labels.iter().flat_map(|&l| props(l)).collect();
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
    let t = Table::new(
        features,
        (0..64).map(|i| format!("p{i}")).collect(),
        targets,
        names(&["even", "high", "prime", "loop"]),
    )
    .unwrap()
    .multi_label()
    .unwrap();
    t.split(0.8, 2).unwrap()
}

#[test]
fn multi_label_model_reports_f1_per_label() {
    let (train, val) = digit_properties();
    let mut net = Tagger::<f32>::new(&mut seeded(1));
    let mut opt = Adam::new(0.01).unwrap();
    let history = Fit::new(30, 32)
        .unwrap()
        .early_stopping(EarlyStopping::new(Metric::F1, 5).unwrap())
        .quiet()
        .run(&mut net, &mut opt, &train, Some(&val))
        .unwrap();
    let last = history.last().unwrap().val.clone().unwrap();
    let labels = last.labels.clone().unwrap();
    assert_eq!(labels.len(), 4);
    eprintln!("digit properties: {}", last.summary());
    assert!(last.f1.unwrap() > 0.9, "macro F1 {:?}", last.f1);
    assert!(labels.iter().all(|s| s.f1 > 0.85), "{labels:?}");
    let mean_f1 = labels.iter().map(|s| s.f1).sum::<f64>() / 4.0;
    assert!((mean_f1 - last.f1.unwrap()).abs() < 1e-12);
    assert!(last.accuracy.unwrap() > 0.9 && last.rmse.is_none());
}

#[test]
fn f64_networks_fit_classes_and_regression() {
    let mut d: Dataset = digits().unwrap();
    d.scale(1.0 / 16.0);
    let (train, val) = d.split(0.8, 3).unwrap();
    let mut net = Classifier::<f64>::new(&mut seeded(4));
    let mut opt = Adam::<f64>::new(0.01).unwrap();
    let h = Fit::new(5, 32)
        .unwrap()
        .quiet()
        .run(&mut net, &mut opt, &train, Some(&val))
        .unwrap();
    let acc = h.last().unwrap().val.as_ref().unwrap().accuracy.unwrap();
    eprintln!(
        "f64 digits: {}",
        h.last().unwrap().val.as_ref().unwrap().summary()
    );
    assert!(acc > 0.9, "f64 digits accuracy {acc}");

    let (train, val, _) = diabetes_split();
    let mut net = Regressor::<f64>::new(&mut seeded(3));
    let mut opt = Adam::<f64>::new(0.01).unwrap();
    let h = Fit::new(40, 32)
        .unwrap()
        .quiet()
        .run(&mut net, &mut opt, &train, Some(&val))
        .unwrap();
    let r2 = h.last().unwrap().val.as_ref().unwrap().r2.unwrap();
    eprintln!(
        "f64 diabetes: {}",
        h.last().unwrap().val.as_ref().unwrap().summary()
    );
    assert!(r2 > 0.3, "f64 diabetes R² {r2}");
}

#[test]
fn reduce_lr_on_plateau_follows_the_validation_metric_and_resumes() {
    let dir = scratch_dir("plateau");
    let (train, val, _) = diabetes_split();
    let plateau = || {
        ReduceLrOnPlateau::new(Metric::Rmse)
            .factor(0.5)
            .unwrap()
            .patience(1)
    };
    let fit = |epochs: usize| {
        Fit::new(epochs, 32)
            .unwrap()
            .seed(9)
            .reduce_lr_on_plateau(plateau())
            .checkpoint(dir.join("run.safetensors"))
            .quiet()
    };
    let mut net = Regressor::<f32>::new(&mut seeded(3));
    let mut opt = Adam::new(0.05).unwrap();
    let whole = fit(24).run(&mut net, &mut opt, &train, Some(&val)).unwrap();

    // Replaying the recorded validation RMSEs through the schedule gives the recorded rates.
    let mut replay = plateau();
    let mut lr = 0.05;
    for r in &whole.epochs {
        lr = replay.update(r, lr).unwrap();
        assert_eq!(r.lr, lr, "epoch {}", r.epoch);
    }
    let lrs: Vec<f64> = whole.epochs.iter().map(|r| r.lr).collect();
    assert!(
        lrs.windows(2).all(|w| w[1] <= w[0]) && lrs[23] < 0.05,
        "{lrs:?}"
    );

    // Stopped after 10 epochs and resumed to 24: the same run.
    let mut net2 = Regressor::<f32>::new(&mut seeded(3));
    let mut opt2 = Adam::new(0.05).unwrap();
    fit(10)
        .run(&mut net2, &mut opt2, &train, Some(&val))
        .unwrap();
    let resumed = fit(24)
        .resume(dir.join("run.safetensors"))
        .run(&mut net2, &mut opt2, &train, Some(&val))
        .unwrap();
    let key = |h: &kiln::train::History| -> Vec<(f64, f64)> {
        h.epochs.iter().map(|r| (r.train.loss, r.lr)).collect()
    };
    assert_eq!(key(&resumed), key(&whole));

    // It sets the rate itself, and it needs validation data.
    let e = fit(2)
        .schedule(Cosine::new(0.1, 10, 0.0).unwrap())
        .run(&mut net, &mut opt, &train, Some(&val))
        .unwrap_err();
    assert!(
        matches!(
            e,
            TrainError::Invalid {
                what: "ReduceLrOnPlateau",
                ..
            }
        ),
        "{e}"
    );
    let e = fit(2).run(&mut net, &mut opt, &train, None).unwrap_err();
    assert!(e.to_string().contains("needs a validation set"), "{e}");
}
