use kiln::prelude::*;

network! {
    pub struct A { input: [1, 28, 28], layers: [conv1d(4, 3), flatten, dense(2)], loss: mse }
}

network! {
    pub struct B { input: [2, 16], layers: [conv2d(4, 3), flatten, dense(2)], loss: mse }
}

network! {
    pub struct C { input: [2, 16], layers: [conv1d(4, [1, 3]), flatten, dense(2)], loss: mse }
}

network! {
    pub struct D { input: [1, 8, 8], layers: [conv2d(4, 3, padding = causal), flatten, dense(2)], loss: mse }
}

network! {
    pub struct E { input: [2, 4], layers: [max_pool1d(8), flatten, dense(2)], loss: mse }
}

fn main() {}
