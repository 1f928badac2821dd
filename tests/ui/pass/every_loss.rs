//! One network per loss, each trained for one step.
use kiln::prelude::*;
use kiln::runtime::optim::Sgd;

network! {
    struct Ce { input: [8], layers: [dense(4)], loss: softmax_cross_entropy }
}
network! {
    struct CeAlias { input: [8], layers: [dense(4)], loss: cross_entropy }
}
network! {
    struct CeSmooth { input: [8], layers: [dense(4)], loss: softmax_cross_entropy(label_smoothing = 0.1) }
}
network! {
    struct CeSmoothNotes { input: [8], layers: [dense(4)], loss: softmax_cross_entropy(label_smoothing_others = 0.1) }
}
network! {
    struct Mse { input: [8], layers: [dense(3)], loss: mse }
}
network! {
    struct MseHalf { input: [8], layers: [dense(3)], loss: mse(half = true) }
}
network! {
    struct Bce { input: [8], layers: [dense(1)], loss: bce_with_logits }
}
network! {
    struct Mae { input: [8], layers: [dense(3)], loss: mae }
}
network! {
    struct L1 { input: [8], layers: [dense(3)], loss: l1 }
}

network! {
    struct CeWeighted { input: [8], layers: [dense(4)], loss: softmax_cross_entropy(weight = [1.0, 2.0, 0.5, 1.0]) }
}
network! {
    struct BcePos { input: [8], layers: [dense(2)], loss: bce_with_logits(pos_weight = [3.0, 1.0]) }
}
network! {
    struct BcePosAll { input: [8], layers: [dense(2)], loss: bce_with_logits(pos_weight = 2.0) }
}
network! {
    struct HuberLoss { input: [8], layers: [dense(3)], loss: huber(delta = 0.5) }
}
network! {
    struct HuberDefault { input: [8], layers: [dense(3)], loss: huber }
}
network! {
    struct SmoothL1Loss { input: [8], layers: [dense(3)], loss: smooth_l1(beta = 0.25) }
}

network! {
    struct NllLoss { input: [8], layers: [dense(4), log_softmax], loss: nll }
}
network! {
    struct NllWeighted { input: [8], layers: [dense(4), log_softmax], loss: nll(weight = [1.0, 2.0, 1.0, 0.5]) }
}
network! {
    struct Probabilities { input: [8], layers: [dense(4), softmax], loss: mse }
}

macro_rules! step {
    ($net:ident, $target:expr) => {{
        let mut rng = seeded(1);
        let mut net = $net::<f32>::new(&mut rng);
        let mut t = net.train_state(1);
        let mut opt = Sgd::new(0.01).unwrap();
        let x = [[0.5f32; 8]; 2];
        let loss = net.train_step(&x, $target, &mut opt, &mut t).unwrap();
        assert!(loss.is_finite());
    }};
}

fn main() {
    step!(Ce, &[0, 3]);
    step!(CeAlias, &[1, 2]);
    step!(CeSmooth, &[0, 1]);
    step!(CeSmoothNotes, &[2, 3]);
    step!(Mse, &[[0.1, 0.2, 0.3]; 2]);
    step!(MseHalf, &[[0.1, 0.2, 0.3]; 2]);
    step!(Bce, &[[1.0], [0.0]]);
    step!(Mae, &[[0.1, 0.2, 0.3]; 2]);
    step!(L1, &[[0.1, 0.2, 0.3]; 2]);
    step!(CeWeighted, &[0, 3]);
    step!(BcePos, &[[1.0, 0.0], [0.0, 1.0]]);
    step!(BcePosAll, &[[1.0, 0.0], [0.0, 1.0]]);
    step!(HuberLoss, &[[0.1, 0.2, 0.3]; 2]);
    step!(HuberDefault, &[[0.1, 0.2, 0.3]; 2]);
    step!(SmoothL1Loss, &[[0.1, 0.2, 0.3]; 2]);
    step!(NllLoss, &[0, 3]);
    step!(NllWeighted, &[1, 2]);
    step!(Probabilities, &[[0.25; 4]; 2]);
}
