//! Every layer kind, every activation name and every initialiser the macro accepts.
use kiln::prelude::*;

network! {
    /// A kitchen-sink network: not a sensible model, but every spelling must compile.
    pub struct Everything {
        input: [32],
        layers: [
            dense(32), identity,
            dense(32 -> 32, bias = false), linear_act,
            linear(32, bias = true), sigmoid,
            dense(32), logistic,
            dense(32), tanh,
            dense(32), relu,
            dense(32), leaky_relu,
            dense(32), leaky_relu(0.2),
            dense(32), elu,
            dense(32), elu(0.5),
            dense(32), softplus,
            dense(32), hard_sigmoid,
            dense(32), hardsigmoid,
            dense(32), hard_tanh,
            dense(32), hardtanh,
            dense(32), gelu,
            dense(32), gelu_tanh,
            dense(32), swish,
            dense(32), silu,
            relu, tanh,
            dropout(0.1),
            dropout(0),
            batch_norm,
            batch_norm(momentum = 0.01, eps = 1e-3),
            layer_norm,
            layer_norm(eps = 1e-6),
            prelu,
            prelu(shared),
            prelu(per_feature, init = 0.1),
            maxout(16, pieces = 3),
            maxout(16, pieces = 2, init = xavier_normal),
            dense(16, init = zeros),
            dense(16, init = constant(0.1)),
            dense(16, init = uniform(0.05)),
            dense(16, init = uniform(-0.1, 0.2)),
            dense(16, init = normal(0.01)),
            dense(16, init = normal(0.5, 0.01)),
            dense(16, init = xavier_uniform),
            dense(16, init = xavier_uniform(2.0)),
            dense(16, init = xavier_normal(1.5)),
            dense(16, init = kaiming_uniform),
            dense(16, init = kaiming_uniform(0.1)),
            dense(16, init = kaiming_normal),
            dense(16, init = kaiming_normal(0.2)),
            dense(16, init = orthogonal),
            dense(16, init = orthogonal(1.4)),
            dense(4),
        ],
        output: [4],
        loss: softmax_cross_entropy,
    }
}

fn main() {
    let mut rng = seeded(7);
    let net = Everything::<f32>::new(&mut rng);
    let mut s = net.scratch();
    let y = net.forward_one(&[0.25; 32], &mut s);
    assert_eq!(y.len(), 4);
    assert_eq!(Everything::<f32>::INPUT_SHAPE, &[32]);
    assert_eq!(Everything::<f32>::OUTPUT_SHAPE, &[4]);
}
