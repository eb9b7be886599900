#!/usr/bin/env bash
# Where models' load time goes in cuDNN convolution autotuning (docs/results/conv-load-time-h200-2026-11-26.md).
# Two phases, each skipped when its variable is empty:
#   MODELS       for each MODEL x PRECISION x BATCH, one `missile run --cuda-graph` with and one without cuDNN's
#                runtime-compiled engines (MISSILE_CUDNN_RUNTIME_COMPILATION=1/0): load time, p50, whether the
#                outputs are finite, and the tuning log summarised by bench/gpu/tuning_log.py (plans that won
#                the timing and failed the numbers check among it)    -> $OUT/load-time.log, $OUT/load-time.json
#   PLAN_CACHE   for each MODEL:PRECISION:BATCH, two processes with MISSILE_CUDNN_PLAN_CACHE on a fresh file:
#                the first tunes and stores, the second must restore every shape, load faster and give the
#                same, finite outputs (a line "plan cache check: ok|FAILED" each)              -> $OUT/plan-cache.log
# Device command (docs/device.md):
#   export MISSILE_PACK=$PWD/.deps/device.tar.xz; mkdir -p /tmp/t; tar -C /tmp/t -xJf $MISSILE_PACK ./tree;
#   cd /tmp/t/tree && MODELS="efficientnet_b0 resnet50" PLAN_CACHE="efficientnet_b0:fp16:1" bash scripts/device/conv_load_time.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/device/env.sh
mkdir -p "$OUT"
WORK=/tmp/missile-models
MODELS=${MODELS-efficientnet_b0 mobilenet_v2 resnet50}
PRECISIONS=${PRECISIONS:-fp32 fp16}
BATCHES=${BATCHES:-1 32}
PLAN_CACHE=${PLAN_CACHE:-}
input_name() {
  python3 -c "import sys; sys.path.insert(0, 'scripts/zoo'); import export_models as z; print(z.MODELS['$1'].input_name)"
}
run_model() {  # model precision batch out_dir: one `missile run --cuda-graph`, stdout in /tmp/run.out
  "$MISSILE_BIN/missile" run "$WORK/$1/model.onnx" --backend cuda --precision "$2" --cuda-graph \
    --input "$(input_name "$1")=$WORK/$1/x$3.npy" --warmup 10 --repeat 50 ${4:+--output-dir "$4"} >/tmp/run.out
}
exported=$(for entry in $PLAN_CACHE; do echo "${entry%%:*}"; done; echo $MODELS)
python3 bench/gpu/export.py --models $(echo $exported | tr ' ' '\n' | sort -u) --work "$WORK" 2>&1 | grep -v Warning

for model in $MODELS; do
  for precision in $PRECISIONS; do
    for batch in $BATCHES; do
      for rtc in 1 0; do
        label="$model $precision batch $batch rtc=$rtc"
        rm -rf /tmp/load-out
        MISSILE_CUDNN_VERBOSE=1 MISSILE_CUDNN_RUNTIME_COMPILATION=$rtc run_model "$model" "$precision" "$batch" \
          /tmp/load-out 2>/tmp/tuning.log
        finite=$(python3 -c "import glob, numpy as np; files = glob.glob('/tmp/load-out/*.npy'); print(bool(files) and all(np.isfinite(np.load(f)).all() for f in files))")
        echo "$label: $(grep -oE 'loaded in [0-9]+ ms' /tmp/run.out), $(grep -E '^latency' /tmp/run.out), outputs finite: $finite"
        python3 bench/gpu/tuning_log.py /tmp/tuning.log --label "$label" --into "$OUT/load-time.json"
      done
    done
  done
done 2>&1 | tee "$OUT/load-time.log"

for entry in $PLAN_CACHE; do
  IFS=: read -r model precision batch <<<"$entry"
  plans=/tmp/plan-cache.json
  rm -rf "$plans" /tmp/plan-out-*
  for pass in tune restore; do
    MISSILE_CUDNN_PLAN_CACHE=$plans MISSILE_CUDNN_VERBOSE=1 run_model "$model" "$precision" "$batch" \
      "/tmp/plan-out-$pass" 2>/tmp/plan-$pass.log
    echo "$model $precision batch $batch, $pass: $(grep -oE 'loaded in [0-9]+ ms' /tmp/run.out)," \
      "$(grep -E '^latency' /tmp/run.out); shapes tuned $(grep -c ': tuned in ' /tmp/plan-$pass.log)," \
      "restored $(grep -c " from $plans" /tmp/plan-$pass.log), stale $(grep -c 'no longer applies' /tmp/plan-$pass.log)"
  done
  python3 - "$plans" <<'PY'
import json, pathlib, re, sys
import numpy as np
# The winners the first process timed (the starred plan of each shape) against what the second one restored.
winners, key = {}, None
for line in pathlib.Path("/tmp/plan-tune.log").read_text().splitlines():
    if m := re.match(r"cudnn graph: (\S+): tuned in ", line):
        key = m[1]
    elif key and (m := re.match(r"  \* (?:bare |fused) (\S+) ", line)):
        winners[key] = m[1]
restored = dict(re.findall(r"^cudnn graph: (\S+): (\S+) from " + re.escape(sys.argv[1]) + "$",
                           pathlib.Path("/tmp/plan-restore.log").read_text(), re.M))
problems = []
if len(json.loads(pathlib.Path(sys.argv[1]).read_text())["plans"]) != len(winners):
    problems.append(f"the file holds {len(json.loads(pathlib.Path(sys.argv[1]).read_text())['plans'])} plans for {len(winners)} tuned shapes")
if restored != winners:
    problems.append(f"{sum(restored.get(k) != v for k, v in winners.items())} of {len(winners)} shapes not restored to their winner")
for first in sorted(pathlib.Path("/tmp/plan-out-tune").glob("*.npy")):
    a, b = np.load(first).astype(np.float64), np.load(pathlib.Path("/tmp/plan-out-restore") / first.name).astype(np.float64)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        problems.append(f"{first.name} is not finite ({int((~np.isfinite(a)).sum())} and {int((~np.isfinite(b)).sum())} values)")
        continue
    diff = float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-30))
    print(f"  output {first.name}: max |tuned - restored| / max |tuned| = {diff:.3g}")
    if diff > 1e-3:
        problems.append(f"{first.name} differs by {diff:.3g}")
print(f"plan cache check ({len(winners)} shapes): " + ("ok" if not problems else "FAILED: " + "; ".join(problems)))
PY
done 2>&1 | tee "$OUT/plan-cache.log"
