#!/usr/bin/env python3
"""Exports evaluation models for the GPU scripts: WORK/<model>/model.onnx (dynamic batch), x1.npy and x32.npy.

The same seeded weights and inputs as bench/gpu/models.py, which calls export_model() too; a model already
exported under WORK is kept (--force to redo it), so one device run exports each model once.
    python3 bench/gpu/export.py --models vit_b_16 bert_base --work /tmp/missile-models
"""
import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts" / "zoo"))
import export_models as zoo  # noqa: E402

SEED = 0


def export_model(name: str, work: pathlib.Path, force: bool = False):
    """Returns (model, x1, x32, seconds spent exporting); the torch tensors are rebuilt every time."""
    started = time.perf_counter()
    spec = zoo.MODELS[name]
    work.mkdir(parents=True, exist_ok=True)
    shape1 = spec.input_shape(spec.full_size, 1)
    model = zoo.build_model(spec, spec.full_size, shape1, SEED)
    x1 = zoo.make_input(spec, shape1, SEED)
    x32 = zoo.make_input(spec, spec.input_shape(spec.full_size, 32), SEED + 1)
    onnx_path = work / "model.onnx"
    if force or not onnx_path.exists():
        zoo.export_onnx(model, x1, spec, onnx_path, 17, dynamic_batch=True)
        np.save(work / "x1.npy", x1.numpy())
        np.save(work / "x32.npy", x32.numpy())
    return model, x1, x32, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="*", default=list(zoo.MODELS))
    parser.add_argument("--work", type=pathlib.Path, default=pathlib.Path("/tmp/missile-models"))
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    for name in args.models:
        seconds = export_model(name, args.work / name, args.force)[3]
        print(f"{name:16} exported in {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
