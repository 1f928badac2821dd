"""Reference values for tests/conv_general.rs: a 1-D convolution network (causal Conv1d,
BatchNorm1d, MaxPool1d, strided Conv1d, AvgPool1d, global average, Linear), a 2-D network
with rectangular kernels, strides, paddings and pooling windows, a depthwise-separable
and grouped one, dilated causal ones (WaveNet-style) and a layer norm over feature maps, in float64: parameters by
state_dict name, a batch, the training-mode logits, the cross-entropy, every parameter
gradient, the input gradient and the updated running statistics. Writes
tests/fixtures/torch_conv_general.rs, so CI needs no PyTorch.

Run: python3 tools/reference/conv_general.py   (torch 2.x)
"""
import os
import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalConv1d(nn.Conv1d):
    """kiln's `conv1d(out, k, padding = causal)`: k - 1 zeros on the left only."""

    def forward(self, x):
        return super().forward(F.pad(x, (self.kernel_size[0] - 1, 0)))


class GlobalAvg(nn.Module):
    def forward(self, x):
        return x.mean(dim=-1)


def one_d():
    return nn.Sequential(
        CausalConv1d(2, 4, 3),           # 0 conv1d(4, 3, padding = causal)
        nn.ReLU(),                       # 1 relu (fused)
        nn.BatchNorm1d(4),               # 2 batch_norm on [4, 16]
        nn.MaxPool1d(2),                 # 3 max_pool1d(2)
        nn.Conv1d(4, 3, 3, stride=2, padding=1),  # 4 conv1d(3, 3, 2, 1)
        nn.Tanh(),                       # 5 tanh (fused)
        nn.AvgPool1d(2, 1, 1),           # 6 avg_pool1d(2, 1, 1)
        GlobalAvg(),                     # 7 global_avg_pool
        nn.Linear(3, 2),                 # 8 dense(2)
    )


def two_d():
    return nn.Sequential(
        nn.Conv2d(2, 3, (1, 3), padding=(0, 1)),   # 0 conv2d(3, [1, 3], padding = [0, 1])
        nn.ReLU(),                                 # 1
        nn.Conv2d(3, 2, (3, 1), stride=(2, 1)),    # 2 conv2d(2, [3, 1], stride = [2, 1])
        nn.MaxPool2d((1, 2)),                      # 3 max_pool2d([1, 2])
        nn.Flatten(),                              # 4 flatten
        nn.Linear(2 * 2 * 4, 2),                   # 5 dense(2)
    )


def grouped():
    return nn.Sequential(
        nn.Conv2d(4, 4, 3, padding=1, groups=4),   # 0 conv2d(4, 3, padding = 1, groups = 4): depthwise
        nn.ReLU(),                                 # 1
        nn.Conv2d(4, 6, 1),                        # 2 conv2d(6, 1): pointwise
        nn.BatchNorm2d(6),                         # 3 batch_norm2d
        nn.ReLU(),                                 # 4
        nn.Conv2d(6, 4, 3, stride=2, groups=2),    # 5 conv2d(4, 3, 2, groups = 2)
        nn.Flatten(),                              # 6
        nn.Linear(4 * 2 * 2, 2),                   # 7 dense(2)
    )


class DilatedCausalConv1d(nn.Conv1d):
    """kiln's `conv1d(out, k, padding = causal, dilation = d)`: d (k - 1) zeros on the left."""

    def forward(self, x):
        return super().forward(F.pad(x, (self.dilation[0] * (self.kernel_size[0] - 1), 0)))


def dilated():
    return nn.Sequential(
        DilatedCausalConv1d(2, 4, 2, dilation=2),  # 0 conv1d(4, 2, padding = causal, dilation = 2)
        nn.Tanh(),                                 # 1
        DilatedCausalConv1d(4, 4, 2, dilation=4),  # 2 conv1d(4, 2, padding = causal, dilation = 4)
        nn.Tanh(),                                 # 3
        nn.Conv1d(4, 3, 3, padding=2, dilation=2), # 4 conv1d(3, 3, padding = 2, dilation = 2)
        nn.Flatten(),                              # 5
        nn.Linear(3 * 16, 2),                      # 6 dense(2)
    )


def normed():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),   # 0 conv2d(4, 3, padding = 1)
        nn.LayerNorm([4, 6, 6]),         # 1 layer_norm over the whole map
        nn.ReLU(),                       # 2
        nn.Flatten(),                    # 3
        nn.Linear(4 * 6 * 6, 2),         # 4 dense(2)
    )


def slopes():
    net = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),   # 0 conv2d(4, 3, padding = 1)
        nn.PReLU(4),                     # 1 prelu(per_channel)
        nn.MaxPool2d(2),                 # 2 max_pool2d(2)
        nn.PReLU(),                      # 3 prelu
        nn.Flatten(),                    # 4 flatten
        nn.Linear(4 * 3 * 3, 2),         # 5 dense(2)
    )
    with torch.no_grad():                # distinct slopes, some negative, so each one matters
        net[1].weight.copy_(torch.tensor([0.1, -0.2, 0.3, 0.6]))
        net[3].weight.fill_(-0.15)
    return net


def floats(t):
    return ", ".join(repr(float(a)) for a in t.detach().reshape(-1).tolist())


def record(out, tag, net, shape, labels):
    net = net.double().train()
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    y = net(x)
    loss = F.cross_entropy(y, labels)
    loss.backward()
    out.append(f"pub mod {tag} {{")
    out.append(f"    pub const X: [f64; {x.numel()}] = [{floats(x)}];")
    out.append(f"    pub const LABELS: [usize; {len(labels)}] = [{', '.join(str(int(l)) for l in labels)}];")
    out.append(f"    pub const LOGITS: [f64; {y.numel()}] = [{floats(y)}];")
    out.append(f"    pub const LOSS: f64 = {float(loss.detach())!r};")
    out.append(f"    pub const DX: [f64; {x.numel()}] = [{floats(x.grad)}];")
    out.append("    pub const PARAMS: &[(&str, &[f64], &[f64])] = &[")
    for name, p in net.named_parameters():
        out.append(f'        ("layers.{name}", &[{floats(p)}], &[{floats(p.grad)}]),')
    out.append("    ];")
    out.append("    pub const BUFFERS: &[(&str, &[f64])] = &[")
    for name, b in net.named_buffers():
        if b.dtype == torch.float64:
            out.append(f'        ("layers.{name}", &[{floats(b)}]),')
    out.append("    ];")
    out.append("}")


def main():
    torch.manual_seed(20261203)
    out = [
        "// Generated by tools/reference/conv_general.py with torch " + torch.__version__ + "; do not edit.",
        "#![allow(dead_code)]",
    ]
    record(out, "one_d", one_d(), (3, 2, 16), torch.tensor([1, 0, 1]))
    record(out, "two_d", two_d(), (2, 2, 5, 8), torch.tensor([0, 1]))
    record(out, "grouped", grouped(), (3, 4, 6, 6), torch.tensor([1, 1, 0]))
    record(out, "dilated", dilated(), (2, 2, 16), torch.tensor([0, 1]))
    record(out, "normed", normed(), (2, 2, 6, 6), torch.tensor([1, 0]))
    record(out, "slopes", slopes(), (2, 2, 6, 6), torch.tensor([0, 1]))
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "torch_conv_general.rs")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
