#!/usr/bin/env python3
"""Scale a kernel profile's durations by one factor: a crude calibration of a synthesized profile to a request
time measured on the GPU, so the simulator runs the scenario at the GPU's utilisation (docs/results/
colocation-h200-2026-11-26.md). Bytes stay, so memory intensity (achieved bandwidth over streaming bandwidth)
falls by the same factor. The result says so in its source and notes.

    scale_profile.py IN.json OUT.json --factor F --why "TEXT"
"""
import argparse
import json
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--factor", type=float, required=True, help="every duration is multiplied by this (> 0)")
    parser.add_argument("--why", required=True, help="what the factor was fitted to (goes into the notes)")
    args = parser.parse_args()
    if not args.factor > 0:
        parser.error("--factor must be > 0")
    with open(args.input) as f:
        profile = json.load(f)
    for kernel in profile["kernels"]:
        kernel["duration_us"] = [d * args.factor for d in kernel["duration_us"]]
        kernel["memory_intensity"] = min(1.0, kernel["memory_intensity"] / args.factor)
    profile["source"] = f"{profile['source']} scaled x{args.factor:.3g}"
    profile.setdefault("notes", []).append(
        f"durations scaled x{args.factor:.4g} and memory intensity divided by it: {args.why}")
    with open(args.output, "w") as f:
        json.dump(profile, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
