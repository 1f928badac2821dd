//! Every model's tensors carry the names and shapes of the PyTorch module a user writes for
//! its declaration (`tools/reference/model_state_dicts.py`), so PyTorch state_dicts of those
//! modules load with no key remapping and kiln's files load in PyTorch with `strict=True`.

use kiln::prelude::*;
use kiln_models::*;

#[path = "fixtures/torch_state_dict_names.rs"]
mod torch;

fn same<N: Network<f32>>(name: &str, want: &[(&str, &[usize])]) {
    let mut ours: Vec<(&str, &[usize])> = N::TENSORS.iter().map(|t| (t.name, t.shape)).collect();
    let mut theirs = want.to_vec();
    ours.sort_unstable();
    theirs.sort_unstable();
    let only = |a: &[(&str, &[usize])], b: &[(&str, &[usize])]| -> Vec<String> {
        a.iter()
            .filter(|t| !b.contains(t))
            .map(|(n, s)| format!("{n}{s:?}"))
            .collect()
    };
    assert!(
        ours == theirs,
        "{name}: kiln only {:?}\nPyTorch only {:?}",
        only(&ours, &theirs),
        only(&theirs, &ours)
    );
}

#[test]
fn every_model_has_its_pytorch_state_dict_names() {
    same::<AlexNet<f32>>("AlexNet", torch::ALEXNET);
    same::<AlexNetCifar<f32>>("AlexNetCifar", torch::ALEXNET_CIFAR);
    same::<Vgg11<f32>>("Vgg11", torch::VGG11);
    same::<Vgg11Cifar<f32>>("Vgg11Cifar", torch::VGG11_CIFAR);
    same::<Nin<f32>>("Nin", torch::NIN);
    same::<NinCifar<f32>>("NinCifar", torch::NIN_CIFAR);
    same::<GoogLeNet<f32>>("GoogLeNet", torch::GOOGLENET);
    same::<GoogLeNetCifar<f32>>("GoogLeNetCifar", torch::GOOGLENET_CIFAR);
    same::<ResNet18<f32>>("ResNet18", torch::RESNET18);
    same::<ResNet18Cifar<f32>>("ResNet18Cifar", torch::RESNET18_CIFAR);
    same::<DenseNet<f32>>("DenseNet", torch::DENSENET);
    same::<DenseNetCifar<f32>>("DenseNetCifar", torch::DENSENET_CIFAR);
    same::<MobileNet<f32>>("MobileNet", torch::MOBILENET);
    same::<MobileNetCifar<f32>>("MobileNetCifar", torch::MOBILENET_CIFAR);
    same::<LeNet5<f32>>("LeNet5", torch::LENET5);
    same::<LeNet5Classic<f32>>("LeNet5Classic", torch::LENET5_CLASSIC);
    same::<DigitsMlp<f32>>("DigitsMlp", torch::DIGITS_MLP);
    same::<MlpRegressor<f32>>("MlpRegressor", torch::MLP_REGRESSOR);
    same::<CharLstm<f32>>("CharLstm", torch::CHAR_LSTM);
    same::<ResidualLstm<f32>>("ResidualLstm", torch::RESIDUAL_LSTM);
}
