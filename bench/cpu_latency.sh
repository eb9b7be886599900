#!/usr/bin/env bash
# Benchmark: CPU latency of one model (default ResNet-50, 1x3x224x224) in `missile run --backend cpu` and in
# PyTorch eager on the same machine, same weights and input. Writes docs/results/cpu-latency-<model>.{md,json}.
# Usage: bench/cpu_latency.sh [MODEL]   (build first: scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-resnet50}
REPEAT=${REPEAT:-20}
ZOO=out/zoo-full
BUILD_DIR=${BUILD_DIR:-build}
[ -f "$ZOO/$MODEL/model.onnx" ] || /usr/bin/python3 scripts/zoo/export_models.py --model "$MODEL" --size full --out "$ZOO"
mkdir -p out/bench docs/results
input_args=()
for name in $(/usr/bin/python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["inputs"]))' \
    "$ZOO/$MODEL/case.json"); do
  input_args+=(--input "$name=$ZOO/$MODEL/inputs/$name.npy")
done
"$BUILD_DIR/missile" run "$ZOO/$MODEL/model.onnx" --backend cpu "${input_args[@]}" --warmup 3 --repeat "$REPEAT" \
  --json out/bench/missile-cpu-$MODEL.json
threads=$(nproc)
/usr/bin/python3 bench/torch_cpu_latency.py --model "$MODEL" --case "$ZOO/$MODEL" --threads "$threads" \
  --repeat "$REPEAT" > out/bench/torch-cpu-$MODEL.json
/usr/bin/python3 - "$MODEL" "$threads" <<'PY'
import datetime, json, os, subprocess, sys
model, threads = sys.argv[1], sys.argv[2]
missile = json.load(open(f"out/bench/missile-cpu-{model}.json"))
torch = json.load(open(f"out/bench/torch-cpu-{model}.json"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
ratio = missile["p50_ms"] / torch["p50_ms"]
load = os.getloadavg()[0]
result = {"model": model, "date": datetime.date.today().isoformat(), "machine": f"{cpu}, {threads} threads",
          "commit": commit, "command": f"bench/cpu_latency.sh {model}", "load_average_1min": load,
          "missile_p50_ms": missile["p50_ms"], "torch_p50_ms": torch["p50_ms"], "torch_version": torch["torch"],
          "missile_over_torch": ratio, "missile_latency_ms": missile["latency_ms"], "torch_latency_ms": torch["latency_ms"]}
json.dump(result, open(f"docs/results/cpu-latency-{model}.json", "w"), indent=2)
open(f"docs/results/cpu-latency-{model}.md", "w").write(f"""# CPU latency: {model}, batch 1, fp32

| | p50 (ms) |
| --- | --- |
| missile run --backend cpu | {missile['p50_ms']:.1f} |
| PyTorch {torch['torch']} eager | {torch['p50_ms']:.1f} |
| missile / PyTorch | {ratio:.2f}x |

- Command: `bench/cpu_latency.sh {model}` ({len(missile['latency_ms'])} timed runs after 3 warm-up runs, each side)
- Machine: {cpu}, {threads} threads; 1-minute load average {load:.2f} at the end; commit {commit}; date {result['date']}
- Same ONNX-exported weights (seeded) and the same input on both sides; PyTorch runs the torch module it was
  exported from.
""")
print(open(f"docs/results/cpu-latency-{model}.md").read())
PY
