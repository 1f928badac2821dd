"""Reference parameter counts and per-layer output shapes of the classic architectures in
kiln-models (models/src/{alexnet,vgg,nin,googlenet,resnet,densenet}.rs).

Run: python3 tools/reference/models.py   (torch 2.x)
Each model is built in PyTorch item for item as its `layers: [...]` list is declared (d2l's
companion code for the layers themselves: `Residual`, `Inception`, `DenseBlock`, ...). An item
is marked as kiln emits it: `E` an emitted layer (a layer, a block, a residual or concat block:
one entry of `LAYER_SHAPES`), `A` an activation that kiln fuses into the layer before it, `F`
`flatten`; fused activations and `flatten` have no entry of their own. A dummy input of one
sample runs through the top-level modules in eval mode and the output shape after each `E`
item is recorded under `layers.{position in the list}`. Writes
models/tests/fixtures/torch_models.rs, so the tests need no PyTorch.
"""
import os
import torch
import torch.nn as nn
from torch.nn import functional as Fn


def E(m):
    return ("E", m)


def A(m=None):
    return ("A", m if m is not None else nn.ReLU())


def F():
    return ("F", nn.Flatten())


def conv(ci, co, k, s=1, p=0):
    return nn.Conv2d(ci, co, kernel_size=k, stride=s, padding=p)


def gap():
    """kiln's `global_avg_pool`: [C, H, W] -> [C] (d2l: AdaptiveAvgPool2d((1, 1)) + Flatten)."""
    return nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())


# ---- d2l's blocks ------------------------------------------------------------------------


def vgg_block(num_convs, ci, co):
    layers = []
    for _ in range(num_convs):
        layers += [conv(ci, co, 3, p=1), nn.ReLU()]
        ci = co
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def nin_block(ci, co, k, s, p):
    return nn.Sequential(
        conv(ci, co, k, s, p), nn.ReLU(),
        conv(co, co, 1), nn.ReLU(),
        conv(co, co, 1), nn.ReLU())


class Inception(nn.Module):
    def __init__(self, ci, c1, c2, c3, c4):
        super().__init__()
        self.b1_1 = conv(ci, c1, 1)
        self.b2_1 = conv(ci, c2[0], 1)
        self.b2_2 = conv(c2[0], c2[1], 3, p=1)
        self.b3_1 = conv(ci, c3[0], 1)
        self.b3_2 = conv(c3[0], c3[1], 5, p=2)
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = conv(ci, c4, 1)
        self.out = c1 + c2[1] + c3[1] + c4

    def forward(self, x):
        b1 = Fn.relu(self.b1_1(x))
        b2 = Fn.relu(self.b2_2(Fn.relu(self.b2_1(x))))
        b3 = Fn.relu(self.b3_2(Fn.relu(self.b3_1(x))))
        b4 = Fn.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


class Residual(nn.Module):
    """d2l's residual block, with the ReLU after the sum."""

    def __init__(self, ci, co, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = conv(ci, co, 3, strides, 1)
        self.conv2 = conv(co, co, 3, 1, 1)
        self.conv3 = conv(ci, co, 1, strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(co)
        self.bn2 = nn.BatchNorm2d(co)

    def forward(self, x):
        y = Fn.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3 is not None:
            x = self.conv3(x)
        return Fn.relu(y + x)


def conv_block(ci, co):
    return nn.Sequential(nn.BatchNorm2d(ci), nn.ReLU(), conv(ci, co, 3, p=1))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, ci, growth):
        super().__init__()
        self.net = nn.Sequential(*[conv_block(ci + i * growth, growth) for i in range(num_convs)])

    def forward(self, x):
        for blk in self.net:
            x = torch.cat((x, blk(x)), dim=1)
        return x


def transition_block(ci, co):
    return nn.Sequential(nn.BatchNorm2d(ci), nn.ReLU(), conv(ci, co, 1), nn.AvgPool2d(kernel_size=2, stride=2))


# ---- the models, item for item as declared in kiln-models ----------------------------------


def alexnet(cin, cifar):
    first = [E(conv(cin, 96, 3, 1, 1))] if cifar else [E(conv(cin, 96, 11, 4, 1))]
    flat = 256 * 3 * 3 if cifar else 6400
    return first + [
        A(), E(nn.MaxPool2d(3, 2)),
        E(conv(96, 256, 5, p=2)), A(), E(nn.MaxPool2d(3, 2)),
        E(conv(256, 384, 3, p=1)), A(),
        E(conv(384, 384, 3, p=1)), A(),
        E(conv(384, 256, 3, p=1)), A(),
        E(nn.MaxPool2d(3, 2)),
        F(),
        E(nn.Linear(flat, 4096)), A(), E(nn.Dropout(0.5)),
        E(nn.Linear(4096, 4096)), A(), E(nn.Dropout(0.5)),
        E(nn.Linear(4096, 10)),
    ]


def vgg11(cin, flat):
    items, ci = [], cin
    for n, co in ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)):
        items.append(E(vgg_block(n, ci, co)))
        ci = co
    return items + [
        F(),
        E(nn.Linear(flat, 4096)), A(), E(nn.Dropout(0.5)),
        E(nn.Linear(4096, 4096)), A(), E(nn.Dropout(0.5)),
        E(nn.Linear(4096, 10)),
    ]


def nin(cin, cifar):
    first = nin_block(cin, 96, 3, 1, 1) if cifar else nin_block(cin, 96, 11, 4, 0)
    return [
        E(first), E(nn.MaxPool2d(3, 2)),
        E(nin_block(96, 256, 5, 1, 2)), E(nn.MaxPool2d(3, 2)),
        E(nin_block(256, 384, 3, 1, 1)), E(nn.MaxPool2d(3, 2)),
        E(nn.Dropout(0.5)),
        E(nin_block(384, 10, 3, 1, 1)),
        E(gap()),
    ]


def googlenet(cin, cifar):
    if cifar:
        stem = [E(conv(cin, 64, 3, 1, 1)), A()]
    else:
        stem = [E(conv(cin, 64, 7, 2, 3)), A(), E(nn.MaxPool2d(3, 2, 1))]
    return stem + [
        E(conv(64, 64, 1)), A(), E(conv(64, 192, 3, p=1)), A(), E(nn.MaxPool2d(3, 2, 1)),
        E(Inception(192, 64, (96, 128), (16, 32), 32)),
        E(Inception(256, 128, (128, 192), (32, 96), 64)),
        E(nn.MaxPool2d(3, 2, 1)),
        E(Inception(480, 192, (96, 208), (16, 48), 64)),
        E(Inception(512, 160, (112, 224), (24, 64), 64)),
        E(Inception(512, 128, (128, 256), (24, 64), 64)),
        E(Inception(512, 112, (144, 288), (32, 64), 64)),
        E(Inception(528, 256, (160, 320), (32, 128), 128)),
        E(nn.MaxPool2d(3, 2, 1)),
        E(Inception(832, 256, (160, 320), (32, 128), 128)),
        E(Inception(832, 384, (192, 384), (48, 128), 128)),
        E(gap()),
        E(nn.Linear(1024, 10)),
    ]


def resnet18(cin, cifar):
    if cifar:
        stem = [E(conv(cin, 64, 3, 1, 1)), E(nn.BatchNorm2d(64)), E(nn.ReLU())]
    else:
        stem = [E(conv(cin, 64, 7, 2, 3)), E(nn.BatchNorm2d(64)), E(nn.ReLU()), E(nn.MaxPool2d(3, 2, 1))]
    blocks = [E(Residual(64, 64)), E(Residual(64, 64))]
    for ci, co in ((64, 128), (128, 256), (256, 512)):
        blocks += [E(Residual(ci, co, use_1x1conv=True, strides=2)), E(Residual(co, co))]
    return stem + blocks + [E(gap()), E(nn.Linear(512, 10))]


def densenet(cin, cifar):
    if cifar:
        stem = [E(conv(cin, 64, 3, 1, 1)), E(nn.BatchNorm2d(64)), E(nn.ReLU())]
    else:
        stem = [E(conv(cin, 64, 7, 2, 3)), E(nn.BatchNorm2d(64)), E(nn.ReLU()), E(nn.MaxPool2d(3, 2, 1))]
    items, c = [], 64
    for i in range(4):
        items.append(E(DenseBlock(4, c, 32)))
        c += 4 * 32
        if i != 3:
            items.append(E(transition_block(c, c // 2)))
            c //= 2
    assert c == 248
    return stem + items + [
        E(nn.BatchNorm2d(c)), E(nn.ReLU()),
        E(gap()),
        E(nn.Linear(c, 10)),
    ]


def separable(ci, co, s):
    """kiln's `separable(ci, co, s)`: depthwise 3x3 (groups = ci) + BN + ReLU, 1x1 + BN + ReLU."""
    return nn.Sequential(
        nn.Conv2d(ci, ci, 3, s, 1, groups=ci, bias=False), nn.BatchNorm2d(ci), nn.ReLU(),
        nn.Conv2d(ci, co, 1, bias=False), nn.BatchNorm2d(co), nn.ReLU(),
    )


def mobilenet(cin, cifar):
    stem = [E(nn.Conv2d(cin, 32, 3, 1 if cifar else 2, 1, bias=False)), E(nn.BatchNorm2d(32)), E(nn.ReLU())]
    plan = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)]
    plan += [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
    return stem + [E(separable(*p)) for p in plan] + [E(gap()), E(nn.Linear(1024, 10))]


# (const prefix, kiln name, input shape, items)
MODELS = [
    ("ALEXNET", "AlexNet", (1, 224, 224), lambda: alexnet(1, False)),
    ("ALEXNET_CIFAR", "AlexNetCifar", (3, 32, 32), lambda: alexnet(3, True)),
    ("VGG11", "Vgg11", (1, 224, 224), lambda: vgg11(1, 512 * 7 * 7)),
    ("VGG11_CIFAR", "Vgg11Cifar", (3, 32, 32), lambda: vgg11(3, 512)),
    ("NIN", "Nin", (1, 224, 224), lambda: nin(1, False)),
    ("NIN_CIFAR", "NinCifar", (3, 32, 32), lambda: nin(3, True)),
    ("GOOGLENET", "GoogLeNet", (1, 96, 96), lambda: googlenet(1, False)),
    ("GOOGLENET_CIFAR", "GoogLeNetCifar", (3, 32, 32), lambda: googlenet(3, True)),
    ("RESNET18", "ResNet18", (1, 96, 96), lambda: resnet18(1, False)),
    ("RESNET18_CIFAR", "ResNet18Cifar", (3, 32, 32), lambda: resnet18(3, True)),
    ("DENSENET", "DenseNet", (1, 96, 96), lambda: densenet(1, False)),
    ("DENSENET_CIFAR", "DenseNetCifar", (3, 32, 32), lambda: densenet(3, True)),
    ("MOBILENET", "MobileNet", (1, 96, 96), lambda: mobilenet(1, False)),
    ("MOBILENET_CIFAR", "MobileNetCifar", (3, 32, 32), lambda: mobilenet(3, True)),
]


def shapes_of(items, input_shape):
    """`(layers.{i}, per-sample shape)` after every emitted item, as kiln's LAYER_SHAPES."""
    model = nn.Sequential(*[m for _, m in items]).eval()
    out = []
    x = torch.zeros(1, *input_shape)
    with torch.no_grad():
        for i, ((kind, _), m) in enumerate(zip(items, model)):
            x = m(x)
            if kind == "E":
                out.append((f"layers.{i}", tuple(x.shape[1:])))
    params = sum(p.numel() for p in model.parameters())
    return params, out


def main():
    torch.manual_seed(0)
    lines = [
        "// Generated by tools/reference/models.py with torch " + torch.__version__ + "; do not edit.",
        "// For each model: its parameter count and, per emitted top-level layer, the per-sample",
        "// output shape, as `Network::param_count` and `LAYER_SHAPES` give them.",
        "",
        "pub struct Model {",
        "    pub params: usize,",
        "    pub shapes: &'static [(&'static str, &'static [usize])],",
        "}",
    ]
    for const, name, shape, build in MODELS:
        params, shapes = shapes_of(build(), shape)
        print(f"{name:16} {str(shape):14} {params:>12,} params, {len(shapes)} layers, output {shapes[-1][1]}")
        lines.append("")
        lines.append(f"/// `{name}` on {'x'.join(map(str, shape))}.")
        lines.append(f"pub const {const}: Model = Model {{")
        lines.append(f"    params: {params},")
        lines.append("    shapes: &[")
        for n, s in shapes:
            lines.append(f"        (\"{n}\", &[{', '.join(map(str, s))}]),")
        lines.append("    ],")
        lines.append("};")
    # The residual LSTM stack: nn.LSTM(65, 256), two residual nn.LSTM(256, 256), Linear(256, 65).
    stack = nn.ModuleList([nn.LSTM(65, 256), nn.LSTM(256, 256), nn.LSTM(256, 256), nn.Linear(256, 65)])
    params = sum(p.numel() for p in stack.parameters())
    print(f"{'ResidualLstm':16} {'(seq, 65)':14} {params:>12,} params")
    lines.append("")
    lines.append("/// `ResidualLstm` per step: [65] -> [256] -> [256] -> [256] -> [65].")
    lines.append("pub const RESIDUAL_LSTM: Model = Model {")
    lines.append(f"    params: {params},")
    lines.append("    shapes: &[")
    for i, w in enumerate((256, 256, 256, 65)):
        lines.append(f"        (\"layers.{i}\", &[{w}]),")
    lines.append("    ],")
    lines.append("};")
    path = os.path.join(os.path.dirname(__file__), "..", "..", "models", "tests", "fixtures", "torch_models.rs")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
