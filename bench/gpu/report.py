#!/usr/bin/env python3
"""Turns bench/gpu/models.py summaries (JSON) into the markdown tables of docs/results/cuda-models-*.md."""
import argparse
import json
import pathlib


def fmt(value, digits=3):
    return "–" if value is None else f"{value:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("summaries", nargs="+", type=pathlib.Path)
    args = parser.parse_args()
    models = {}
    for path in args.summaries:
        models.update(json.loads(path.read_text())["models"])

    print("### Accuracy: Missile's batch-1 output against PyTorch's on the GPU (max|diff| / max|ref|)\n")
    print("Against the fp32 truth (PyTorch without TF32): each engine's TF32 and fp16 output. PyTorch against "
          "itself: the same image as the first of a batch of 8 (other kernels) against its batch-1 output.\n")
    print("| model | fp32, TF32 both sides (goal ≤ 1e-3) | fp32 without TF32, both sides "
          "| Missile TF32 vs truth | PyTorch TF32 vs truth | PyTorch TF32 vs itself "
          "| fp16 (goal ≤ 1e-2) | Missile fp16 vs truth | PyTorch fp16 vs truth | PyTorch fp16 vs itself |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")

    def sci(value):
        return "–" if value is None else f"{value:.2e}"

    for name, entry in models.items():
        strict = entry.get("fp32_without_tf32", {})
        cells = []
        for key, tolerance in (("fp32", 1e-3), ("fp16", 1e-2)):
            error = entry[key]["max_relative_error"]
            cells.append("error" if error is None else f"{error:.2e}{'' if error <= tolerance else ' (over)'}")
        print(f"| {name} | {cells[0]} | {sci(strict.get('max_relative_error'))} | "
              f"{sci(strict.get('missile_tf32_vs_torch_fp32'))} | {sci(strict.get('torch_tf32_vs_torch_fp32'))} | "
              f"{sci(strict.get('torch_tf32_batched_vs_torch_tf32'))} | {cells[1]} | "
              f"{sci(strict.get('missile_fp16_vs_torch_fp32'))} | {sci(strict.get('torch_fp16_vs_torch_fp32'))} | "
              f"{sci(strict.get('torch_fp16_batched_vs_torch_fp16'))} |")

    print("\n### Speed: per request, host tensor in to host tensor out\n")
    print("| model | precision | missile kernels p50/p99 ms | missile graph p50/p99 ms | torch eager p50/p99 ms "
          "| torch graph p50/p99 ms | graph ≤ eager | graph / torch graph (goal ≤ 1.2) "
          "| bs32 img/s missile kernels / graph | bs32 img/s torch eager / graph | best missile / torch eager (goal ≥ 0.9) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, entry in models.items():
        for precision in ("fp32", "fp16"):
            m = entry[precision]["missile"]
            t = entry[precision]["torch"]
            k, g = m.get("kernels", {}), m.get("graph", {})
            te, tg = t["eager"], t["graph"]
            ratio = g["batch1_p50_ms"] / tg["batch1_p50_ms"]
            best = max(k.get("batch32_items_per_s", 0), g.get("batch32_items_per_s", 0))
            throughput = best / te["batch32_items_per_s"]
            print(f"| {name} | {precision} | {fmt(k.get('batch1_p50_ms'))} / {fmt(k.get('batch1_p99_ms'))} | "
                  f"{fmt(g.get('batch1_p50_ms'))} / {fmt(g.get('batch1_p99_ms'))} | "
                  f"{fmt(te['batch1_p50_ms'])} / {fmt(te['batch1_p99_ms'])} | "
                  f"{fmt(tg['batch1_p50_ms'])} / {fmt(tg['batch1_p99_ms'])} | "
                  f"{'yes' if g['batch1_p50_ms'] <= te['batch1_p50_ms'] else 'no'} | "
                  f"{ratio:.2f}{'' if ratio <= 1.2 else ' (missed)'} | "
                  f"{fmt(k.get('batch32_items_per_s'), 0)} / {fmt(g.get('batch32_items_per_s'), 0)} | "
                  f"{fmt(te['batch32_items_per_s'], 0)} / {fmt(tg['batch32_items_per_s'], 0)} | "
                  f"{throughput:.2f}{'' if throughput >= 0.9 else ' (missed)'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
