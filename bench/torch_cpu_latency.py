#!/usr/bin/env python3
"""Times one zoo model in PyTorch eager on the CPU: the peer number for `missile run --backend cpu`.

It rebuilds the model from scripts/zoo/export_models.py with the same seed, so both sides run the same weights on
the same input, and prints JSON with the latencies.
"""
import argparse
import json
import pathlib
import statistics
import sys
import time

import numpy as np
import torch  # before export_models, which pins its own math libraries to one thread for determinism

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts" / "zoo"))
import export_models  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--case", required=True, help="exported case folder: its inputs are reused")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    case = pathlib.Path(args.case)
    meta = json.loads((case / "case.json").read_text())
    inputs = [torch.from_numpy(np.load(case / "inputs" / f"{name}.npy")) for name in meta["inputs"]]
    spec = export_models.MODELS[args.model]
    size = spec.full_size if meta["size"] == "full" else spec.small_size
    module = export_models.build_model(spec, size, tuple(inputs[0].shape), meta["seed"])
    latencies = []
    with torch.no_grad():
        for i in range(args.warmup + args.repeat):
            start = time.perf_counter()
            module(*inputs)
            elapsed = (time.perf_counter() - start) * 1000
            if i >= args.warmup:
                latencies.append(elapsed)
    print(json.dumps({"model": args.model, "torch": torch.__version__, "threads": args.threads,
                      "latency_ms": latencies, "p50_ms": statistics.median(latencies)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
