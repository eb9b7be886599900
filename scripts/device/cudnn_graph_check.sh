#!/usr/bin/env bash
# The cuDNN graph-API convolutions on the GPU machine, in one run: gpu_check.sh (op cases and the models named
# in MODELS against PyTorch), then, for each model in COMPARE (default: the MODELS), the CUDA-graph p50 and load
# time of `missile run` with the graph API and with the legacy API (MISSILE_CUDNN_API), fp32 and fp16, and the
# per-shape autotuning log of the first of them (MISSILE_CUDNN_VERBOSE=1).
# Device command (from a worktree's pack, see docs/device.md):
#   export MISSILE_PACK=$PWD/.deps-NAME/device.tar.xz; mkdir -p /tmp/t; tar -C /tmp/t -xJf $MISSILE_PACK ./tree;
#   cd /tmp/t/tree && MODELS="resnet50" bash scripts/device/cudnn_graph_check.sh
# Env: as gpu_check.sh (MODELS, MODELS_ARGS, CASES_FILTER), plus COMPARE.
set -uo pipefail
cd "$(dirname "$0")/../.."
bash scripts/device/gpu_check.sh
source scripts/device/env.sh >/dev/null 2>&1 || true
export MISSILE_BIN=${MISSILE_BIN:-/tmp/missile-device/bin}
input_name() {
  python3 -c "import sys; sys.path.insert(0, 'scripts/zoo'); import export_models as z; print(z.MODELS['$1'].input_name)"
}
first=1
for model in ${COMPARE:-${MODELS:-}}; do
  onnx=/tmp/missile-models/$model/model.onnx
  [ -f "$onnx" ] || { echo "== $model: $onnx missing (not exported by gpu_check.sh)"; continue; }
  for precision in fp32 fp16; do
    for api in legacy graph; do
      echo "== $model $precision MISSILE_CUDNN_API=$api"
      verbose=0
      if [ "$first" = 1 ] && [ "$api" = graph ]; then verbose=1; fi
      log=$OUT/tuning-$model.log
      [ "$verbose" = 1 ] || log=/tmp/compare-stderr.log
      output=$(MISSILE_CUDNN_API=$api MISSILE_CUDNN_VERBOSE=$verbose "$MISSILE_BIN/missile" run "$onnx" \
        --backend cuda --precision "$precision" --cuda-graph \
        --input "$(input_name "$model")=/tmp/missile-models/$model/x1.npy" --warmup 10 --repeat 100 2>>"$log")
      status=$?
      echo "$output" | grep -E "^(plan|latency)"
      [ "$status" = 0 ] || { echo "exit $status"; tail -5 "$log"; }
    done
  done
  first=0
done 2>&1 | tee "$OUT/compare.log"
