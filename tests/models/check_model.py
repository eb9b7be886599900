#!/usr/bin/env python3
"""Runs one exported model case through `missile run` and compares its outputs with PyTorch's.

The comparison is done here, in numpy, so it shares no code with the engine under test. The error metric is the
project's (docs/test-cases.md): max|missile - torch| / max|torch| per output, against the case's tolerance.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np


def npy_name(tensor_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", tensor_name) + ".npy"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--missile", required=True, help="path to the missile binary")
    parser.add_argument("--case", required=True, help="case folder (model.onnx, inputs/, expected/, case.json)")
    parser.add_argument("--tolerance", type=float, help="override the case's tolerance")
    parser.add_argument("--json", help="also write the per-output errors to this file")
    args = parser.parse_args()

    case = pathlib.Path(args.case)
    meta = json.loads((case / "case.json").read_text())
    tolerance = args.tolerance if args.tolerance is not None else meta["tolerance"]
    with tempfile.TemporaryDirectory() as out:
        command = [args.missile, "run", str(case / "model.onnx"), "--backend", "cpu", "--output-dir", out]
        for name in meta["inputs"]:
            command += ["--input", f"{name}={case / 'inputs' / npy_name(name)}"]
        run = subprocess.run(command, capture_output=True, text=True)
        print(run.stdout, end="")
        if run.returncode != 0:
            print(f"missile run failed ({run.returncode}): {run.stderr}", file=sys.stderr)
            return 1
        worst = 0.0
        errors = {}
        for name in meta["outputs"]:
            got = np.load(pathlib.Path(out) / npy_name(name))
            want = np.load(case / "expected" / npy_name(name))
            if got.shape != want.shape or got.dtype != want.dtype:
                print(f"{name}: got {got.dtype}{list(got.shape)}, want {want.dtype}{list(want.shape)}", file=sys.stderr)
                return 1
            error = float(np.max(np.abs(got.astype(np.float64) - want)) / max(float(np.max(np.abs(want))), 1e-6))
            print(f"{meta['name']}: output {name} {list(got.shape)} max relative error {error:.3e} "
                  f"(tolerance {tolerance:.0e})")
            worst = max(worst, error)
            errors[name] = error
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(
                {"model": meta["name"], "size": meta["size"], "opset": meta["opset"], "tolerance": tolerance,
                 "inputs": meta["inputs"], "max_relative_error": errors, "passed": worst <= tolerance}, indent=2))
        return 0 if worst <= tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
