//! Every architecture of kiln-models, at both input sizes, against the same model built in
//! PyTorch (fixtures from tools/reference/models.py): the per-layer output shapes
//! (`LAYER_SHAPES`, one entry per emitted top-level layer) and the parameter count. The
//! small-input variants also run one sample forward.

use kiln::prelude::*;
use kiln_models::*;

#[path = "fixtures/torch_models.rs"]
mod torch;

fn assert_shapes(name: &str, kiln: &[(&str, &[usize])], torch: &[(&str, &[usize])]) {
    for (k, t) in kiln.iter().zip(torch) {
        assert_eq!(
            k, t,
            "{name}: kiln's layer (left) against PyTorch's (right)"
        );
    }
    assert_eq!(kiln.len(), torch.len(), "{name}: number of emitted layers");
}

/// `Network::TENSORS` (worked out by the macro) against the runtime's named visitors.
fn assert_tensors<N: Network<f32>>(name: &str, net: &mut N) {
    if let Err(e) = kiln::runtime::network::check_tensors(net) {
        panic!("{name}: {e}");
    }
}

/// Shapes and parameter count; for the small-input variants also a forward of one sample.
macro_rules! matches_torch {
    ($test:ident, $net:ident, $torch:ident, $forward:literal) => {
        #[test]
        fn $test() {
            let torch::Model { params, shapes } = torch::$torch;
            assert_shapes(stringify!($net), $net::<f32>::LAYER_SHAPES, shapes);
            let mut net = $net::<f32>::new(&mut seeded(1));
            assert_tensors(stringify!($net), &mut net);
            assert_eq!(
                net.param_count(),
                params,
                "{}: parameters",
                stringify!($net)
            );
            if $forward {
                let x: Vec<f32> = (0..$net::<f32>::INPUT)
                    .map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0)
                    .collect();
                let y = net.forward_one(x.as_slice().try_into().unwrap(), &mut net.scratch());
                assert!(
                    y.iter().all(|v| v.is_finite()),
                    "{}: output {y:?}",
                    stringify!($net)
                );
                assert!(
                    y.iter().any(|&v| v != y[0]),
                    "{}: constant output {y:?}",
                    stringify!($net)
                );
            }
        }
    };
}

matches_torch!(alexnet_224, AlexNet, ALEXNET, false);
matches_torch!(alexnet_cifar, AlexNetCifar, ALEXNET_CIFAR, true);
matches_torch!(vgg11_224, Vgg11, VGG11, false);
matches_torch!(vgg11_cifar, Vgg11Cifar, VGG11_CIFAR, true);
matches_torch!(nin_224, Nin, NIN, false);
matches_torch!(nin_cifar, NinCifar, NIN_CIFAR, true);
matches_torch!(googlenet_96, GoogLeNet, GOOGLENET, false);
matches_torch!(googlenet_cifar, GoogLeNetCifar, GOOGLENET_CIFAR, true);
matches_torch!(resnet18_96, ResNet18, RESNET18, false);
matches_torch!(resnet18_cifar, ResNet18Cifar, RESNET18_CIFAR, true);
matches_torch!(densenet_96, DenseNet, DENSENET, false);
matches_torch!(densenet_cifar, DenseNetCifar, DENSENET_CIFAR, true);
matches_torch!(mobilenet_96, MobileNet, MOBILENET, false);
matches_torch!(mobilenet_cifar, MobileNetCifar, MOBILENET_CIFAR, true);
matches_torch!(residual_lstm, ResidualLstm, RESIDUAL_LSTM, true);

#[test]
fn small_models_name_their_tensors_as_declared() {
    assert_tensors("DigitsMlp", &mut DigitsMlp::<f32>::new(&mut seeded(1)));
    assert_tensors("CharLstm", &mut CharLstm::<f32>::new(&mut seeded(1)));
    let shapes: Vec<_> = CharLstm::<f32>::TENSORS.iter().map(|t| t.shape).collect();
    assert_eq!(shapes[0], &[1024, 65], "LSTM weight_ih_l0 is [4h, in]");
}
