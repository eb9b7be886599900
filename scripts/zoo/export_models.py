#!/usr/bin/python3
"""Export the twelve evaluation DNNs to ONNX test cases with seeded random weights.

Missile is evaluated on ResNet-50/101/152, VGG-16/19, DenseNet-201, Inception-v3, MobileNetV2, EfficientNet-B0,
ViT-B/16, BERT-base and GPT-2 small. No pretrained weights can be downloaded, so every model gets seeded random
weights instead; speed does not depend on the weight values, and correctness is checked against PyTorch running
the very same weights. The torchvision models come from torchvision (weights=None); BERT and GPT-2 are written
with torch.nn in transformers_nn.py.

Each model becomes one case folder in the layout of docs/test-cases.md:

    OUT/<model>/model.onnx               static shapes, constant-folded, weights inside the file
    OUT/<model>/inputs/<name>.npy        seeded random input: torch.randn images or torch.randint token ids
    OUT/<model>/expected/<name>.npy      PyTorch's fp32 CPU output for those inputs (not from running the ONNX file)
    OUT/<model>/case.json                name, size, reference, tolerance, opset, seed, inputs, outputs, note

--size full uses the real input sizes; --size small keeps every layer and width but shrinks the input so that the
whole zoo exports and runs on a CPU in minutes (see SMALL_INPUT_NOTES for why each small size was chosen).
--no-reference skips the expected outputs (and writes "reference": null), for cases meant only for benchmarking.

Random weights are made numerically meaningful:
  * norm layers get random affine parameters (shifts biased positive, which keeps deep random ReLU networks out of
    the chaotic regime where fp32 rounding alone would exceed the tolerance), and every parameter its initialiser
    left constant (zero biases, ViT's class token and zero-initialised head) gets seeded random values, so that
    none of them is a no-op;
  * BatchNorm running statistics are set to the statistics of a seeded batch of random images. Purely random
    running statistics do not normalise anything, and the activations of the deep networks then explode (ResNet-152
    and Inception-v3 reach 1e9..1e12); calibrated ones keep every output in a sane range while still being
    arbitrary per-channel values;
  * the export keeps BatchNormalization nodes (the exporter's eval mode would fold them into the preceding
    convolutions), so that Missile's own Conv+BatchNorm folding is exercised.

Determinism: torch.manual_seed(seed) before building each model (which also drives the random parameters and the
calibration batch) and a separate generator seeded with the same seed for the inputs; all math runs on one thread,
so the same seed gives byte-identical model.onnx, inputs and expected outputs whatever the number of cores (on CPUs
whose kernels take the same code paths: AVX2 and AVX-512 kernels may round differently).

Run with Debian's interpreter, which has torch 1.13, torchvision 0.14 and onnx 1.12:

    /usr/bin/python3 scripts/zoo/export_models.py --size small --out /tmp/zoo-small
    /usr/bin/python3 scripts/zoo/export_models.py --size full --no-reference --model resnet50 --out /tmp/zoo-full
"""

import argparse
import inspect
import json
import os
import re
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

# One thread for every math library, set before they load: multithreaded kernels split their sums by the number of
# threads, so the calibrated weights and the reference outputs would otherwise depend on the machine's core count.
# (torch.set_num_threads would not reach OpenBLAS, which Debian's torch uses for matrix products.)
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import numpy as np  # noqa: E402 (after the thread settings)
import onnx  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402

import transformers_nn  # noqa: E402

TOLERANCE = 1e-4
CONSTANT_PARAMETER_STD = 0.02  # std of the values that replace constant parameters (BERT/GPT-2's init std)
CALIBRATION_BATCH = 4  # random images whose statistics become the BatchNorm running statistics


@dataclass(frozen=True)
class ModelSpec:
    """How to build one model and what it eats: image side or sequence length at each size."""

    build: Callable[[int], nn.Module]  # called with the image side (only ViT needs it) or the sequence length
    full_size: int
    small_size: int
    vocab: int = 0  # token models: input ids are drawn from [0, vocab); 0 for image models
    output_name: str = "logits"

    @property
    def takes_tokens(self) -> bool:
        return self.vocab > 0

    @property
    def input_name(self) -> str:
        return "input_ids" if self.takes_tokens else "input"

    def input_shape(self, size: int, batch: int) -> tuple:
        return (batch, size) if self.takes_tokens else (batch, 3, size, size)


def torchvision_model(name: str, **kwargs) -> Callable[[int], nn.Module]:
    return lambda _side: getattr(torchvision.models, name)(weights=None, **kwargs)


MODELS = {
    "resnet50": ModelSpec(torchvision_model("resnet50"), 224, 64),
    "resnet101": ModelSpec(torchvision_model("resnet101"), 224, 64),
    "resnet152": ModelSpec(torchvision_model("resnet152"), 224, 64),
    "vgg16": ModelSpec(torchvision_model("vgg16"), 224, 224),
    "vgg19": ModelSpec(torchvision_model("vgg19"), 224, 224),
    "densenet201": ModelSpec(torchvision_model("densenet201"), 224, 64),
    "inception_v3": ModelSpec(torchvision_model("inception_v3", aux_logits=False, init_weights=True), 299, 107),
    "mobilenet_v2": ModelSpec(torchvision_model("mobilenet_v2"), 224, 64),
    "efficientnet_b0": ModelSpec(torchvision_model("efficientnet_b0"), 224, 64),
    "vit_b_16": ModelSpec(lambda side: torchvision.models.vit_b_16(weights=None, image_size=side), 224, 64),
    "bert_base": ModelSpec(lambda _seq: transformers_nn.BertModel(), 128, 16,
                           vocab=transformers_nn.BERT_BASE.vocab_size, output_name="last_hidden_state"),
    "gpt2_small": ModelSpec(lambda _seq: transformers_nn.Gpt2Model(), 128, 16,
                            vocab=transformers_nn.GPT2_SMALL.vocab_size),
}

# Why each small input has the size it has; also written into case.json's note.
SMALL_INPUT_NOTES = {
    "resnet": "64x64 leaves a 2x2 map before global pooling (32 would already work, at 1x1)",
    "vgg": "224x224 like the full size: the exporter turns the adaptive 7x7 average pool into a fixed AveragePool, "
           "which needs a feature map that is a multiple of 7, i.e. an input that is a multiple of 224",
    "densenet201": "64x64 leaves a 2x2 map before global pooling",
    "inception_v3": "107x107: the architecture needs at least 75; 107 is the smallest that leaves a 2x2 map "
                    "(not 1x1) after Mixed_7a, like the 64x64 inputs of the other CNNs",
    "mobilenet_v2": "64x64 leaves a 2x2 map before global pooling",
    "efficientnet_b0": "64x64 leaves a 2x2 map before global pooling",
    "vit_b_16": "built with image_size=64: a 4x4 patch grid, 17 tokens with the class token",
    "bert_base": "16 tokens",
    "gpt2_small": "16 tokens",
}


def small_input_note(name: str) -> str:
    return next(note for key, note in SMALL_INPUT_NOTES.items() if name.startswith(key))


def file_name(onnx_name: str) -> str:
    """The test-case rule: characters outside [A-Za-z0-9._-] become '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", onnx_name)


def randomize_parameters(model: nn.Module) -> None:
    """Random norm affine parameters, and random values for every parameter left constant by its initialiser.

    Uses the global RNG, which the caller has seeded.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm)):
                module.weight.uniform_(0.5, 1.5)
                # Positive shifts keep most ReLUs active, as in trained networks. With zero-mean shifts a deep
                # random ReLU network is chaotic: fp32 rounding differences grow layer after layer, and the fp32
                # outputs of ResNet-152 and Inception-v3 differ from their float64 values by up to 4e-4 and 1e-4
                # (relative to the largest output), so even a correct fp32 engine would miss the 1e-4 tolerance.
                # With these shifts every model stays within 1.5e-5.
                module.bias.uniform_(0.25, 0.75)
        for parameter in model.parameters():
            # Zero biases, ViT's zero class token and zero-initialised classifier, ...: a constant parameter would
            # hide errors in the operators that read it (and make the exporter deduplicate it into Identity nodes).
            if parameter.min() == parameter.max():
                parameter.normal_(0.0, CONSTANT_PARAMETER_STD)


def batch_norms(model: nn.Module) -> list:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def calibrate_batch_norms(model: nn.Module, input_shape: tuple) -> None:
    """Set every BatchNorm's running mean and variance to the statistics of one batch of random images."""
    norms = batch_norms(model)
    if not norms:
        return
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average: after one batch the running stats are exactly its statistics
    model.eval()
    for norm in norms:
        norm.train()  # only the norms: dropout and EfficientNet's stochastic depth must stay off
    with torch.no_grad():
        model(torch.randn((CALIBRATION_BATCH,) + input_shape[1:]))
    model.eval()
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum


def build_model(spec: ModelSpec, size: int, input_shape: tuple, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    model = spec.build(size)
    randomize_parameters(model)
    calibrate_batch_norms(model, input_shape)
    return model.eval()


def make_input(spec: ModelSpec, input_shape: tuple, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    if spec.takes_tokens:
        return torch.randint(0, spec.vocab, input_shape, generator=generator, dtype=torch.int64)
    return torch.randn(input_shape, generator=generator)


def export_onnx(model: nn.Module, example: torch.Tensor, spec: ModelSpec, path: Path, opset: int,
                dynamic_batch: bool = False) -> None:
    """Export to ONNX; with dynamic_batch the batch dim is named, so one file serves every batch size."""
    with warnings.catch_warnings():
        # PRESERVE (on a model already in eval mode) differs from the default EVAL export only in skipping the
        # exporter's Conv+BatchNorm fusion; the exporter warns that it is not EVAL, which is deliberate here.
        warnings.filterwarnings("ignore", message="It is recommended that constant folding be turned off")
        # PyTorch 2.9+ defaults to the dynamo exporter; the TorchScript one (1.13's only one) produces the
        # same graphs on every PyTorch we run, so ask for it where there is a choice.
        choice = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
        if dynamic_batch:
            choice["dynamic_axes"] = {spec.input_name: {0: "batch"}, spec.output_name: {0: "batch"}}
        torch.onnx.export(model, (example,), str(path), export_params=True, do_constant_folding=True,
                          opset_version=opset, training=torch.onnx.TrainingMode.PRESERVE,
                          input_names=[spec.input_name], output_names=[spec.output_name], **choice)


def check_onnx(path: Path, input_shape: tuple, output_shape: tuple | None) -> None:
    """The ONNX checker on the file (path form: it reads the file itself), then load it and check its interface."""
    onnx.checker.check_model(str(path))
    graph = onnx.load(str(path)).graph

    def dims(value_info: onnx.ValueInfoProto) -> tuple:
        return tuple(d.dim_value for d in value_info.type.tensor_type.shape.dim)

    assert [dims(i) for i in graph.input] == [input_shape], f"{path}: graph inputs {graph.input}"
    assert len(graph.output) == 1, f"{path}: {len(graph.output)} graph outputs"
    if output_shape is not None:
        assert dims(graph.output[0]) == output_shape, f"{path}: output {dims(graph.output[0])} != {output_shape}"


def export_case(name: str, args: argparse.Namespace) -> str:
    """Write OUT/<name>/ and return a one-line summary."""
    start = time.perf_counter()
    spec = MODELS[name]
    size = spec.full_size if args.size == "full" else spec.small_size
    input_shape = spec.input_shape(size, args.batch)

    case_dir = args.out / name
    shutil.rmtree(case_dir, ignore_errors=True)  # no stale expected outputs from an earlier run
    (case_dir / "inputs").mkdir(parents=True)

    model = build_model(spec, size, input_shape, args.seed)
    example = make_input(spec, input_shape, args.seed)
    np.save(case_dir / "inputs" / f"{file_name(spec.input_name)}.npy", example.numpy())

    magnitude = "no reference"
    output_shape = None
    if not args.no_reference:
        with torch.no_grad():
            output = model(example)
        if not torch.isfinite(output).all():
            raise RuntimeError(f"{name}: the reference output is not finite")
        output_shape = tuple(output.shape)
        magnitude = f"max|{spec.output_name}| {output.abs().max().item():.4g}"
        (case_dir / "expected").mkdir()
        np.save(case_dir / "expected" / f"{file_name(spec.output_name)}.npy", output.numpy())
    prepared = time.perf_counter()

    model_path = case_dir / "model.onnx"
    export_onnx(model, example, spec, model_path, args.opset)
    exported = time.perf_counter()
    check_onnx(model_path, input_shape, output_shape)

    note = "; ".join([f"{name} with seeded random weights"]
                     + ["BatchNorm statistics calibrated on random images"] * bool(batch_norms(model))
                     + [small_input_note(name) if args.size == "small" else "the model's real input size"])
    case = {
        "name": name,
        "size": args.size,
        "reference": None if args.no_reference else "torch",
        "tolerance": TOLERANCE,
        "opset": args.opset,
        "seed": args.seed,
        "inputs": {spec.input_name: {"shape": list(input_shape), "dtype": str(example.dtype).removeprefix("torch.")}},
        "outputs": [spec.output_name],
        "note": note,
    }
    (case_dir / "case.json").write_text(json.dumps(case, indent=2) + "\n")

    end = time.perf_counter()
    megabytes = model_path.stat().st_size / 1e6
    return (f"{name:16} {args.size} input {list(input_shape)}  {megabytes:6.1f} MB  {magnitude}  "
            f"build+reference {prepared - start:.1f}s, export {exported - prepared:.1f}s, "
            f"check {end - exported:.1f}s, total {end - start:.1f}s")


def list_models() -> None:
    for name, spec in MODELS.items():
        full, small = spec.input_shape(spec.full_size, 1), spec.input_shape(spec.small_size, 1)
        print(f"{name:16} {spec.input_name:9} full {list(full)!s:18} small {list(small)!s:18} -> {spec.output_name}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", choices=[*MODELS, "all"],
                        help="model to export (repeatable; default: all)")
    parser.add_argument("--size", choices=["small", "full"], default="small")
    parser.add_argument("--out", type=Path, help="output folder (required unless --list); OUT/<model>/ is replaced")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset, 13..17 (default: 17)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=1, help="batch size (default: 1)")
    parser.add_argument("--no-reference", action="store_true", help="skip the expected outputs")
    parser.add_argument("--list", action="store_true", help="print the models and their input sizes")
    args = parser.parse_args()
    if args.out is None and not args.list:
        parser.error("--out is required")
    if not 13 <= args.opset <= 17:
        parser.error("--opset must be between 13 and 17")
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    if args.list:
        list_models()
        return 0
    names = list(MODELS) if not args.model or "all" in args.model else list(dict.fromkeys(args.model))
    # The TorchScript exporter's tracer warnings are about dynamic shapes, which these static exports do not have.
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    for name in names:
        print(export_case(name, args), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
