#!/usr/bin/env python3
"""Where a model's fp16 error comes from: block-by-block outputs of Missile and PyTorch against fp32.

Runs on the device machine. The model (seeded weights, bench/gpu/export.py's input) is exported at batch 1 with
the outputs of its blocks added as graph outputs: the last Concat of every Inception block, the stem's ReLUs and
max-pools (any node whose name is /<module>/<Op> for a top-level module). Missile runs it in fp16 and in fp32
without TF32; PyTorch runs the same blocks (forward hooks) in fp16 and in fp32 without TF32. For every block it
prints the project's error metric (max|a - b| / max|b|) of
    missile fp16 vs torch fp32,  torch fp16 vs torch fp32,  missile fp16 vs torch fp16,  missile fp32 vs torch fp32
so a block where Missile's fp16 drifts from the fp32 truth faster than PyTorch's does stands out.
    python3 bench/gpu/layer_errors.py --missile BIN/missile --model inception_v3 --out OUT/layer-errors.json
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts" / "zoo"))
import export_models as zoo  # noqa: E402

SEED = 0


def relative_error(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return float("inf")
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-6))


def block_outputs(model_proto, modules):
    """{value name: module name}: for each top-level module, the output of its last node of a chosen kind."""
    chosen = {}
    for n in model_proto.graph.node:
        match = re.fullmatch(r"/([A-Za-z0-9_]+)/(Concat|Relu|MaxPool)(_\d+)?", n.name)
        if match and match.group(1) in modules:
            chosen[match.group(1)] = n.output[0]  # later nodes of the module replace earlier ones
    return {value: module for module, value in chosen.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--missile", required=True)
    parser.add_argument("--model", default="inception_v3")
    parser.add_argument("--out", type=pathlib.Path, required=True, help="JSON report")
    args = parser.parse_args()

    spec = zoo.MODELS[args.model]
    shape1 = spec.input_shape(spec.full_size, 1)
    model = zoo.build_model(spec, spec.full_size, shape1, SEED)
    x1 = zoo.make_input(spec, shape1, SEED)
    modules = dict(model.named_children())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        zoo.export_onnx(model, x1, spec, tmp / "plain.onnx", 17)
        proto = onnx.load(str(tmp / "plain.onnx"))
        blocks = block_outputs(proto, modules)
        proto.graph.output.extend(onnx.helper.make_tensor_value_info(v, onnx.TensorProto.FLOAT, None) for v in blocks)
        proto = onnx.shape_inference.infer_shapes(proto)
        onnx.save(proto, str(tmp / "blocks.onnx"))
        np.save(tmp / "x.npy", x1.numpy())

        missile = {}
        for precision, extra in (("fp16", []), ("fp32", ["--no-tf32"])):
            out = tmp / precision
            run = subprocess.run([args.missile, "run", str(tmp / "blocks.onnx"), "--backend", "cuda", "--precision",
                                  precision, "--input", f"{spec.input_name}={tmp / 'x.npy'}", "--output-dir", str(out)]
                                 + extra, capture_output=True, text=True)
            if run.returncode != 0:
                print(run.stderr, file=sys.stderr)
                return 1
            missile[precision] = {v: np.load(out / (re.sub(r"[^A-Za-z0-9._-]", "_", v) + ".npy")) for v in blocks}
            missile[precision]["(output)"] = np.load(out / (re.sub(r"[^A-Za-z0-9._-]", "_", spec.output_name) + ".npy"))

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    reference = {}
    for precision in ("fp32", "fp16"):
        net = model.cuda().half() if precision == "fp16" else model.cuda().float()
        captured = {}
        hooks = [modules[m].register_forward_hook(lambda _m, _i, o, v=v: captured.__setitem__(v, o.float().cpu().numpy()))
                 for v, m in blocks.items()]
        with torch.inference_mode():
            x = x1.cuda().half() if precision == "fp16" else x1.cuda()
            captured["(output)"] = net(x).float().cpu().numpy()
        for h in hooks:
            h.remove()
        reference[precision] = captured

    rows = []
    order = [v for v in blocks] + ["(output)"]
    print(f"{'block':16} {'missile16/torch32':>18} {'torch16/torch32':>16} {'missile16/torch16':>18} {'missile32/torch32':>18}")
    for v in order:
        name = blocks.get(v, "(output)")
        row = {"block": name, "value": v,
               "missile_fp16_vs_torch_fp32": relative_error(missile["fp16"][v], reference["fp32"][v]),
               "torch_fp16_vs_torch_fp32": relative_error(reference["fp16"][v], reference["fp32"][v]),
               "missile_fp16_vs_torch_fp16": relative_error(missile["fp16"][v], reference["fp16"][v]),
               "missile_fp32_vs_torch_fp32": relative_error(missile["fp32"][v], reference["fp32"][v])}
        rows.append(row)
        print(f"{name:16} {row['missile_fp16_vs_torch_fp32']:18.3e} {row['torch_fp16_vs_torch_fp32']:16.3e} "
              f"{row['missile_fp16_vs_torch_fp16']:18.3e} {row['missile_fp32_vs_torch_fp32']:18.3e}", flush=True)
    args.out.write_text(json.dumps({"model": args.model, "blocks": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
