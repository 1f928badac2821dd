use kiln::prelude::*;

network! {
    pub struct A { input: [seq, 3], layers: [lstm(8, dropout = 0.2), dense(2)], loss: mse }
}

network! {
    pub struct B { input: [seq, 3], layers: [lstm(8, layers = 0), dense(2)], loss: mse }
}

network! {
    pub struct C { input: [seq, 3], layers: [bidirectional(lstm(8, layers = 2), lstm(8)), dense(2)], loss: mse }
}

network! {
    pub struct D { input: [seq, 3], layers: [gru(8, num_layers = 2), dense(2)], loss: mse }
}

fn main() {}
