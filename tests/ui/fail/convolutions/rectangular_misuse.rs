use kiln::prelude::*;

network! {
    pub struct A { input: [1, 8, 8], layers: [conv2d(4, [3, 2], padding = same), flatten, dense(2)], loss: mse }
}

network! {
    pub struct B { input: [1, 8, 8], layers: [conv2d(4, [1, 9]), flatten, dense(2)], loss: mse }
}

network! {
    pub struct C { input: [1, 8, 8], layers: [conv2d(4, [1, 2, 3]), flatten, dense(2)], loss: mse }
}

network! {
    pub struct D { input: [1, 8, 8], layers: [max_pool2d([2, 4], padding = [1, 3]), flatten, dense(2)], loss: mse }
}

fn main() {}
