#!/usr/bin/python3
"""Generate Missile's operator test cases: small ONNX models with inputs and independently computed outputs.

Usage:  /usr/bin/python3 tests/cases/make_op_cases.py --out DIR [--filter SUBSTRING]
(Debian's interpreter: it has torch 1.13, onnx 1.12 and numpy 1.24.)

Each case is one ONNX node (or a short chain of nodes where the pattern itself is what matters: the fusions and
constant folding the engine performs, or how exporters decompose GELU and LayerNorm), seeded random inputs, and the
outputs expected from an independent reference, in the format of docs/test-cases.md:

    DIR/<Op>_<what>/model.onnx
    DIR/<Op>_<what>/inputs/<input name>.npy       graph inputs only; constants are initializers inside model.onnx
    DIR/<Op>_<what>/expected/<output name>.npy
    DIR/<Op>_<what>/case.json                     name, reference, tolerance, op, opset, note

References are PyTorch where it has the operator (convolution, pooling, GEMM, normalization, activations,
interpolation, padding) and numpy for pure data movement, integer and shape operators; never onnxruntime nor ONNX's
own evaluator, so that a misreading of the ONNX spec shared by those and Missile cannot hide. Floating-point references
are computed in float64 from the float32 inputs and rounded once to float32: the expected output is then the exact
answer for those inputs, and any difference is Missile's error (the tolerance, 1e-5 by default, is looser, 1e-4, only
for the few medium GEMM/Conv cases with long dot products). Integer and bool outputs must match exactly.

As in exported models, shape-like operands that ONNX takes as inputs (Reshape's shape, Slice's starts/ends/axes/steps,
Pad's pads, Clip's bounds, ...) and weights are initializers; activations are graph inputs, and a few integer or bool
tensors are graph inputs too (Gather indices, Where condition, Cast source). Every model passes
`onnx.checker.check_model(full_check=True)`, whose strict shape inference also confirms the declared output types and
shapes. Opset 17 unless a case says otherwise; opset 13 variants cover operators whose signature changed (Missile
imports opsets 13 to 17, the range PyTorch exports).

Each operator family is one function registered with @family; each gets its own random generator seeded from the
family's name, so the output is deterministic and a case's data does not depend on --filter.
"""
import argparse
import time
import zlib
from collections import namedtuple

import numpy as np
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

from case_format import Case

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min

In = namedtuple("In", "name value")        # a graph input, written to inputs/
Const = namedtuple("Const", "name value")  # an initializer, stored in model.onnx

FAMILIES = []


def family(fn):
    """Register a generator of cases; it receives a numpy Generator seeded from its own name."""
    FAMILIES.append(fn)
    return fn


def all_cases():
    for fn in FAMILIES:
        yield from fn(np.random.default_rng(zlib.crc32(fn.__name__.encode())))


# ---- building cases -------------------------------------------------------------------------------------------------

def graph_case(name, nodes, args, expected, note, *, reference="torch", tolerance=1e-5, opset=17, fused=()):
    """A case from explicit nodes. args: In/Const tensors; expected: {output name: reference value};
    fused: the operators Missile's passes make of the pattern (so the case counts as theirs too)."""
    return Case(name=name, nodes=nodes,
                inputs={a.name: a.value for a in args if isinstance(a, In)},
                consts={a.name: a.value for a in args if isinstance(a, Const)},
                expected={k: np.asarray(v) for k, v in expected.items()},   # numpy may return scalars
                reference=reference, note=note, tolerance=tolerance, opset=opset, fused=tuple(fused))


def op_case(name, op, args, expected, note, attrs=None, **meta):
    """A one-node case. args: the node's inputs in order (In, Const, or None for an omitted optional input);
    expected: one array (output 'y') or {output name: array} in the node's output order."""
    names = [a.name if a is not None else "" for a in args]
    while names and not names[-1]:
        names.pop()
    if not isinstance(expected, dict):
        expected = {"y": expected}
    node = helper.make_node(op, names, list(expected), **(attrs or {}))
    return graph_case(name, [node], [a for a in args if a is not None], expected, note, **meta)


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, **attrs)


# ---- data and reference helpers -------------------------------------------------------------------------------------

def randn(rng, *shape, scale=1.0):
    return np.asarray(rng.standard_normal(shape) * scale, dtype=np.float32)


def uniform(rng, low, high, *shape):
    return np.asarray(rng.uniform(low, high, shape), dtype=np.float32)


def away_from_zero(rng, *shape):
    """Values in ±[0.5, 2]: divisors and reciprocals."""
    return np.asarray(rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape), dtype=np.float32)


def randint(rng, low, high, *shape, dtype=np.int64):
    return np.asarray(rng.integers(low, high, shape), dtype=dtype)


def randbool(rng, *shape):
    return np.asarray(rng.random(shape) < 0.5)


def i64(*values):
    return np.array(values, dtype=np.int64)


def f32s(value):
    """A rank-0 float32 tensor."""
    return np.array(value, dtype=np.float32)


def td(array):
    """A float64 torch tensor holding the (float32) values of array."""
    return torch.from_numpy(np.array(array, dtype=np.float64))


def f32(tensor):
    return np.asarray(tensor.numpy() if torch.is_tensor(tensor) else tensor, dtype=np.float32)


def onnx_pads_to_torch(pads):
    """ONNX [b0, b1, ..., e0, e1, ...] (first axis first) -> F.pad's (b_last, e_last, b_prev, e_prev, ...)."""
    n = len(pads) // 2
    return [p for i in reversed(range(n)) for p in (pads[i], pads[n + i])]


# ---- convolution and matrix products --------------------------------------------------------------------------------

def conv_ref(x, w, b, pads, strides, dilations, group):
    """Explicit (possibly asymmetric) zero padding, then an unpadded torch convolution, in float64."""
    conv = {1: F.conv1d, 2: F.conv2d}[w.ndim - 2]
    xp = F.pad(td(x), onnx_pads_to_torch(pads))
    return f32(conv(xp, td(w), None if b is None else td(b), stride=strides, dilation=dilations, groups=group))


def conv_case(rng, name, x_shape, w_shape, note, *, bias=True, ref_pads=None, kernel_shape_attr=True,
              tolerance=1e-5, **attrs):
    """attrs are the Conv attributes; ref_pads gives the padding the reference applies when auto_pad is used."""
    nd = len(w_shape) - 2
    x = randn(rng, *x_shape)
    w = randn(rng, *w_shape, scale=1 / np.sqrt(np.prod(w_shape[1:])))
    b = randn(rng, w_shape[0]) if bias else None
    if kernel_shape_attr:
        attrs["kernel_shape"] = list(w_shape[2:])
    y = conv_ref(x, w, b, ref_pads or attrs.get("pads", [0] * 2 * nd), attrs.get("strides", [1] * nd),
                 attrs.get("dilations", [1] * nd), attrs.get("group", 1))
    args = [In("x", x), Const("w", w)] + ([Const("b", b)] if bias else [])
    return op_case(name, "Conv", args, y, note, attrs, tolerance=tolerance)


@family
def conv(rng):
    yield conv_case(rng, "Conv_3x3_pad1_bias", [1, 3, 8, 8], [4, 3, 3, 3], "3x3, pads 1, bias", pads=[1, 1, 1, 1])
    yield conv_case(rng, "Conv_3x3_nobias_nopad_batch2", [2, 3, 7, 9], [5, 3, 3, 3],
                    "no bias, no padding, batch 2, non-square input, kernel_shape attribute absent (from W)",
                    bias=False, kernel_shape_attr=False)
    yield conv_case(rng, "Conv_3x3_stride2_pad1", [1, 4, 13, 13], [8, 4, 3, 3], "stride 2 on an odd size",
                    strides=[2, 2], pads=[1, 1, 1, 1])
    yield conv_case(rng, "Conv_pads_asymmetric", [1, 3, 7, 8], [4, 3, 3, 3],
                    "asymmetric pads [top 1, left 0, bottom 2, right 1]", pads=[1, 0, 2, 1])
    yield conv_case(rng, "Conv_dilation2", [1, 3, 11, 11], [4, 3, 3, 3], "dilation 2 with pads 2",
                    dilations=[2, 2], pads=[2, 2, 2, 2])
    yield conv_case(rng, "Conv_group2", [1, 4, 6, 6], [6, 2, 3, 3], "groups=2", group=2, pads=[1, 1, 1, 1])
    yield conv_case(rng, "Conv_group4_nobias", [2, 8, 7, 7], [8, 2, 3, 3], "groups=4, no bias, batch 2",
                    bias=False, group=4)
    yield conv_case(rng, "Conv_depthwise_stride2_pad1", [1, 8, 10, 10], [8, 1, 3, 3],
                    "depthwise (groups=C), stride 2, pads 1", group=8, strides=[2, 2], pads=[1, 1, 1, 1])
    yield conv_case(rng, "Conv_depthwise_multiplier2", [1, 4, 7, 7], [8, 1, 3, 3],
                    "groups=C_in with two output channels per group (channel multiplier 2)", group=4,
                    pads=[1, 1, 1, 1])
    yield conv_case(rng, "Conv_pointwise_1x1", [2, 16, 5, 5], [8, 16, 1, 1], "1x1 (pointwise) convolution")
    yield conv_case(rng, "Conv_rect_kernel_1x3_stride_1x2", [1, 3, 6, 9], [4, 3, 1, 3],
                    "rectangular kernel 1x3, strides [1, 2], pads only along W", strides=[1, 2], pads=[0, 1, 0, 1])
    yield conv_case(rng, "Conv_resnet_stem_7x7_stride2_pad3", [1, 3, 32, 32], [16, 3, 7, 7],
                    "ResNet stem: 7x7, stride 2, pads 3", strides=[2, 2], pads=[3, 3, 3, 3])
    yield conv_case(rng, "Conv_vit_patchify_16x16_stride16", [1, 3, 48, 48], [32, 3, 16, 16],
                    "ViT patch embedding: 16x16 kernel, stride 16 (dot products of 768; tolerance 1e-4)",
                    strides=[16, 16], tolerance=1e-4)
    yield conv_case(rng, "Conv_auto_pad_same_upper_stride2", [1, 3, 10, 10], [4, 3, 3, 3],
                    "auto_pad SAME_UPPER, stride 2 on 10: total pad 1, all at the end", strides=[2, 2],
                    auto_pad="SAME_UPPER", ref_pads=[0, 0, 1, 1])
    yield conv_case(rng, "Conv_auto_pad_same_upper_k4", [1, 2, 7, 7], [3, 2, 4, 4],
                    "auto_pad SAME_UPPER, even kernel 4: pads 1 at the start, 2 at the end",
                    auto_pad="SAME_UPPER", ref_pads=[1, 1, 2, 2])
    yield conv_case(rng, "Conv_auto_pad_same_lower_k4", [1, 2, 7, 7], [3, 2, 4, 4],
                    "auto_pad SAME_LOWER, even kernel 4: pads 2 at the start, 1 at the end",
                    auto_pad="SAME_LOWER", ref_pads=[2, 2, 1, 1])
    yield conv_case(rng, "Conv_1d_stride2_pad1", [2, 4, 17], [6, 4, 3], "1D convolution, stride 2, pads 1",
                    strides=[2], pads=[1, 1])


def gemm_case(rng, name, a_shape, b_shape, c_shape, note, tolerance=1e-5, **attrs):
    """attrs: the Gemm attributes (transA, transB, alpha, beta); c_shape None omits C."""
    a = randn(rng, *a_shape)
    k = a_shape[0] if attrs.get("transA") else a_shape[1]
    b = randn(rng, *b_shape, scale=1 / np.sqrt(k))
    c = None if c_shape is None else randn(rng, *c_shape)
    ta = td(a).T if attrs.get("transA") else td(a)
    tb = td(b).T if attrs.get("transB") else td(b)
    y = attrs.get("alpha", 1.0) * (ta @ tb)
    if c is not None:
        y = y + attrs.get("beta", 1.0) * td(c)
    args = [In("a", a), Const("b", b)] + ([Const("c", c)] if c is not None else [])
    return op_case(name, "Gemm", args, f32(y), note, attrs, tolerance=tolerance)


@family
def gemm(rng):
    yield gemm_case(rng, "Gemm_linear_transB_bias_row", [4, 13], [7, 13], [7],
                    "torch Linear export: transB=1, bias broadcast as a row", transB=1)
    yield gemm_case(rng, "Gemm_transA_full_bias", [13, 4], [13, 7], [4, 7], "transA=1, C of full shape [M, N]",
                    transA=1)
    yield gemm_case(rng, "Gemm_transA_transB_alpha_beta_col_bias", [9, 5], [6, 9], [5, 1],
                    "transA=1, transB=1, alpha 0.5, beta 2, C a column [M, 1]", transA=1, transB=1, alpha=0.5,
                    beta=2.0)
    yield gemm_case(rng, "Gemm_scalar_bias", [3, 8], [8, 5], [], "C a rank-0 scalar, beta 0.25", beta=0.25)
    yield gemm_case(rng, "Gemm_no_bias", [5, 6], [6, 3], None, "C absent")
    yield gemm_case(rng, "Gemm_medium_classifier", [16, 256], [128, 256], [128],
                    "medium GEMM 16x256 by 256x128 (transB), row bias; tolerance 1e-4", transB=1, tolerance=1e-4)


@family
def matmul(rng):
    def case(name, a_shape, b_shape, note, b_const=False, tolerance=1e-5):
        a = randn(rng, *a_shape)
        b = randn(rng, *b_shape, scale=1 / np.sqrt(a_shape[-1]))
        y = f32(torch.matmul(td(a), td(b)))
        return op_case(name, "MatMul", [In("a", a), (Const if b_const else In)("b", b)], y, note,
                       tolerance=tolerance)

    yield case("MatMul_2d", [5, 7], [7, 3], "plain 2D x 2D")
    yield case("MatMul_batched_3d", [2, 5, 7], [2, 7, 4], "batched 3D x 3D")
    yield case("MatMul_attention_4d", [1, 4, 9, 8], [1, 4, 8, 9], "4D x 4D, attention scores Q @ K^T")
    yield case("MatMul_3d_x_2d_weight", [2, 5, 7], [7, 3], "3D activation x 2D constant weight (Linear, no bias)",
               b_const=True)
    yield case("MatMul_broadcast_batch_4d", [2, 1, 5, 7], [1, 3, 7, 4], "both batch dims broadcast: [2,1] x [1,3]")
    yield case("MatMul_rank_mismatch_3d_x_4d", [3, 5, 7], [2, 1, 7, 4], "3D x 4D: batch [3] against [2, 1]")
    yield case("MatMul_1d_x_2d", [7], [7, 3], "1D x 2D: vector promoted to a row, then the dim removed")
    yield case("MatMul_2d_x_1d", [5, 7], [7], "2D x 1D: vector promoted to a column, then the dim removed")
    yield case("MatMul_1d_x_1d", [13], [13], "1D x 1D: dot product, rank-0 output")
    yield case("MatMul_1d_x_3d", [7], [2, 7, 3], "1D x batched 3D")
    yield case("MatMul_medium_linear", [1, 64, 128], [128, 96],
               "medium 64x128 by constant 128x96; tolerance 1e-4", b_const=True, tolerance=1e-4)


@family
def batch_normalization(rng):
    def case(name, shape, note, epsilon=None):
        c = shape[1]
        x = randn(rng, *shape)
        scale, bias, mean = randn(rng, c), randn(rng, c), randn(rng, c)
        var = uniform(rng, 0.5, 2.0, c)
        eps = 1e-5 if epsilon is None else epsilon
        y = F.batch_norm(td(x), td(mean), td(var), td(scale), td(bias), training=False, eps=eps)
        args = [In("x", x), Const("scale", scale), Const("bias", bias), Const("mean", mean), Const("var", var)]
        return op_case(name, "BatchNormalization", args, f32(y), note,
                       {} if epsilon is None else {"epsilon": epsilon})

    yield case("BatchNormalization_4d", [2, 3, 5, 5], "inference mode, NCHW")
    yield case("BatchNormalization_4d_epsilon_1e-3", [1, 8, 3, 3], "epsilon attribute 1e-3", epsilon=1e-3)
    yield case("BatchNormalization_2d", [4, 6], "[N, C] input (BatchNorm1d on features)")
    yield case("BatchNormalization_3d", [2, 5, 7], "[N, C, L] input")
    yield case("BatchNormalization_5d", [1, 2, 3, 2, 2], "[N, C, D, H, W] input")


@family
def instance_normalization(rng):
    x, scale, bias = randn(rng, 2, 3, 5, 4), randn(rng, 3), randn(rng, 3)
    yield op_case("InstanceNormalization_4d", "InstanceNormalization",
                  [In("x", x), Const("scale", scale), Const("B", bias)],
                  f32(F.instance_norm(td(x), weight=td(scale), bias=td(bias), eps=1e-5)), "NCHW, default epsilon")
    x = randn(rng, 1, 4, 9)
    yield op_case("InstanceNormalization_3d_eps", "InstanceNormalization",
                  [In("x", x), Const("scale", np.ones(4, np.float32)), Const("B", np.zeros(4, np.float32))],
                  f32(F.instance_norm(td(x), eps=1e-3)), "NCW, epsilon 1e-3", {"epsilon": 1e-3})


# ---- elementwise unary ----------------------------------------------------------------------------------------------

@family
def unary(rng):
    normal = lambda scale: lambda shape: randn(rng, *shape, scale=scale)
    within = lambda low, high: lambda shape: uniform(rng, low, high, *shape)
    table = [
        # op, float64 torch reference, input generator, [(name suffix, shape), ...]
        ("Relu", F.relu, normal(1), [("4d", [2, 3, 4, 5]), ("scalar", [])]),
        ("Sigmoid", torch.sigmoid, normal(4), [("2d", [3, 7]), ("rank5", [1, 13, 1, 3, 2])]),
        ("Tanh", torch.tanh, normal(3), [("3d", [2, 5, 7]), ("1d", [13])]),
        ("Erf", torch.erf, normal(2), [("2d", [4, 9]), ("scalar", [])]),
        ("Sqrt", torch.sqrt, within(0, 10), [("2d", [4, 7]), ("rank5", [2, 1, 3, 1, 2])]),
        ("Exp", torch.exp, within(-5, 5), [("3d", [2, 3, 5]), ("1d", [7])]),
        ("Log", torch.log, within(0.01, 20), [("2d", [2, 7]), ("scalar", [])]),
        ("Neg", torch.neg, normal(1), [("4d", [1, 2, 3, 4]), ("scalar", [])]),
        ("Abs", torch.abs, normal(1), [("3d", [5, 1, 3])]),
        ("Reciprocal", torch.reciprocal, lambda shape: away_from_zero(rng, *shape), [("2d", [3, 4]), ("1d", [13])]),
        ("HardSwish", F.hardswish, within(-5, 5), [("4d", [2, 4, 3, 3])]),
        ("Softplus", F.softplus, normal(3), [("2d", [3, 11])]),
        ("Floor", torch.floor, within(-5, 5), [("2d", [3, 7])]),
        ("Ceil", torch.ceil, within(-5, 5), [("3d", [2, 3, 5])]),
        ("Sin", torch.sin, within(-7, 7), [("2d", [4, 5])]),
        ("Cos", torch.cos, within(-7, 7), [("1d", [11])]),
        ("Elu", F.elu, normal(2), [("4d", [1, 3, 2, 5])]),
    ]
    for op, fn, make, variants in table:
        for suffix, shape in variants:
            x = make(shape)
            yield op_case(f"{op}_{suffix}", op, [In("x", x)], f32(fn(td(x))), f"{op} on shape {shape}")

    x = within(-5, 5)([3, 8])
    yield op_case("HardSigmoid_default", "HardSigmoid", [In("x", x)], f32(torch.clamp(0.2 * td(x) + 0.5, 0, 1)),
                  "default alpha 0.2, beta 0.5")
    x = within(-5, 5)([2, 3, 4])
    yield op_case("HardSigmoid_alpha_one_sixth", "HardSigmoid", [In("x", x)], f32(F.hardsigmoid(td(x))),
                  "alpha 1/6, beta 0.5: torch's hardsigmoid as exported", {"alpha": 1 / 6, "beta": 0.5})
    x = normal(1)([4, 9])
    yield op_case("LeakyRelu_default", "LeakyRelu", [In("x", x)], f32(F.leaky_relu(td(x))), "default alpha 0.01")
    x = normal(1)([2, 3, 5, 1])
    yield op_case("LeakyRelu_alpha_0.2", "LeakyRelu", [In("x", x)], f32(F.leaky_relu(td(x), 0.2)), "alpha 0.2",
                  {"alpha": 0.2})


@family
def identity_dropout(rng):
    x = randn(rng, 2, 3, 4)
    yield op_case("Identity_float", "Identity", [In("x", x)], x, "copy", reference="numpy")
    n = randint(rng, -100, 100, 5)
    yield op_case("Identity_int64", "Identity", [In("x", n)], n, "int64 copy", reference="numpy")
    x = randn(rng, 3, 7)
    yield op_case("Dropout_inference", "Dropout", [In("x", x)], x, "inference: identity", reference="numpy")
    x = randn(rng, 2, 5, 4)
    yield op_case("Dropout_ratio_input", "Dropout", [In("x", x), Const("ratio", f32s(0.1))], x,
                  "ratio given as a constant input; still identity in inference", reference="numpy")
    x = randn(rng, 4, 6)
    yield op_case("Dropout_training_mode_false", "Dropout",
                  [In("x", x), Const("ratio", f32s(0.5)), Const("training_mode", np.array(False))], x,
                  "ratio and training_mode=false as constant inputs: identity", reference="numpy")


@family
def clip(rng):
    def case(name, x, low, high, note):
        y = td(x)
        if low is not None or high is not None:   # torch.clamp needs at least one bound
            y = torch.clamp(y, low, high)
        args = [In("x", x), None if low is None else Const("min", f32s(low)),
                None if high is None else Const("max", f32s(high))]
        return op_case(name, "Clip", args, f32(y), note)

    yield case("Clip_min_max", randn(rng, 3, 4, 5), -0.5, 0.5, "min and max as rank-0 constant inputs")
    yield case("Clip_relu6", uniform(rng, -3, 9, 1, 4, 5, 5), 0.0, 6.0, "ReLU6: min 0, max 6")
    yield case("Clip_max_only", randn(rng, 2, 7), None, 1.0, "min omitted (empty input name), max 1")
    yield case("Clip_min_only", randn(rng, 13), 0.0, None, "only min (ReLU as Clip)")
    yield case("Clip_no_bounds", randn(rng, 3, 3), None, None, "no bounds: identity")


@family
def pow_(rng):
    def case(name, base, exponent, note, exponent_const=True):
        y = f32(torch.pow(td(base), td(exponent)))
        return op_case(name, "Pow", [In("x", base), (Const if exponent_const else In)("e", exponent)], y, note)

    yield case("Pow_square", randn(rng, 3, 5), f32s(2.0), "x ** 2.0, rank-0 float exponent (as exported)")
    yield case("Pow_cube_negative_base", randn(rng, 2, 3, 4), f32s(3.0), "x ** 3.0 with negative bases")
    yield case("Pow_exponent_half", uniform(rng, 0.1, 5, 4, 6), f32s(0.5), "x ** 0.5 on positive bases")
    yield case("Pow_int64_exponent", randn(rng, 7), np.array(2, np.int64),
               "float base with an int64 exponent (mixed types, opset 12+)")
    yield case("Pow_tensor_exponent_broadcast", uniform(rng, 0.5, 2, 4, 5), uniform(rng, -2, 2, 5),
               "tensor exponent broadcast as a row, both graph inputs", exponent_const=False)


@family
def cast(rng):
    def case(name, x, to, dtype, note):
        return op_case(name, "Cast", [In("x", x)], x.astype(dtype), note, {"to": to}, reference="numpy")

    with_zeros = randn(rng, 3, 5)
    with_zeros[:, ::2] = 0
    yield case("Cast_float_to_int64", uniform(rng, -10, 10, 3, 5), TensorProto.INT64, np.int64,
               "float to int64: truncation toward zero, negative values included")
    yield case("Cast_float_to_int32", uniform(rng, -100, 100, 7), TensorProto.INT32, np.int32,
               "float to int32: truncation toward zero")
    yield case("Cast_int64_to_float", randint(rng, -1000, 1000, 2, 6), TensorProto.FLOAT, np.float32,
               "int64 graph input to float")
    yield case("Cast_int64_to_int32", randint(rng, -5000, 5000, 4, 3), TensorProto.INT32, np.int32,
               "int64 to int32")
    yield case("Cast_int32_to_int64", randint(rng, -5000, 5000, 9, dtype=np.int32), TensorProto.INT64, np.int64,
               "int32 to int64")
    yield case("Cast_float_to_bool", with_zeros, TensorProto.BOOL, np.bool_, "float to bool: nonzero is true")
    yield case("Cast_bool_to_float", randbool(rng, 2, 5), TensorProto.FLOAT, np.float32, "bool graph input to float")
    yield case("Cast_int64_to_bool", randint(rng, -2, 3, 11), TensorProto.BOOL, np.bool_, "int64 to bool")
    yield case("Cast_bool_to_int64", randbool(rng, 3, 4), TensorProto.INT64, np.int64, "bool to int64")


# ---- elementwise binary, comparison, logic, selection ---------------------------------------------------------------

@family
def arithmetic(rng):
    # (name, a shape, a kind, b shape, b kind, what it exercises)
    patterns = [
        ("same_shape", [2, 3, 4], In, [2, 3, 4], In, "same shapes"),
        ("scalar_const", [2, 3, 4], In, [], Const, "rank-0 constant on the right"),
        ("scalar_lhs", [], Const, [3, 5], In, "rank-0 constant on the left (as exported from `1 - x`, `1 / x`)"),
        ("3d_vs_row", [3, 4, 5], In, [5], Const, "3D against a constant row [5]"),
        ("3d_vs_column", [3, 4, 5], In, [4, 1], In, "3D against a column [4, 1]"),
        ("both_sides", [3, 1, 5], In, [1, 4, 1], In, "both operands broadcast: [3,1,5] with [1,4,1]"),
        ("rank_mismatch_4d_vs_3d", [2, 1, 4, 5], In, [3, 1, 5], In, "rank 4 against rank 3, both broadcast"),
    ]
    for op, fn in (("Add", torch.add), ("Sub", torch.sub), ("Mul", torch.mul), ("Div", torch.div)):
        for suffix, a_shape, a_kind, b_shape, b_kind, what in patterns:
            a = randn(rng, *a_shape)
            b = away_from_zero(rng, *b_shape) if op == "Div" else randn(rng, *b_shape)
            y = f32(fn(td(a), td(b)))
            yield op_case(f"{op}_{suffix}", op, [a_kind("a", a), b_kind("b", b)], y, f"{op}: {what}")

    a, b = randn(rng, 3, 4), randn(rng, 4)
    yield op_case("Add_sanitized_names", "Add", [In("input.1", a), In("/enc/w:0", b)],
                  {"/blocks.0/Add_output_0": f32(td(a) + td(b))},
                  "ONNX names outside [A-Za-z0-9._-]: files are input.1.npy, _enc_w_0.npy, _blocks.0_Add_output_0.npy")

    def int_case(name, op, fn, a, b, note):
        return op_case(name, op, [In("a", a), Const("b", b)], fn(a, b), note, reference="numpy")

    dims = i64(2, 3, 8, 8)
    yield int_case("Add_int64_shape_math", "Add", np.add, dims, np.array(1, np.int64),
                   "int64 shape + rank-0 constant")
    yield int_case("Sub_int64_shape_math", "Sub", np.subtract, dims, i64(0, 1, 2, 3), "int64 shape - vector")
    yield int_case("Mul_int64_broadcast", "Mul", np.multiply, randint(rng, -50, 50, 3, 4), i64(2, -1, 3, 1),
                   "int64 multiply, row broadcast, negative values")
    yield int_case("Div_int64_positive", "Div", np.floor_divide, randint(rng, 0, 1000, 2, 5), i64(7),
                   "int64 division of non-negative values (flooring and truncation agree)")
    yield int_case("Add_int32", "Add", np.add, randint(rng, -1000, 1000, 6, dtype=np.int32),
                   np.array(5, np.int32), "int32 add with a rank-0 constant")


@family
def comparison_logic(rng):
    def case(name, op, fn, args, note):
        values = [a.value for a in args]
        return op_case(name, op, args, fn(*values), note, reference="numpy")

    x = randn(rng, 3, 4)
    y = x[1].copy()
    y[::2] += 1
    yield case("Equal_float_broadcast_row", "Equal", np.equal, [In("a", x), In("b", y)],
               "float equality against a row; some elements equal")
    yield case("Equal_int64_one_element", "Equal", np.equal, [In("a", randint(rng, 0, 4, 9)), Const("b", i64(2))],
               "int64 against a one-element constant")
    yield case("Greater_broadcast_row", "Greater", np.greater, [In("a", randn(rng, 2, 3, 4)), In("b", randn(rng, 4))],
               "3D against a row")
    yield case("Greater_int64", "Greater", np.greater,
               [In("a", randint(rng, -5, 5, 3, 4)), In("b", randint(rng, -5, 5, 3, 1))], "int64, column broadcast")
    yield case("Less_scalar_const", "Less", np.less, [In("a", randn(rng, 3, 5)), Const("b", f32s(0.0))],
               "against a rank-0 constant")
    ties_a = np.asarray(randint(rng, -2, 3, 2, 3, 4), np.float32)
    ties_b = np.asarray(randint(rng, -2, 3, 4), np.float32)
    yield case("GreaterOrEqual_ties", "GreaterOrEqual", np.greater_equal, [In("a", ties_a), In("b", ties_b)],
               "integer-valued floats so that ties occur")
    yield case("LessOrEqual_ties", "LessOrEqual", np.less_equal, [In("a", ties_a), In("b", ties_b)],
               "integer-valued floats so that ties occur")
    yield case("Not_bool", "Not", np.logical_not, [In("x", randbool(rng, 2, 5))], "bool negation")
    yield case("And_broadcast", "And", np.logical_and, [In("a", randbool(rng, 3, 1)), In("b", randbool(rng, 1, 4))],
               "bool [3,1] and [1,4]")
    yield case("Or_broadcast_row", "Or", np.logical_or, [In("a", randbool(rng, 2, 3, 4)), In("b", randbool(rng, 4))],
               "bool 3D or row")
    yield case("Xor_broadcast_column", "Xor", np.logical_xor,
               [In("a", randbool(rng, 3, 4)), In("b", randbool(rng, 3, 1))], "bool [3,4] xor [3,1]")


@family
def where(rng):
    def case(name, args, note):
        cond, a, b = (arg.value for arg in args)
        return op_case(name, "Where", args, np.where(cond, a, b), note, reference="numpy")

    yield case("Where_broadcast_3way", [In("cond", randbool(rng, 1, 4, 1)), In("a", randn(rng, 3, 1, 5)),
                                        Const("b", f32s(0.0))],
               "condition [1,4,1], X [3,1,5], Y a rank-0 constant: all three broadcast to [3,4,5]")
    yield case("Where_same_shape", [In("cond", randbool(rng, 2, 5)), In("a", randn(rng, 2, 5)),
                                    In("b", randn(rng, 2, 5))], "bool graph-input condition, same shapes")
    yield case("Where_int64", [In("cond", randbool(rng, 4)), In("a", randint(rng, 0, 100, 4)), Const("b", i64(-1))],
               "int64 values, constant fallback [1]")


@family
def min_max(rng):
    def case(name, op, args, note):
        fn = torch.maximum if op == "Max" else torch.minimum
        y = td(args[0].value)
        for a in args[1:]:
            y = fn(y, td(a.value))
        return op_case(name, op, args, f32(y), note)

    yield case("Max_two_broadcast", "Max", [In("a", randn(rng, 3, 1, 5)), In("b", randn(rng, 4, 1))],
               "two inputs, [3,1,5] with [4,1]")
    yield case("Min_two_same_shape", "Min", [In("a", randn(rng, 2, 3, 4)), In("b", randn(rng, 2, 3, 4))],
               "two inputs, same shape")
    yield case("Max_three_inputs", "Max", [In("a", randn(rng, 2, 3)), In("b", randn(rng, 3)), Const("c", f32s(0.2))],
               "variadic: three inputs broadcast together, one a rank-0 constant")
    yield case("Min_scalar_const", "Min", [In("a", randn(rng, 4, 6)), Const("b", f32s(0.5))],
               "against a rank-0 constant")
    yield case("Max_single_input", "Max", [In("a", randn(rng, 5))], "one input: identity")
    a, b = randint(rng, -9, 9, 6), randint(rng, -9, 9, 6)
    yield op_case("Max_int64", "Max", [In("a", a), In("b", b)], np.maximum(a, b), "int64", reference="numpy")

    a, b, c = randn(rng, 2, 3), randn(rng, 3), randn(rng, 2, 1)
    yield op_case("Sum_three_broadcast", "Sum", [In("a", a), In("b", b), In("c", c)], f32(td(a) + td(b) + td(c)),
                  "variadic sum of [2,3], [3], [2,1]")
    yield op_case("Mean_three_broadcast", "Mean", [In("a", a), In("b", b), In("c", c)],
                  f32((td(a) + td(b) + td(c)) / 3), "variadic mean of [2,3], [3], [2,1]")
    yield op_case("Sum_two", "Sum", [In("a", a), In("b", b)], f32(td(a) + td(b)), "two inputs")


@family
def modulo(rng):
    a, b = randint(rng, -20, 20, 3, 4), np.where(randint(rng, 0, 2, 4) == 0, -3, 5).astype(np.int64)
    yield op_case("Mod_int64_python_sign", "Mod", [In("a", a), Const("b", b)], np.mod(a, b),
                  "fmod 0 on int64: the result takes the divisor's sign", reference="numpy")
    x, y = randn(rng, 2, 5, scale=4), away_from_zero(rng, 5)
    yield op_case("Mod_float_fmod", "Mod", [In("a", x), In("b", y)], f32(np.fmod(x.astype(np.float64), y)),
                  "fmod 1 on floats: C fmod, the dividend's sign", {"fmod": 1}, reference="numpy")


# ---- pooling --------------------------------------------------------------------------------------------------------

@family
def pooling(rng):
    def max_case(name, shape, note, kernel, strides=None, pads=None, ceil_mode=0):
        nd = len(kernel)
        pads = pads or [0] * 2 * nd
        strides = strides or [1] * nd
        x = randn(rng, *shape)
        pool = {1: F.max_pool1d, 2: F.max_pool2d}[nd]
        xp = F.pad(td(x), onnx_pads_to_torch(pads), value=-np.inf)
        y = pool(xp, kernel, strides, ceil_mode=bool(ceil_mode))
        attrs = {"kernel_shape": kernel, "strides": strides, "pads": pads}
        if ceil_mode:
            attrs["ceil_mode"] = 1
        return op_case(name, "MaxPool", [In("x", x)], f32(y), note, attrs)

    yield max_case("MaxPool_k3_s2_p1", [1, 4, 13, 13], "ResNet max pool: kernel 3, stride 2, pads 1", [3, 3],
                   [2, 2], [1, 1, 1, 1])
    yield max_case("MaxPool_k2_s2", [2, 3, 8, 8], "kernel 2, stride 2", [2, 2], [2, 2])
    yield max_case("MaxPool_ceil_mode0", [1, 2, 8, 8], "kernel 3, stride 2 on 8: floor gives 3", [3, 3], [2, 2])
    yield max_case("MaxPool_ceil_mode1", [1, 2, 8, 8], "kernel 3, stride 2 on 8 with ceil_mode: 4, last window "
                   "partly outside", [3, 3], [2, 2], ceil_mode=1)
    yield max_case("MaxPool_pads_asymmetric", [1, 3, 7, 7], "pads only at the end [0,0,1,1], kernel 2, stride 2",
                   [2, 2], [2, 2], [0, 0, 1, 1])
    yield max_case("MaxPool_rect_kernel", [1, 2, 6, 9], "kernel [2,3], strides [2,1], pads along W", [2, 3], [2, 1],
                   [0, 1, 0, 1])
    yield max_case("MaxPool_1d", [2, 3, 11], "1D, kernel 3, stride 2", [3], [2])

    def avg_case(name, shape, note, kernel, strides, pads=None, count_include_pad=0, ceil_mode=0):
        nd = len(kernel)
        pads = pads or [0] * 2 * nd
        x = randn(rng, *shape)
        pool = {1: F.avg_pool1d, 2: F.avg_pool2d}[nd]
        half = pads[:nd]
        assert half == pads[nd:], "torch's avg_pool takes symmetric padding"
        y = pool(td(x), kernel, strides, half, ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad))
        attrs = {"kernel_shape": kernel, "strides": strides, "pads": pads}
        if count_include_pad:
            attrs["count_include_pad"] = 1
        if ceil_mode:
            attrs["ceil_mode"] = 1
        return op_case(name, "AveragePool", [In("x", x)], f32(y), note, attrs)

    yield avg_case("AveragePool_k2_s2", [1, 3, 8, 8], "kernel 2, stride 2, no padding", [2, 2], [2, 2])
    yield avg_case("AveragePool_pads_count_include_pad0", [1, 2, 6, 6],
                   "kernel 3, stride 1, pads 1; border windows divide by the valid count", [3, 3], [1, 1],
                   [1, 1, 1, 1])
    yield avg_case("AveragePool_pads_count_include_pad1", [1, 2, 6, 6],
                   "kernel 3, stride 1, pads 1; border windows divide by 9", [3, 3], [1, 1], [1, 1, 1, 1],
                   count_include_pad=1)
    yield avg_case("AveragePool_ceil_mode", [1, 2, 7, 7],
                   "kernel 2, stride 2 on 7 with ceil_mode: last window holds one row/column", [2, 2], [2, 2],
                   ceil_mode=1)
    yield avg_case("AveragePool_1d_pads", [1, 4, 9], "1D, kernel 3, stride 2, pads 1", [3], [2], [1, 1])

    x = randn(rng, 2, 8, 7, 7)
    yield op_case("GlobalAveragePool_4d", "GlobalAveragePool", [In("x", x)],
                  f32(td(x).mean(dim=(2, 3), keepdim=True)), "mean over 7x7")
    x = randn(rng, 2, 5, 9)
    yield op_case("GlobalAveragePool_3d", "GlobalAveragePool", [In("x", x)], f32(td(x).mean(dim=2, keepdim=True)),
                  "[N, C, L] input")
    x = randn(rng, 1, 6, 1, 1)
    yield op_case("GlobalAveragePool_1x1", "GlobalAveragePool", [In("x", x)], x, "spatial size 1: identity",
                  reference="numpy")
    x = randn(rng, 1, 5, 4, 3)
    yield op_case("GlobalMaxPool_4d", "GlobalMaxPool", [In("x", x)], f32(td(x).amax(dim=(2, 3), keepdim=True)),
                  "max over 4x3")


# ---- data movement and shape operators (numpy references) -----------------------------------------------------------

@family
def concat(rng):
    def case(name, args, axis, note):
        y = np.concatenate([a.value for a in args], axis=axis)
        return op_case(name, "Concat", args, y, note, {"axis": axis}, reference="numpy")

    yield case("Concat_axis1_nchw", [In("a", randn(rng, 1, 3, 4, 4)), In("b", randn(rng, 1, 5, 4, 4))], 1,
               "channel concat of two NCHW tensors")
    yield case("Concat_axis0", [In("a", randn(rng, 2, 3)), In("b", randn(rng, 4, 3))], 0, "along the first axis")
    yield case("Concat_axis_neg1_three_inputs",
               [In("a", randn(rng, 2, 3, 1)), In("b", randn(rng, 2, 3, 4)), In("c", randn(rng, 2, 3, 2))], -1,
               "three inputs of different sizes along axis -1")
    yield case("Concat_const_cls_token", [Const("cls", randn(rng, 1, 1, 8)), In("x", randn(rng, 1, 9, 8))], 1,
               "constant first (ViT class token prepended)")
    yield case("Concat_rank5_four_inputs", [In(f"x{i}", randn(rng, 1, 2, 1, 3, 2)) for i in range(4)], 2,
               "four rank-5 inputs with size 1 along the axis")
    yield case("Concat_int64_shape_pieces", [In("batch", i64(3)), Const("rest", i64(-1, 8)), Const("tail", i64(2))],
               0, "int64 shape pieces: graph input [1] with constants")


@family
def split(rng):
    def case(name, x, axis, sizes, note, split_input, opset=17):
        bounds = np.cumsum(sizes)[:-1]
        outs = {f"y{i}": part for i, part in enumerate(np.split(x, bounds, axis=axis))}
        args = [In("x", x)] + ([Const("split", i64(*sizes))] if split_input else [])
        return op_case(name, "Split", args, outs, note, {"axis": axis}, reference="numpy", opset=opset)

    yield case("Split_equal_axis1", randn(rng, 2, 6, 3), 1, [2, 2, 2], "three equal parts, no split input", False)
    yield case("Split_uneven_split_input", randn(rng, 4, 10), -1, [3, 5, 2],
               "uneven parts from the constant split input, axis -1", True)
    yield case("Split_qkv_last_axis", randn(rng, 1, 9, 24), 2, [8, 8, 8], "attention QKV split, equal, no split input",
               False)
    yield case("Split_uneven_opset13", randn(rng, 7, 4), 0, [2, 5], "opset 13: split as an input", True, opset=13)
    yield case("Split_equal_opset13", randn(rng, 2, 8), 1, [4, 4], "opset 13: equal split, no split input", False,
               opset=13)


@family
def slice_(rng):
    def case(name, x, starts, ends, axes, steps, note):
        index = [slice(None)] * x.ndim
        for i, (s, e) in enumerate(zip(starts, ends)):
            axis = axes[i] if axes is not None else i
            index[axis] = slice(s, e, steps[i] if steps is not None else 1)
        args = [In("x", x), Const("starts", i64(*starts)), Const("ends", i64(*ends)),
                None if axes is None else Const("axes", i64(*axes)),
                None if steps is None else Const("steps", i64(*steps))]
        return op_case(name, "Slice", args, x[tuple(index)].copy(), note, reference="numpy")

    yield case("Slice_basic_axis1", randn(rng, 3, 7), [1], [4], [1], None, "one axis, positive bounds, no steps")
    yield case("Slice_negative_starts_ends", randn(rng, 2, 9), [-4], [-1], [1], None, "negative start and end")
    yield case("Slice_step2", randn(rng, 2, 11, 3), [1], [10], [1], [2], "step 2")
    yield case("Slice_reverse_step_neg1", randn(rng, 3, 6), [-1], [INT64_MIN], [1], [-1],
               "full reversal: start -1, end INT64_MIN, step -1")
    yield case("Slice_end_int64_max", randn(rng, 1, 9, 8), [1], [INT64_MAX], [1], None,
               "x[:, 1:] as torch exports it: end INT64_MAX")
    yield case("Slice_axes_subset_negative", randn(rng, 1, 3, 8, 8), [2, 1], [-2, 7], [-1, 2], None,
               "two axes given as [-1, 2] out of order")
    yield case("Slice_axes_omitted", randn(rng, 5, 6, 2), [1, 2], [4, 6], None, None,
               "axes omitted: starts/ends apply to the leading axes")
    yield case("Slice_end_clamped", randn(rng, 4, 5), [2], [1000], [0], None, "end past the dimension is clamped")
    yield case("Slice_step_neg2_partial", randn(rng, 2, 10), [8], [1], [1], [-2], "step -2 from 8 down to (not) 1")
    yield case("Slice_int64_shape", i64(2, 3, 8, 8), [2], [INT64_MAX], [0], None,
               "int64 shape vector, graph input: dims from 2 on")


@family
def gather(rng):
    def case(name, data, indices, axis, note, axis_attr=True):
        y = np.take(data.value, indices.value, axis=axis)
        return op_case(name, "Gather", [data, indices], y, note, {"axis": axis} if axis_attr else None,
                       reference="numpy")

    yield case("Gather_embedding_lookup", Const("table", randn(rng, 50, 16)), In("ids", randint(rng, 0, 50, 1, 7)), 0,
               "embedding: constant [vocab 50, dim 16] table, int64 graph-input ids [1, 7], axis 0 (default)",
               axis_attr=False)
    yield case("Gather_axis1", In("x", randn(rng, 3, 5, 4)), Const("idx", i64(4, 0, 2)), 1,
               "constant indices on axis 1")
    yield case("Gather_scalar_index_axis1", In("x", randn(rng, 2, 9, 8)), Const("idx", np.array(0, np.int64)), 1,
               "rank-0 index drops the axis (class token x[:, 0])")
    yield case("Gather_negative_indices", In("x", randn(rng, 4, 6)), Const("idx", i64(-1, 0, -2)), -1,
               "negative indices on axis -1")
    yield case("Gather_2d_indices_axis1", In("x", randn(rng, 2, 7)), Const("idx", np.array([[0, 6], [3, 3]], np.int64)),
               1, "2D indices with repeats: output rank 3")
    yield case("Gather_int64_shape_element", In("shape", i64(4, 3, 8, 8)), Const("idx", np.array(0, np.int64)), 0,
               "int64 shape vector, rank-0 index: a scalar dimension")


@family
def reshape_like(rng):
    def reshape(name, x, shape, target, note):
        return op_case(name, "Reshape", [In("x", x), Const("shape", i64(*shape))], x.reshape(target), note,
                       reference="numpy")

    yield reshape("Reshape_zero_and_minus1", randn(rng, 2, 3, 4, 5), [0, -1, 5], [2, 12, 5],
                  "0 copies the input dim, -1 is inferred")
    yield reshape("Reshape_split_heads", randn(rng, 1, 9, 32), [0, 0, 4, 8], [1, 9, 4, 8],
                  "attention heads: [B, S, 32] -> [B, S, 4, 8]")
    yield reshape("Reshape_flatten_all", randn(rng, 2, 3, 4), [-1], [24], "-1 alone flattens")
    yield reshape("Reshape_add_unit_dims", randn(rng, 6), [1, 2, 1, 3], [1, 2, 1, 3], "introduces size-1 dims")
    yield reshape("Reshape_int64_data", randint(rng, 0, 9, 2, 6), [3, 4], [3, 4], "int64 data")

    def transpose(name, x, perm, note):
        return op_case(name, "Transpose", [In("x", x)], np.transpose(x, perm).copy(), note,
                       None if perm is None else {"perm": perm}, reference="numpy")

    yield transpose("Transpose_attention_0213", randn(rng, 1, 9, 4, 8), [0, 2, 1, 3], "[B, S, H, D] -> [B, H, S, D]")
    yield transpose("Transpose_default_perm_3d", randn(rng, 2, 3, 5), None, "perm absent: reverse the axes")
    yield transpose("Transpose_nhwc_to_nchw", randn(rng, 1, 4, 5, 3), [0, 3, 1, 2], "NHWC -> NCHW")
    yield transpose("Transpose_2d", randn(rng, 7, 13), [1, 0], "matrix transpose")
    yield transpose("Transpose_5d", randn(rng, 2, 1, 3, 2, 4), [0, 3, 1, 4, 2], "rank-5 permutation")

    def flatten(name, x, axis, note):
        outer = int(np.prod(x.shape[:axis]))
        return op_case(name, "Flatten", [In("x", x)], x.reshape(outer, -1), note,
                       None if axis == 1 else {"axis": axis}, reference="numpy")

    yield flatten("Flatten_default_axis1", randn(rng, 2, 3, 4, 5), 1, "axis absent (1): [N, rest]")
    yield flatten("Flatten_axis0", randn(rng, 2, 3, 4), 0, "axis 0: [1, all]")
    yield flatten("Flatten_axis2", randn(rng, 2, 3, 4, 5), 2, "axis 2: [6, 20]")
    x = randn(rng, 2, 3, 4)
    yield op_case("Flatten_axis_neg1", "Flatten", [In("x", x)], x.reshape(6, 4), "axis -1: [6, 4]", {"axis": -1},
                  reference="numpy")


@family
def squeeze_unsqueeze(rng):
    def case(name, op, x, axes, target, note, opset=17):
        args = [In("x", x)] + ([] if axes is None else [Const("axes", i64(*axes))])
        return op_case(name, op, args, x.reshape(target), note, reference="numpy", opset=opset)

    yield case("Squeeze_axes_0_2", "Squeeze", randn(rng, 1, 3, 1, 5), [0, 2], [3, 5], "constant axes input")
    yield case("Squeeze_negative_axis", "Squeeze", randn(rng, 2, 3, 1), [-1], [2, 3], "axes [-1]")
    yield case("Squeeze_no_axes", "Squeeze", randn(rng, 1, 3, 1, 1, 5), None, [3, 5], "axes absent: all size-1 dims")
    yield case("Squeeze_opset13", "Squeeze", randn(rng, 4, 1), [1], [4], "opset 13 (first with axes as input)",
               opset=13)
    yield case("Unsqueeze_axes_0_3", "Unsqueeze", randn(rng, 3, 5), [0, 3], [1, 3, 5, 1],
               "axes refer to the output rank")
    yield case("Unsqueeze_negative_axis", "Unsqueeze", randn(rng, 2, 3), [-1], [2, 3, 1], "axes [-1]")
    yield case("Unsqueeze_axes_unsorted", "Unsqueeze", randn(rng, 3, 5), [-1, 0], [1, 3, 5, 1],
               "axes [-1, 0], not sorted")
    yield case("Unsqueeze_scalar_int64", "Unsqueeze", np.array(7, np.int64), [0], [1],
               "rank-0 int64 to [1] (shape arithmetic)")
    yield case("Unsqueeze_opset13", "Unsqueeze", randn(rng, 4), [0], [1, 4], "opset 13", opset=13)


@family
def expand_tile(rng):
    def expand(name, x, shape, note):
        target = np.broadcast_shapes(x.shape, tuple(shape))
        return op_case(name, "Expand", [In("x", x), Const("shape", i64(*shape))],
                       np.broadcast_to(x, target).copy(), note, reference="numpy")

    yield expand("Expand_column_to_3d", randn(rng, 3, 1), [2, 3, 4], "[3,1] to [2,3,4]")
    yield expand("Expand_shape_smaller_than_input", randn(rng, 1, 5), [3, 1],
                 "bidirectional: shape [3,1] with input [1,5] gives [3,5]")
    yield expand("Expand_scalar", f32s(1.5), [2, 3], "rank-0 input")
    yield expand("Expand_ones_keep_shape", randn(rng, 2, 1, 4), [1, 1, 1], "all-ones shape: output keeps input shape")

    def tile(name, x, repeats, note):
        return op_case(name, "Tile", [In("x", x), Const("repeats", i64(*repeats))], np.tile(x, repeats), note,
                       reference="numpy")

    yield tile("Tile_2d", randn(rng, 2, 3), [2, 3], "repeats [2, 3]")
    yield tile("Tile_3d_with_ones", randn(rng, 1, 3, 1), [2, 1, 4], "repeats [2, 1, 4]")
    yield tile("Tile_int64", randint(rng, 0, 9, 3), [2], "int64 data")


@family
def shape_size(rng):
    x = randn(rng, 2, 3, 4, 5)
    yield op_case("Shape_4d", "Shape", [In("x", x)], i64(*x.shape), "shape of a 4D tensor", reference="numpy")
    yield op_case("Shape_start1", "Shape", [In("x", x)], i64(*x.shape[1:]), "start 1 (opset 15+)", {"start": 1},
                  reference="numpy")
    yield op_case("Shape_start_end_negative", "Shape", [In("x", x)], i64(*x.shape[-3:-1]), "start -3, end -1",
                  {"start": -3, "end": -1}, reference="numpy")
    x = randn(rng, 7)
    yield op_case("Shape_1d", "Shape", [In("x", x)], i64(7), "rank 1", reference="numpy")
    x = randn(rng, 2, 3, 4)
    yield op_case("Size_3d", "Size", [In("x", x)], np.array(x.size, np.int64), "element count, rank-0 int64",
                  reference="numpy")


@family
def constants(rng):
    x = randn(rng, 2, 5)
    fill = numpy_helper.from_array(np.array([1.5], np.float32))
    yield graph_case("ConstantOfShape_from_shape",
                     [node("Shape", ["x"], ["s"]), node("ConstantOfShape", ["s"], ["y"], value=fill)],
                     [In("x", x)], {"y": np.full(x.shape, 1.5, np.float32)},
                     "Shape -> ConstantOfShape(value 1.5): a full_like", reference="numpy")
    shape = i64(2, 1, 3)
    yield op_case("ConstantOfShape_int64_value", "ConstantOfShape", [Const("shape", shape)],
                  np.full(shape, 7, np.int64), "int64 value 7 (folded at load: the shape is a constant)",
                  {"value": numpy_helper.from_array(np.array([7], np.int64))}, reference="numpy")
    shape = i64(3, 4)
    yield op_case("ConstantOfShape_default_zero", "ConstantOfShape", [Const("shape", shape)], np.zeros(shape, np.float32),
                  "value absent: float zeros", reference="numpy")

    x = randn(rng, 3, 4)
    c = randn(rng, 3, 1)
    yield graph_case("Constant_value_tensor",
                     [node("Constant", [], ["c"], value=numpy_helper.from_array(c)), node("Add", ["x", "c"], ["y"])],
                     [In("x", x)], {"y": f32(td(x) + td(c))}, "Constant(value tensor [3,1]) added to the input")
    x = randn(rng, 2, 3)
    yield graph_case("Constant_value_float",
                     [node("Constant", [], ["c"], value_float=0.125), node("Mul", ["x", "c"], ["y"])],
                     [In("x", x)], {"y": f32(td(x) * 0.125)}, "Constant(value_float) scalar multiplied in")
    x = randn(rng, 2, 3, 4)
    yield graph_case("Constant_value_ints",
                     [node("Constant", [], ["shape"], value_ints=[2, -1]), node("Reshape", ["x", "shape"], ["y"])],
                     [In("x", x)], {"y": x.reshape(2, 12)}, "Constant(value_ints) used as Reshape's shape",
                     reference="numpy")
    n = randint(rng, -9, 9, 5)
    yield graph_case("Constant_value_int",
                     [node("Constant", [], ["c"], value_int=3), node("Add", ["n", "c"], ["y"])],
                     [In("n", n)], {"y": n + 3}, "Constant(value_int) rank-0 int64 added to int64 input",
                     reference="numpy")


@family
def range_(rng):
    limit = np.array(7, np.int64)
    yield op_case("Range_int64_limit_input", "Range",
                  [Const("start", np.array(0, np.int64)), Const("limit", limit), Const("delta", np.array(1, np.int64))],
                  np.arange(0, 7, 1, dtype=np.int64), "arange(seq_len), folded at load", reference="numpy")
    start = np.array(10, np.int64)
    yield op_case("Range_int64_negative_delta", "Range",
                  [Const("start", start), Const("limit", np.array(0, np.int64)), Const("delta", np.array(-3, np.int64))],
                  i64(10, 7, 4, 1), "negative delta, count ceil((0-10)/-3) = 4", reference="numpy")
    start = f32s(0.5)
    yield op_case("Range_float", "Range", [Const("start", start), Const("limit", f32s(3.0)), Const("delta", f32s(0.25))],
                  np.asarray(0.5 + 0.25 * np.arange(10), np.float32), "float, 10 exactly representable values",
                  reference="numpy")


# ---- softmax, normalization, reductions -----------------------------------------------------------------------------

@family
def softmax(rng):
    def case(name, op, x, axis, note, opset=17):
        fn = torch.softmax if op == "Softmax" else torch.log_softmax
        y = fn(td(x), dim=-1 if axis is None else axis)
        return op_case(name, op, [In("x", x)], f32(y), note, None if axis is None else {"axis": axis}, opset=opset)

    yield case("Softmax_axis_last_2d", "Softmax", randn(rng, 4, 13), -1, "axis -1 on 2D")
    yield case("Softmax_attention_4d_default_axis", "Softmax", randn(rng, 1, 4, 9, 9), None,
               "axis absent (-1 since opset 13) on attention scores")
    yield case("Softmax_axis1_4d", "Softmax", randn(rng, 2, 5, 3, 3), 1, "axis 1 (channels) on 4D")
    yield case("Softmax_large_logits", "Softmax", randn(rng, 2, 11, scale=50), -1,
               "logits up to ~150: needs the max subtraction")
    yield case("Softmax_opset13", "Softmax", randn(rng, 3, 7), -1, "opset 13", opset=13)
    yield case("LogSoftmax_axis_last", "LogSoftmax", randn(rng, 3, 10, scale=3), -1, "axis -1")
    yield case("LogSoftmax_axis1", "LogSoftmax", randn(rng, 2, 4, 3), 1, "axis 1 on 3D")


@family
def layer_normalization(rng):
    def case(name, shape, axis, note, bias=True, epsilon=None):
        x = randn(rng, *shape)
        norm_shape = shape[axis:]
        scale = randn(rng, *norm_shape)
        b = randn(rng, *norm_shape) if bias else None
        eps = 1e-5 if epsilon is None else epsilon
        y = F.layer_norm(td(x), norm_shape, td(scale), None if b is None else td(b), eps)
        attrs = {"axis": axis} if epsilon is None else {"axis": axis, "epsilon": epsilon}
        args = [In("x", x), Const("scale", scale)] + ([Const("bias", b)] if bias else [])
        return op_case(name, "LayerNormalization", args, f32(y), note, attrs)

    yield case("LayerNormalization_axis_last", [2, 7, 32], -1, "axis -1 with scale and bias")
    yield case("LayerNormalization_no_bias", [3, 16], -1, "bias absent", bias=False)
    yield case("LayerNormalization_epsilon_1e-6", [1, 5, 24], -1, "epsilon 1e-6 (ViT)", epsilon=1e-6)
    yield case("LayerNormalization_last_two_axes", [2, 3, 4, 5], -2, "axis -2: normalizes over the last two dims")


@family
def reductions(rng):
    def case(name, op, x, axes, keepdims, note, axes_input, opset=17):
        """axes None means absent; axes_input passes them as a constant input (ReduceSum 13+) else as attribute."""
        dims = tuple(range(x.ndim)) if axes is None else tuple(axes)
        keep = keepdims is None or bool(keepdims)
        reference = {
            "ReduceMean": torch.mean, "ReduceSum": torch.sum, "ReduceMax": torch.amax, "ReduceMin": torch.amin,
            "ReduceL1": lambda t, d, k: torch.sum(t.abs(), d, k),
            "ReduceL2": lambda t, d, k: torch.sqrt(torch.sum(t * t, d, k)),
            "ReduceSumSquare": lambda t, d, k: torch.sum(t * t, d, k),
            "ReduceProd": lambda t, d, k: torch.from_numpy(np.prod(t.numpy(), axis=d, keepdims=k)),
        }
        y = reference[op](td(x), dims, keep)
        attrs = {}
        if keepdims is not None and keepdims != 1:
            attrs["keepdims"] = keepdims
        args = [In("x", x)]
        if axes is not None:
            if axes_input:
                args.append(Const("axes", i64(*axes)))
            else:
                attrs["axes"] = list(axes)
        return op_case(name, op, args, f32(y), note, attrs, opset=opset)

    yield case("ReduceMean_last_keepdims", "ReduceMean", randn(rng, 2, 7, 16), [-1], None,
               "axes [-1], keepdims absent (1)", False)
    yield case("ReduceMean_spatial_no_keepdims", "ReduceMean", randn(rng, 2, 4, 5, 5), [2, 3], 0,
               "axes [2, 3], keepdims 0", False)
    yield case("ReduceMean_all_axes_scalar", "ReduceMean", randn(rng, 3, 5), None, 0,
               "axes absent: reduce all to rank 0", False)
    yield case("ReduceMean_axis1_opset13", "ReduceMean", randn(rng, 4, 6, 3), [1], 1, "opset 13, keepdims 1", False,
               opset=13)
    yield case("ReduceSum_axes_input_keepdims", "ReduceSum", randn(rng, 2, 5, 7), [1], 1,
               "axes as a constant input, keepdims 1", True)
    yield case("ReduceSum_negative_axes_no_keepdims", "ReduceSum", randn(rng, 3, 4, 5), [-1, -2], 0,
               "axes [-1, -2], keepdims 0", True)
    yield case("ReduceSum_no_axes_all", "ReduceSum", randn(rng, 2, 3, 4), None, 1,
               "axes input absent: reduce everything, keepdims 1 -> [1,1,1]", True)
    x = randn(rng, 2, 6)
    yield op_case("ReduceSum_noop_with_empty_axes", "ReduceSum", [In("x", x)], x,
                  "axes absent and noop_with_empty_axes=1: identity", {"noop_with_empty_axes": 1},
                  reference="numpy")
    yield case("ReduceSum_opset13", "ReduceSum", randn(rng, 4, 9), [1], 0, "opset 13, axes input", True, opset=13)
    yield case("ReduceMax_last_no_keepdims", "ReduceMax", randn(rng, 3, 4, 5), [-1], 0, "axes [-1], keepdims 0",
               False)
    yield case("ReduceMax_axes_0_2_keepdims", "ReduceMax", randn(rng, 3, 4, 5), [0, 2], 1, "axes [0, 2], keepdims 1",
               False)
    yield case("ReduceMax_all", "ReduceMax", randn(rng, 2, 7), None, None, "axes absent: reduce all, keepdims 1",
               False)
    yield case("ReduceMin_middle_keepdims", "ReduceMin", randn(rng, 3, 4, 5), [1], 1, "axes [1], keepdims 1", False)
    yield case("ReduceProd_last", "ReduceProd", uniform(rng, 0.5, 1.5, 3, 6), [-1], 0, "axes [-1], keepdims 0", False)
    yield case("ReduceL1_spatial", "ReduceL1", randn(rng, 2, 3, 4, 4), [2, 3], 1, "axes [2, 3], keepdims 1", False)
    yield case("ReduceL2_last", "ReduceL2", randn(rng, 4, 9), [-1], 0, "axes [-1], keepdims 0", False)
    yield case("ReduceSumSquare_first", "ReduceSumSquare", randn(rng, 5, 3), [0], 1, "axes [0], keepdims 1", False)


@family
def arg_reductions(rng):
    x = randn(rng, 3, 5, 4)
    yield op_case("ArgMax_axis1_keepdims", "ArgMax", [In("x", x)], np.expand_dims(np.argmax(x, 1), 1),
                  "axis 1, keepdims 1", {"axis": 1}, reference="numpy")
    yield op_case("ArgMax_last_no_keepdims", "ArgMax", [In("x", x)], np.argmax(x, -1), "axis -1, keepdims 0",
                  {"axis": -1, "keepdims": 0}, reference="numpy")
    yield op_case("ArgMin_axis0", "ArgMin", [In("x", x)], np.expand_dims(np.argmin(x, 0), 0), "axis 0 (default)",
                  reference="numpy")
    ties = np.array([[1, 3, 3, 0], [2, 2, 1, 2]], np.float32)
    yield op_case("ArgMax_ties_first_index", "ArgMax", [In("x", ties)], np.argmax(ties, 1), "ties: first index wins",
                  {"axis": 1, "keepdims": 0}, reference="numpy")


@family
def cumsum_trilu_scatter(rng):
    x = randn(rng, 3, 6)
    yield op_case("CumSum_axis1", "CumSum", [In("x", x), Const("axis", np.array(1, np.int64))],
                  f32(torch.cumsum(td(x), 1)), "axis 1")
    reverse_exclusive = np.flip(np.cumsum(np.flip(x.astype(np.float64), 0), 0), 0) - x
    yield op_case("CumSum_axis0_reverse_exclusive", "CumSum", [In("x", x), Const("axis", np.array(0, np.int64))],
                  f32(reverse_exclusive), "axis 0, reverse and exclusive", {"reverse": 1, "exclusive": 1})
    n = randint(rng, -5, 5, 7)
    yield op_case("CumSum_int64", "CumSum", [In("n", n), Const("axis", np.array(-1, np.int64))], np.cumsum(n),
                  "int64 along the last axis", reference="numpy")

    x = randn(rng, 2, 4, 5)
    yield op_case("Trilu_upper_default", "Trilu", [In("x", x)], np.triu(x), "upper triangle, k absent (0)",
                  reference="numpy")
    yield op_case("Trilu_lower_k_minus1", "Trilu", [In("x", x), Const("k", np.array(-1, np.int64))], np.tril(x, -1),
                  "lower triangle below the diagonal", {"upper": 0}, reference="numpy")
    mask = np.ones((6, 6), np.float32)
    yield op_case("Trilu_causal_mask_k1", "Trilu", [In("m", mask), Const("k", np.array(1, np.int64))], np.triu(mask, 1),
                  "GPT-style causal mask: strictly upper", reference="numpy")

    data = randn(rng, 4, 3)
    indices = i64(2, 0).reshape(2, 1)
    updates = randn(rng, 2, 3)
    expected = data.copy()
    expected[[2, 0]] = updates
    yield op_case("ScatterND_rows", "ScatterND", [In("data", data), Const("indices", indices), In("updates", updates)],
                  expected, "replace rows 2 and 0", reference="numpy")
    data = randn(rng, 2, 3, 4)
    indices = i64(1, 2, 0, 0).reshape(2, 2)
    updates = randn(rng, 2, 4)
    expected = data.copy()
    expected[1, 2] = updates[0]
    expected[0, 0] = updates[1]
    yield op_case("ScatterND_slices", "ScatterND",
                  [In("data", data), Const("indices", indices), In("updates", updates)], expected,
                  "index pairs select [4]-slices", reference="numpy")


# ---- padding and resizing -------------------------------------------------------------------------------------------

@family
def pad(rng):
    def case(name, x, pads, mode, value, note):
        torch_mode = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}[mode]
        torch_pads = onnx_pads_to_torch(pads)
        if mode == "constant":
            y = F.pad(td(x), torch_pads, value=float(value or 0.0))
        else:   # torch pads only the spatial axes (all but N and C) in these modes
            assert not any(torch_pads[2 * (x.ndim - 2):]), "reflect/edge pads on N or C"
            y = F.pad(td(x), torch_pads[:2 * (x.ndim - 2)], mode=torch_mode)
        args = [In("x", x), Const("pads", i64(*pads)), None if value is None else Const("value", f32s(value))]
        return op_case(name, "Pad", args, f32(y), note, None if mode == "constant" else {"mode": mode})

    yield case("Pad_constant_value", randn(rng, 1, 2, 4, 5), [0, 0, 1, 2, 0, 0, 2, 1], "constant", 0.5,
               "constant mode, value 0.5, asymmetric spatial pads")
    yield case("Pad_constant_default_zero_all_axes", randn(rng, 2, 3), [1, 0, 0, 2], "constant", None,
               "constant_value absent (0); pads the first axis too")
    yield case("Pad_constant_channels", randn(rng, 1, 3, 2, 2), [0, 1, 0, 0, 0, 2, 0, 0], "constant", -1.0,
               "pads the channel axis")
    yield case("Pad_reflect", randn(rng, 1, 2, 5, 6), [0, 0, 2, 1, 0, 0, 1, 3], "reflect", None,
               "reflect mode on H and W")
    yield case("Pad_edge_3d", randn(rng, 2, 3, 7), [0, 0, 3, 0, 0, 2], "edge", None, "edge mode on the last axis")
    yield case("Pad_edge_4d", randn(rng, 1, 2, 3, 4), [0, 0, 1, 2, 0, 0, 2, 1], "edge", None, "edge mode on H and W")


def linear_resize_asymmetric(x, scales):
    """Separable linear interpolation over the spatial axes, ONNX 'asymmetric' mode: x_in = x_out / scale; source
    coordinates are clamped to the input, so the last row/column repeats past the end."""
    y = np.asarray(x, np.float64)
    for axis in range(2, x.ndim):
        n, scale = x.shape[axis], scales[axis]
        src = np.clip(np.arange(int(np.floor(n * scale))) / scale, 0, n - 1)
        lo = np.floor(src).astype(np.int64)
        hi = np.minimum(lo + 1, n - 1)
        w = (src - lo).reshape([-1 if a == axis else 1 for a in range(x.ndim)])
        y = np.take(y, lo, axis=axis) * (1 - w) + np.take(y, hi, axis=axis) * w
    return f32(y)


@family
def resize(rng):
    x = randn(rng, 1, 2, 3, 4)
    scales = np.array([1, 1, 2, 2], np.float32)
    nearest = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    y = f32(F.interpolate(td(x), scale_factor=2.0, mode="nearest"))
    yield op_case("Resize_nearest_scales2_asymmetric", "Resize", [In("x", x), None, Const("scales", scales)], y,
                  "nearest, scales 2, asymmetric + floor (torch Upsample(nearest) export); roi omitted", nearest)
    yield op_case("Resize_nearest_scales2_opset13", "Resize", [In("x", x), None, Const("scales", scales)], y,
                  "same at opset 13", nearest, opset=13)
    yield op_case("Resize_nearest_scales2_empty_roi", "Resize",
                  [In("x", x), Const("roi", np.zeros(0, np.float32)), Const("scales", scales)], y,
                  "roi given as an empty constant, as older exporters write it", nearest)

    x = randn(rng, 1, 2, 5, 7)
    sizes = i64(1, 2, 10, 14)
    y = f32(F.interpolate(td(x), size=(10, 14), mode="bilinear", align_corners=False))
    linear = {"mode": "linear", "coordinate_transformation_mode": "half_pixel"}
    yield op_case("Resize_linear_half_pixel_sizes", "Resize", [In("x", x), None, None, Const("sizes", sizes)], y,
                  "bilinear upsample to sizes, half_pixel (torch align_corners=False)", linear)
    x = randn(rng, 1, 3, 7, 9)
    y = f32(F.interpolate(td(x), size=(4, 5), mode="bilinear", align_corners=False))
    yield op_case("Resize_linear_half_pixel_downsample", "Resize",
                  [In("x", x), None, None, Const("sizes", i64(1, 3, 4, 5))], y,
                  "bilinear downsample to sizes 7x9 -> 4x5, half_pixel, no antialiasing", linear)
    x = randn(rng, 2, 1, 4, 3)
    y = f32(F.interpolate(td(x), size=(7, 5), mode="bilinear", align_corners=True))
    yield op_case("Resize_linear_align_corners", "Resize", [In("x", x), None, None, Const("sizes", i64(2, 1, 7, 5))],
                  y, "bilinear to sizes, align_corners",
                  {"mode": "linear", "coordinate_transformation_mode": "align_corners"})
    x = randn(rng, 1, 2, 4, 5)
    scales = np.array([1, 1, 1.5, 2], np.float32)
    yield op_case("Resize_linear_asymmetric_scales", "Resize", [In("x", x), None, Const("scales", scales)],
                  linear_resize_asymmetric(x, scales), "bilinear, scales [1.5, 2], asymmetric (numpy reference)",
                  {"mode": "linear", "coordinate_transformation_mode": "asymmetric"}, reference="numpy")


# ---- multi-node patterns: fusions, folding, exporter decompositions -------------------------------------------------

@family
def patterns(rng):
    x = randn(rng, 1, 3, 8, 8)
    w = randn(rng, 6, 3, 3, 3, scale=0.3)
    b = randn(rng, 6)
    gamma, beta, mean = randn(rng, 6), randn(rng, 6), randn(rng, 6)
    var = uniform(rng, 0.5, 2.0, 6)
    conv = F.conv2d(td(x), td(w), td(b), padding=1)
    y = F.relu(F.batch_norm(conv, td(mean), td(var), td(gamma), td(beta), training=False, eps=1e-5))
    yield graph_case("Fusion_Conv_BatchNormalization_Relu",
                     [node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                      node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"]),
                      node("Relu", ["n"], ["y"])],
                     [In("x", x), Const("w", w), Const("b", b), Const("gamma", gamma), Const("beta", beta),
                      Const("mean", mean), Const("var", var)],
                     {"y": f32(y)}, "Conv -> BatchNormalization -> Relu, all parameters initializers (BN folding)")

    x = randn(rng, 2, 4, 6, 6)
    w = randn(rng, 5, 4, 3, 3, scale=0.3)
    b = randn(rng, 5)
    y = F.relu(F.conv2d(td(x), td(w), td(b), stride=2, padding=1))
    yield graph_case("Fusion_Conv_Relu",
                     [node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
                      node("Relu", ["c"], ["y"])],
                     [In("x", x), Const("w", w), Const("b", b)], {"y": f32(y)}, "Conv -> Relu")

    x = randn(rng, 1, 6, 7, 7, scale=3)
    w = randn(rng, 6, 1, 3, 3)
    b = randn(rng, 6)
    y = torch.clamp(F.conv2d(td(x), td(w), td(b), padding=1, groups=6), 0, 6)
    yield graph_case("Fusion_Conv_Clip_relu6",
                     [node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=6),
                      node("Clip", ["c", "lo", "hi"], ["y"])],
                     [In("x", x), Const("w", w), Const("b", b), Const("lo", f32s(0)), Const("hi", f32s(6))],
                     {"y": f32(y)}, "depthwise Conv -> Clip(0, 6) (MobileNet ReLU6)")

    x = randn(rng, 1, 4, 5, 5)
    w = randn(rng, 4, 4, 3, 3, scale=0.3)
    b = randn(rng, 4)
    y = F.relu(F.conv2d(td(x), td(w), td(b), padding=1) + td(x))
    yield graph_case("Fusion_Conv_Add_residual_Relu",
                     [node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                      node("Add", ["c", "x"], ["s"]), node("Relu", ["s"], ["y"])],
                     [In("x", x), Const("w", w), Const("b", b)], {"y": f32(y)}, "Conv + residual Add -> Relu")

    x = randn(rng, 2, 5, 16)
    w = randn(rng, 16, 8, scale=0.25)
    b = randn(rng, 8)
    yield graph_case("Fusion_MatMul_Add_linear",
                     [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"], ["y"])],
                     [In("x", x), Const("w", w), Const("b", b)], {"y": f32(td(x) @ td(w) + td(b))},
                     "MatMul + Add bias on a 3D activation (torch Linear export for rank > 2)")

    x = randn(rng, 3, 10)
    w = randn(rng, 6, 10, scale=0.3)
    b = randn(rng, 6)
    yield graph_case("Fusion_Gemm_Relu",
                     [node("Gemm", ["x", "w", "b"], ["g"], transB=1), node("Relu", ["g"], ["y"])],
                     [In("x", x), Const("w", w), Const("b", b)], {"y": f32(F.relu(td(x) @ td(w).T + td(b)))},
                     "Gemm(transB) -> Relu")

    x = randn(rng, 2, 3, 4, 5)
    yield graph_case("Pattern_shape_view_batch_minus1",
                     [node("Shape", ["x"], ["s"]), node("Gather", ["s", "i0"], ["n"], axis=0),
                      node("Unsqueeze", ["n", "axes0"], ["n1"]), node("Concat", ["n1", "minus1"], ["shape"], axis=0),
                      node("Reshape", ["x", "shape"], ["y"])],
                     [In("x", x), Const("i0", np.array(0, np.int64)), Const("axes0", i64(0)),
                      Const("minus1", i64(-1))],
                     {"y": x.reshape(2, -1)},
                     "x.view(x.size(0), -1) as torch exports it: Shape -> Gather -> Unsqueeze -> Concat -> Reshape",
                     reference="numpy")

    x = randn(rng, 2, 7)
    b = randn(rng, 7)
    yield graph_case("Pattern_identity_dropout_in_chain",
                     [node("Relu", ["x"], ["r"]), node("Identity", ["r"], ["i"]), node("Dropout", ["i"], ["d"]),
                      node("Add", ["d", "b"], ["y"])],
                     [In("x", x), Const("b", b)], {"y": f32(F.relu(td(x)) + td(b))},
                     "Relu -> Identity -> Dropout -> Add: the no-ops in the middle must be removable")

    x = randn(rng, 2, 9, scale=2)
    yield graph_case("Pattern_gelu_erf",
                     [node("Div", ["x", "sqrt2"], ["d"]), node("Erf", ["d"], ["e"]), node("Add", ["e", "one"], ["a"]),
                      node("Mul", ["x", "a"], ["m"]), node("Mul", ["m", "half"], ["y"])],
                     [In("x", x), Const("sqrt2", f32s(np.sqrt(2))), Const("one", f32s(1)), Const("half", f32s(0.5))],
                     {"y": f32(F.gelu(td(x)))}, "exact GELU as exported before opset 20: x * (1 + erf(x / sqrt 2)) / 2",
                     fused=["Gelu"])

    x = randn(rng, 3, 8, scale=2)
    yield graph_case("Pattern_gelu_tanh",
                     [node("Pow", ["x", "three"], ["p"]), node("Mul", ["p", "k"], ["pk"]),
                      node("Add", ["x", "pk"], ["inner"]), node("Mul", ["inner", "c"], ["sc"]),
                      node("Tanh", ["sc"], ["t"]), node("Add", ["t", "one"], ["a"]), node("Mul", ["x", "a"], ["m"]),
                      node("Mul", ["m", "half"], ["y"])],
                     [In("x", x), Const("three", f32s(3)), Const("k", f32s(0.044715)),
                      Const("c", f32s(np.sqrt(2 / np.pi))), Const("one", f32s(1)), Const("half", f32s(0.5))],
                     {"y": f32(F.gelu(td(x), approximate="tanh"))},
                     "tanh-approximated GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))", fused=["Gelu"])

    x = randn(rng, 2, 3, 4)
    yield graph_case("Pattern_silu_sigmoid_mul",
                     [node("Sigmoid", ["x"], ["s"]), node("Mul", ["x", "s"], ["y"])],
                     [In("x", x)], {"y": f32(F.silu(td(x)))}, "SiLU / Swish: x * sigmoid(x)")

    x = randn(rng, 2, 5, 16)
    scale, bias = randn(rng, 16), randn(rng, 16)
    yield graph_case("Pattern_layernorm_decomposed_opset13",
                     [node("ReduceMean", ["x"], ["mean"], axes=[-1]), node("Sub", ["x", "mean"], ["d"]),
                      node("Pow", ["d", "two"], ["sq"]), node("ReduceMean", ["sq"], ["var"], axes=[-1]),
                      node("Add", ["var", "eps"], ["ve"]), node("Sqrt", ["ve"], ["std"]),
                      node("Div", ["d", "std"], ["n"]), node("Mul", ["n", "scale"], ["ns"]),
                      node("Add", ["ns", "bias"], ["y"])],
                     [In("x", x), Const("two", f32s(2)), Const("eps", f32s(1e-5)), Const("scale", scale),
                      Const("bias", bias)],
                     {"y": f32(F.layer_norm(td(x), [16], td(scale), td(bias), 1e-5))},
                     "LayerNorm as exported before opset 17: "
                     "ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add",
                     opset=13)

    q, k, v = randn(rng, 1, 2, 5, 8), randn(rng, 1, 2, 5, 8), randn(rng, 1, 2, 5, 8)
    attn = torch.softmax(td(q) @ td(k).transpose(-1, -2) / np.sqrt(8), dim=-1) @ td(v)
    yield graph_case("Pattern_attention_sdpa",
                     [node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]), node("MatMul", ["q", "kt"], ["s"]),
                      node("Div", ["s", "sqrt_d"], ["ss"]), node("Softmax", ["ss"], ["p"], axis=-1),
                      node("MatMul", ["p", "v"], ["y"])],
                     [In("q", q), In("k", k), In("v", v), Const("sqrt_d", f32s(np.sqrt(8)))], {"y": f32(attn)},
                     "scaled dot-product attention: softmax(Q K^T / sqrt(d)) V", fused=["FusedAttention"])


@family
def transformer_blocks(rng):
    """The transformer patterns Missile fuses (passes/fuse_attention.cpp, fuse_gelu.cpp, the MatMul residual,
    fuse_transposed_matmul.cpp), at odd sizes that leave partial tiles in the GPU kernels."""
    def linear(x, w, b):
        return td(x) @ td(w) + td(b)

    def attention(q, k, v, mask=None, fill=None, scale=None):
        s = q @ k.transpose(-1, -2) * (scale if scale is not None else 1 / np.sqrt(q.shape[-1]))
        if mask is not None:
            s = s.masked_fill(torch.from_numpy(mask), float(fill))
        return torch.softmax(s, dim=-1) @ v

    def encoder(name, batch, seq, heads, dim, note, causal=False, fill=float(np.finfo(np.float32).min)):
        hidden = heads * dim
        x = randn(rng, batch, seq, hidden)
        ws = [randn(rng, hidden, hidden, scale=0.3) for _ in range(3)]
        bs = [randn(rng, hidden) for _ in range(3)]
        split = [linear(x, w, b).reshape(batch, seq, heads, dim).transpose(1, 2) for w, b in zip(ws, bs)]
        masked = np.triu(np.ones((seq, seq), dtype=bool), 1)[None, None] if causal else None
        context = attention(*split, masked, fill)
        y = context.transpose(1, 2).reshape(batch, seq, hidden)
        nodes, args = [], [In("x", x), Const("hs", i64(batch, seq, heads, dim)), Const("ho", i64(batch, seq, hidden)),
                           Const("sqrt_d", f32s(np.sqrt(dim)))]
        for i, (w, b) in enumerate(zip(ws, bs)):
            perm = [0, 2, 3, 1] if i == 1 else [0, 2, 1, 3]
            nodes += [node("MatMul", ["x", f"w{i}"], [f"m{i}"]), node("Add", [f"m{i}", f"b{i}"], [f"l{i}"]),
                      node("Reshape", [f"l{i}", "hs"], [f"r{i}"]), node("Transpose", [f"r{i}"], [f"t{i}"], perm=perm)]
            args += [Const(f"w{i}", ws[i]), Const(f"b{i}", bs[i])]
        nodes += [node("MatMul", ["t0", "t1"], ["s"]), node("Div", ["s", "sqrt_d"], ["ss"])]
        scores = "ss"
        if causal:
            nodes.append(node("Where", ["mask", "fill", "ss"], ["sm"]))
            args += [Const("mask", masked), Const("fill", f32s(fill))]
            scores = "sm"
        nodes += [node("Softmax", [scores], ["p"], axis=-1), node("MatMul", ["p", "t2"], ["c"]),
                  node("Transpose", ["c"], ["ct"], perm=[0, 2, 1, 3]), node("Reshape", ["ct", "ho"], ["y"])]
        return graph_case(name, nodes, args, {"y": f32(y)}, note, tolerance=1e-4, fused=["FusedAttention"])

    yield encoder("Attention_bert_heads_odd_sequence", 2, 7, 3, 16, "BERT's attention: Linear, head split, "
                  "Q K^T / sqrt(d), Softmax, V, head merge; 7 tokens, heads of 16 (padded to 32 in the GPU tiles)")
    yield encoder("Attention_gpt2_causal_two_key_tiles", 1, 70, 2, 64, "GPT-2's causal attention, "
                  "Where(mask, finfo.min, scores): 70 tokens span two 64-key tiles, heads of 64", causal=True)
    yield encoder("Attention_causal_mask_moderate_fill", 2, 9, 2, 8, "a causal mask whose fill (-2) leaves the "
                  "masked keys real weight: they must be weighed as Where writes them, not skipped", causal=True,
                  fill=-2.0)

    # ViT: nn.MultiheadAttention as exported, heads merged with the batch.
    batch, seq, heads, dim = 2, 17, 3, 8
    hidden = heads * dim
    x = randn(rng, seq, batch, hidden)
    w, b = randn(rng, hidden, 3 * hidden, scale=0.3), randn(rng, 3 * hidden)
    packed = linear(x, w, b)
    parts = [packed[..., i * hidden:(i + 1) * hidden].reshape(seq, batch * heads, dim).transpose(0, 1) for i in range(3)]
    context = attention(parts[0] / np.sqrt(dim), parts[1], parts[2], scale=1.0)
    y = context.transpose(0, 1).reshape(seq * batch, hidden)
    nodes = [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"], ["packed"])]
    for i in range(3):
        nodes += [node("Slice", ["packed", f"start{i}", f"end{i}", "axis"], [f"s{i}"]),
                  node("Reshape", [f"s{i}", "heads"], [f"r{i}"]),
                  node("Transpose", [f"r{i}"], [f"t{i}"], perm=[1, 2, 0] if i == 1 else [1, 0, 2])]
    nodes += [node("Div", ["t0", "sqrt_d"], ["q"]), node("MatMul", ["q", "t1"], ["s"]),
              node("Softmax", ["s"], ["p"], axis=-1), node("MatMul", ["p", "t2"], ["c"]),
              node("Transpose", ["c"], ["ct"], perm=[1, 0, 2]), node("Reshape", ["ct", "merged"], ["y"])]
    args = [In("x", x), Const("w", w), Const("b", b), Const("axis", i64(-1)), Const("heads", i64(seq, batch * heads, dim)),
            Const("merged", i64(seq * batch, hidden)), Const("sqrt_d", f32s(np.sqrt(dim)))]
    for i in range(3):
        args += [Const(f"start{i}", i64(i * hidden)), Const(f"end{i}", i64((i + 1) * hidden))]
    yield graph_case("Attention_vit_packed_projection", nodes, args, {"y": f32(y)},
                     "ViT's nn.MultiheadAttention: one [E, 3E] projection sliced in three, batch and heads merged, "
                     "Q scaled before the product; 17 tokens", tolerance=1e-4, fused=["FusedAttention"])

    q, k, v = randn(rng, 2, 3, 5, 40), randn(rng, 2, 3, 131, 40), randn(rng, 2, 1, 131, 40)
    yield graph_case("Attention_cross_long_keys_shared_values",
                     [node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]), node("MatMul", ["q", "kt"], ["s"]),
                      node("Mul", ["s", "scale"], ["ss"]), node("Softmax", ["ss"], ["p"], axis=-1),
                      node("MatMul", ["p", "v"], ["y"])],
                     [In("q", q), In("k", k), In("v", v), Const("scale", f32s(0.2))],
                     {"y": f32(attention(td(q), td(k), td(v), scale=0.2))},
                     "5 queries against 131 keys (three key tiles, the last of 3), one V shared by the heads, "
                     "heads of 40", tolerance=1e-4, fused=["FusedAttention"])

    q, k, v = randn(rng, 3, 4, 6), randn(rng, 3, 9, 6), randn(rng, 3, 9, 7)
    keep = rng.random((4, 9)) < 0.7
    keep[:, 0] = True
    yield graph_case("Attention_value_width_and_padding_mask",
                     [node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]), node("MatMul", ["q", "kt"], ["s"]),
                      node("Where", ["keep", "s", "fill"], ["sm"]), node("Softmax", ["sm"], ["p"], axis=-1),
                      node("MatMul", ["p", "v"], ["y"])],
                     [In("q", q), In("k", k), In("v", v), Const("keep", keep), Const("fill", f32s(-1e9))],
                     {"y": f32(attention(td(q), td(k), td(v), ~keep, -1e9, scale=1.0))},
                     "Where(keep, scores, fill) with an arbitrary mask; heads of 6 for Q and K, 7 for V",
                     tolerance=1e-4, fused=["FusedAttention"])

    x = randn(rng, 3, 5, 24)
    w, b = randn(rng, 24, 40, scale=0.3), randn(rng, 40)
    h = linear(x, w, b)
    yield graph_case("Fusion_MatMul_Add_Gelu_erf",
                     [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"], ["h"]),
                      node("Div", ["h", "sqrt2"], ["d"]), node("Erf", ["d"], ["e"]), node("Add", ["e", "one"], ["a"]),
                      node("Mul", ["h", "a"], ["hm"]), node("Mul", ["hm", "half"], ["y"])],
                     [In("x", x), Const("w", w), Const("b", b), Const("sqrt2", f32s(np.sqrt(2))),
                      Const("one", f32s(1)), Const("half", f32s(0.5))],
                     {"y": f32(F.gelu(h))}, "BERT / ViT feed-forward: Linear then exact GELU, one GEMM with its "
                     "epilogue", tolerance=1e-4, fused=["Gelu"])
    yield graph_case("Fusion_MatMul_Add_Gelu_tanh",
                     [node("MatMul", ["x", "w"], ["m"]), node("Add", ["b", "m"], ["h"]),
                      node("Mul", ["h", "h"], ["h2"]), node("Mul", ["h", "h2"], ["h3"]),
                      node("Mul", ["k", "h3"], ["kh3"]), node("Add", ["h", "kh3"], ["inner"]),
                      node("Mul", ["c", "inner"], ["sc"]), node("Tanh", ["sc"], ["t"]), node("Add", ["one", "t"], ["a"]),
                      node("Mul", ["h", "a"], ["hm"]), node("Mul", ["half", "hm"], ["y"])],
                     [In("x", x), Const("w", w), Const("b", b), Const("k", f32s(0.044715)),
                      Const("c", f32s(np.sqrt(2 / np.pi))), Const("one", f32s(1)), Const("half", f32s(0.5))],
                     {"y": f32(F.gelu(h, approximate="tanh"))}, "GPT-2's feed-forward: Linear then tanh GELU as "
                     "torch exports it (x * x * x as two Muls)", tolerance=1e-4, fused=["Gelu"])

    x = randn(rng, 2, 7, 16)
    w, b = randn(rng, 16, 16, scale=0.3), randn(rng, 16)
    yield graph_case("Fusion_MatMul_Add_residual",
                     [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"], ["h"]), node("Add", ["x", "h"], ["y"])],
                     [In("x", x), Const("w", w), Const("b", b)], {"y": f32(td(x) + linear(x, w, b))},
                     "a residual connection around a Linear: the add rides in the GEMM (cuBLASLt's C)",
                     tolerance=1e-4)

    x = randn(rng, 2, 5, 12)
    e = randn(rng, 37, 12)
    yield graph_case("Fusion_tied_output_projection",
                     [node("Transpose", ["x"], ["xt"], perm=[0, 2, 1]), node("MatMul", ["e", "xt"], ["m"]),
                      node("Transpose", ["m"], ["y"], perm=[0, 2, 1])],
                     [In("x", x), Const("e", e)], {"y": f32(td(x) @ td(e).T)},
                     "GPT-2's logits (E x^T)^T with E the embedding matrix: one Gemm(transB), no transposes",
                     tolerance=1e-4)


def main():
    parser = argparse.ArgumentParser(description="Generate Missile's operator test cases (see the module docstring).")
    parser.add_argument("--out", required=True, help="folder to write the cases into (one sub-folder per case)")
    parser.add_argument("--filter", default="", help="only cases whose name contains this substring")
    args = parser.parse_args()

    start = time.time()
    torch.set_num_threads(1)
    cases = list(all_cases())
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate case names: {sorted(duplicates)}"
    selected = [c for c in cases if args.filter in c.name]
    for c in selected:
        c.write(args.out)
    print(f"wrote {len(selected)} of {len(cases)} cases to {args.out} in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()
