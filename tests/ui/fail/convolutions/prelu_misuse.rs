use kiln::prelude::*;

network! {
    pub struct A { input: [1, 8, 8], layers: [conv2d(4, 3), prelu(per_feature), flatten, dense(2)], loss: mse }
}

network! {
    pub struct B { input: [2, 16], layers: [conv1d(4, 3), prelu(per_pixel), flatten, dense(2)], loss: mse }
}

network! {
    pub struct C { input: [1, 8, 8], layers: [conv2d(4, 3), prelu(num_parameters = 4), flatten, dense(2)], loss: mse }
}

fn main() {}
