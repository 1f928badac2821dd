use kiln::prelude::*;

network! {
    pub struct Tagger {
        input: [16],
        layers: [dense(8), relu, dense(3)],
        loss: bce_with_logits(pos_weight = [2.0, 1.0]),
    }
}

fn main() {}
