#!/usr/bin/env python3
"""Summarises MISSILE_CUDNN_VERBOSE=1 output (ops/cuda/conv_graph_tuning.cpp) as JSON: where a model's
convolution autotuning spent its host time, and how much of it went to runtime-compiled ("+rtc") engines.

    python3 bench/gpu/tuning_log.py stderr.log [--label NAME] [--into summary.json]
"""
import argparse
import json
import pathlib
import re

SHAPE = re.compile(r"^cudnn graph: (?P<key>.*): tuned in (?P<tuned>[\d.]+) ms \(heuristics (?P<heur>[\d.]+) ms, "
                   r"(?P<failed>\d+) failed finalizes (?P<failed_ms>[\d.]+) ms\)$")
DROPPED = re.compile(r"^cudnn graph: \S+: (?P<name>\S+) dropped: (?P<why>.*)$")
PLAN = re.compile(r"^  (?P<best>[* ]) (?:bare |fused) (?P<name>\S+) (?:failed )?(?P<run>[\d.naninf]+) ms ws=\d+ "
                  r"finalize (?P<finalize>[\d.]+) ms$")


def summarise(text: str) -> dict:
    shapes, dropped = [], []
    for line in text.splitlines():
        if m := DROPPED.match(line):
            dropped.append({"name": m["name"], "why": m["why"]})
        if m := SHAPE.match(line):
            shapes.append({"key": m["key"], "tuned_ms": float(m["tuned"]), "heuristics_ms": float(m["heur"]),
                           "failed_finalizes": int(m["failed"]), "failed_finalize_ms": float(m["failed_ms"]),
                           "plans": []})
        elif (m := PLAN.match(line)) and shapes:
            shapes[-1]["plans"].append({"name": m["name"], "best": m["best"] == "*",
                                        "finalize_ms": float(m["finalize"]), "rtc": m["name"].endswith("+rtc")})
    plans = [p for s in shapes for p in s["plans"]]
    return {
        "shapes": len(shapes),
        "tuned_ms": sum(s["tuned_ms"] for s in shapes),
        "heuristics_ms": sum(s["heuristics_ms"] for s in shapes),
        "failed_finalize_ms": sum(s["failed_finalize_ms"] for s in shapes),
        "failed_finalizes": sum(s["failed_finalizes"] for s in shapes),
        "plans": len(plans),
        "rtc_plans": sum(p["rtc"] for p in plans),
        "finalize_ms": sum(p["finalize_ms"] for p in plans),
        "rtc_finalize_ms": sum(p["finalize_ms"] for p in plans if p["rtc"]),
        "rtc_winners": sum(p["rtc"] and p["best"] for p in plans),
        "dropped": dropped,  # winners of the timing whose numbers failed the check
        "slowest_shapes": sorted(({"key": s["key"], "tuned_ms": s["tuned_ms"]} for s in shapes),
                                 key=lambda s: -s["tuned_ms"])[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("log", type=pathlib.Path)
    parser.add_argument("--label", help="the key under which --into stores this summary")
    parser.add_argument("--into", type=pathlib.Path, help="a JSON object file to add this summary to")
    args = parser.parse_args()
    summary = summarise(args.log.read_text(errors="replace"))
    if args.into:
        merged = json.loads(args.into.read_text()) if args.into.exists() else {}
        merged[args.label or str(args.log)] = summary
        args.into.write_text(json.dumps(merged, indent=2))
    print(json.dumps({k: (len(v) if k == "dropped" else v) for k, v in summary.items() if k != "slowest_shapes"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
