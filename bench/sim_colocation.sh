#!/usr/bin/env bash
# The colocation scenario of issue 4 in the simulator (acceptance 2): ResNet-50 bs1 fp16 LS (Poisson) beside
# ResNet-152 bs32 fp16 BE (closed loop), each of the six policies against both alone, from the profiles measured
# on the H200 (data/profiles/measured), resampled to the driver's 15-group split, launched as on the GPU (LS
# requests whole, BE two steps at a time, 9 us per launch; bench/sched/colocation_bench.cpp). Writes
# docs/results/sim-colocation.{md,json}.
# Usage: bench/sim_colocation.sh [RATE] [SECONDS] [SEED]   (build first: scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-200}
SECONDS_SIMULATED=${2:-30}
SEED=${3:-1}
BUILD_DIR=${BUILD_DIR:-build}
mkdir -p out/bench docs/results
common=(--ls-profile data/profiles/measured/resnet50-bs1-fp16.json
        --be-profile data/profiles/measured/resnet152-bs32-fp16.json --groups 15 --ls-segment 0 --be-segment 2
        --launch-latency-us 9 --rate "$RATE" --seconds "$SECONDS_SIMULATED" --seed "$SEED" --json)
"$BUILD_DIR/missile" simulate "${common[@]}" --policy all --be-groups 0:all > out/bench/sim-colocation-all.json
# static with BE guaranteed one group (with none it gets no SMs), as on the GPU.
"$BUILD_DIR/missile" simulate "${common[@]}" --policy static --be-groups 1:all > out/bench/sim-colocation-static.json
# missile with BE guaranteed one group beside LS (docs/scheduling.md).
"$BUILD_DIR/missile" simulate "${common[@]}" --policy missile --be-groups 1:all > out/bench/sim-colocation-missile-min1.json
/usr/bin/python3 - "$RATE" "$SECONDS_SIMULATED" "$SEED" <<'PY'
import datetime, json, os, subprocess, sys
rate, seconds, seed = sys.argv[1:4]
main = json.load(open("out/bench/sim-colocation-all.json"))
static = json.load(open("out/bench/sim-colocation-static.json"))
min1 = json.load(open("out/bench/sim-colocation-missile-min1.json"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
date = datetime.date.today().isoformat()
command = f"bench/sim_colocation.sh {rate} {seconds} {seed}"
rows = [r for r in main["policies"] if r["policy"] != "static"]
rows.insert(3, dict(static["policies"][0], policy="static (BE 1 group)"))
rows.append(dict(min1["policies"][0], policy="missile (BE guaranteed 1 group)"))
json.dump({"date": date, "machine": cpu, "commit": commit, "command": command, "simulated": main,
           "static_be_min1": static, "missile_be_min1": min1}, open("docs/results/sim-colocation.json", "w"), indent=2)
ls, be = main["ls_alone"], main["be_alone"]
table = ["| setup | LS p50 (ms) | LS p99 (ms) | LS p99.9 (ms) | LS p99 vs alone | BE img/s | BE vs alone |",
         "| --- | --- | --- | --- | --- | --- | --- |",
         f"| LS alone | {ls['p50_ms']:.3f} | {ls['p99_ms']:.3f} | {ls['p999_ms']:.3f} | 1.00x | - | - |",
         f"| BE alone | - | - | - | - | {be['items_per_s']:.0f} | 1.00 |"]
for r in rows:
    table.append(f"| {r['policy']} | {r['ls']['p50_ms']:.3f} | {r['ls']['p99_ms']:.3f} | {r['ls']['p999_ms']:.3f} | "
                 f"{r['ls_p99_vs_alone']:.2f}x | {r['be']['items_per_s']:.0f} | {r['be_vs_alone']:.2f} |")
scenario = main["scenario"]
missile = next(r for r in main["policies"] if r["policy"] == "missile")
verdict = ("meets" if missile["ls_p99_vs_alone"] <= 1.10 and missile["be_vs_alone"] >= 0.70 else "misses")
open("docs/results/sim-colocation.md", "w").write(f"""# Colocation in the simulator: ResNet-50 bs1 LS beside ResNet-152 bs32 BE

Simulated, not measured. The discrete-event simulator (`src/sim`, docs/scheduling.md) runs the real compute
scheduler and policies against a modelled H200: SM groups, block-granular preemption, the DRAM contention curve,
modelled copy engines behind the PCIe transfer scheduler. The kernel profiles are the ones **measured on the H200**
(`data/profiles/measured/`, `missile profile --measure`, 2026-11-26), resampled to the driver's split of the SMs
(15 groups: 14 x 8 + 20). Launches as on the GPU: an LS request is one launch (a CUDA graph there), BE runs
{scenario['be_segment_steps']} steps per launch, and every launch costs {scenario['launch_latency_us']:g} us before its
first kernel starts (calibrated on the H200: BE alone in four-step launches kept 0.953 of its one-graph throughput,
docs/results/colocation-h200-2026-11-26.md). The comparison with the GPU is in that page.

- LS: {scenario['ls_profile']}, Poisson {float(rate):g} req/s, SM bounds 0..all groups
- BE: {scenario['be_profile']}, closed loop (one batch in flight), no SMs guaranteed beside LS (0..all groups)
  unless the row says otherwise
- {float(seconds):g} s of virtual time after a {scenario['warmup_seconds']:g} s warm-up, seed {seed}; missile budget
  {scenario['missile_slowdown_budget']:.0%}; PCIe copies modelled: {str(scenario['model_copies']).lower()}
- Latency runs from a request's arrival to its outputs on the host; "alone" is the tenant by itself on the whole GPU,
  each request one launch (same seed, so the same LS arrivals)

{chr(10).join(table)}

missile {verdict} acceptance 2 of issue 4 in this model (LS p99 <= 1.10x alone, BE >= 0.70 of alone):
{missile['ls_p99_vs_alone']:.2f}x and {missile['be_vs_alone']:.2f}.

What the model leaves out, so where it is kind: blocks of two kernels on one SM do not slow each other (the GPU
shares issue slots, L1 and L2 between them: `shared` and `priority` pay for that on the GPU, not here), a BE kernel
on disjoint SMs costs LS only DRAM bandwidth (no L2 or power), and the measured profiles time each step with an
event after it, which makes the LS request 0.94 ms of kernels where the whole request, copies and host included,
takes 0.714 ms at p50 as one CUDA graph on the H200.

- Command: `{command}` (`missile simulate ... --policy all` prints the same table)
- Machine: {cpu}, {os.cpu_count()} threads (the simulation is deterministic: any machine gives these numbers);
  commit {commit}; date {date}
- Every field, with drain counts per policy: `docs/results/sim-colocation.json`
""")
print(open("docs/results/sim-colocation.md").read())
PY
