#!/usr/bin/env python3
"""Compare a measured kernel profile with the synthesized one of the same model: kernel count, time alone on
every partition size, per-kernel ratios, memory intensity and memory-bound kernels. Prints Markdown.

Usage: scripts/sched/compare_profiles.py SYNTHESIZED.json MEASURED.json [--json OUT.json]
"""
import argparse
import json
import statistics
import sys


def load(path):
    with open(path) as f:
        profile = json.load(f)
    if profile.get("format") != "missile-kernel-profile/1":
        sys.exit(f"{path}: not a missile kernel profile")
    return profile


def total(profile, g):
    return sum(k["duration_us"][g - 1] for k in profile["kernels"])


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


def summary(profile):
    kernels = profile["kernels"]
    groups = len(profile["partition_sms"])
    intensity = [k["memory_intensity"] for k in kernels]
    return {
        "source": profile["source"],
        "kernels": len(kernels),
        "memory_bound": sum(1 for k in kernels if k["memory_bound"]),
        "total_us_by_groups": [round(total(profile, g), 3) for g in range(1, groups + 1)],
        "speedup_whole_vs_one_group": round(total(profile, 1) / total(profile, groups), 3),
        "memory_intensity_median": round(statistics.median(intensity), 4),
        "memory_intensity_max": round(max(intensity), 4),
    }


def compare(synth, measured):
    groups = len(measured["partition_sms"])
    out = {"synthesized": summary(synth), "measured": summary(measured)}
    same_plan = [k["name"] for k in synth["kernels"]] == [k["name"] for k in measured["kernels"]]
    out["same_kernels"] = same_plan
    if same_plan:
        ratios = [m["duration_us"][groups - 1] / s["duration_us"][groups - 1]
                  for s, m in zip(synth["kernels"], measured["kernels"])]
        out["ratio_measured_over_synthesized_whole_gpu"] = {
            "p10": round(quantile(ratios, 0.1), 3), "median": round(statistics.median(ratios), 3),
            "p90": round(quantile(ratios, 0.9), 3), "max": round(max(ratios), 3)}
        flips = sum(1 for s, m in zip(synth["kernels"], measured["kernels"]) if s["memory_bound"] != m["memory_bound"])
        out["memory_bound_disagreements"] = flips
        by_op = {}
        for s, m in zip(synth["kernels"], measured["kernels"]):
            entry = by_op.setdefault(m["op"], [0, 0.0, 0.0])
            entry[0] += 1
            entry[1] += s["duration_us"][groups - 1]
            entry[2] += m["duration_us"][groups - 1]
        out["by_op_whole_gpu_us"] = {op: {"kernels": n, "synthesized": round(a, 2), "measured": round(b, 2)}
                                     for op, (n, a, b) in sorted(by_op.items(), key=lambda x: -x[1][2])}
    return out


def markdown(name, result):
    s, m = result["synthesized"], result["measured"]
    groups = len(m["total_us_by_groups"])
    lines = [f"### {name}", "",
             "| | synthesized | measured |", "| --- | --- | --- |",
             f"| kernels (memory-bound) | {s['kernels']} ({s['memory_bound']}) | {m['kernels']} ({m['memory_bound']}) |",
             f"| alone on the whole GPU | {s['total_us_by_groups'][-1] / 1e3:.3f} ms | {m['total_us_by_groups'][-1] / 1e3:.3f} ms |",
             f"| alone on 1 group (8 SMs) | {s['total_us_by_groups'][0] / 1e3:.3f} ms | {m['total_us_by_groups'][0] / 1e3:.3f} ms |",
             f"| whole GPU vs 1 group | {s['speedup_whole_vs_one_group']:.2f}x | {m['speedup_whole_vs_one_group']:.2f}x |",
             f"| memory intensity median / max | {s['memory_intensity_median']} / {s['memory_intensity_max']} | "
             f"{m['memory_intensity_median']} / {m['memory_intensity_max']} |", ""]
    if result["same_kernels"]:
        r = result["ratio_measured_over_synthesized_whole_gpu"]
        lines += [f"Per kernel on the whole GPU, measured / synthesized: p10 {r['p10']}, median {r['median']}, "
                  f"p90 {r['p90']}, max {r['max']}; memory-bound flag differs on {result['memory_bound_disagreements']} "
                  "kernels.", "", "| op | kernels | synthesized (us, whole GPU) | measured |", "| --- | --- | --- | --- |"]
        for op, v in result["by_op_whole_gpu_us"].items():
            lines.append(f"| {op} | {v['kernels']} | {v['synthesized']} | {v['measured']} |")
        lines.append("")
    lines += ["Time alone by partition size (ms):", "",
              "| groups | " + " | ".join(str(g) for g in range(1, groups + 1)) + " |",
              "| --- |" + " --- |" * groups,
              "| synthesized | " + " | ".join(f"{v / 1e3:.3f}" for v in s["total_us_by_groups"]) + " |",
              "| measured | " + " | ".join(f"{v / 1e3:.3f}" for v in m["total_us_by_groups"]) + " |", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("synthesized")
    parser.add_argument("measured")
    parser.add_argument("--json", help="also write the comparison as JSON here")
    args = parser.parse_args()
    synth, measured = load(args.synthesized), load(args.measured)
    result = compare(synth, measured)
    name = f"{measured['model']} batch {measured['batch']} {measured['precision']}"
    print(markdown(name, result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
