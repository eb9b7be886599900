#!/usr/bin/env bash
# Issue 3's transformer work on the GPU machine, in one run (docs/results/cuda-models-2026-11-26b.md). Phases
# in this order, each skipped when its variable is empty, each logging under $OUT (at most 8 files come back):
#   CASES      gtest filter of the op cases on the GPU (e.g. *Cuda*), then compute-sanitizer racecheck and
#              memcheck on the attention cases (CASES_SANITIZE). If attention cases fail with the default fp16
#              kernel and pass with the WMMA one, the rest of the run uses the WMMA one (and says so)
#                                                                                         -> check.log
#   EXPORT     models exported once for the phases below (bench/gpu/export.py)          -> check.log
#   SANITIZE   compute-sanitizer memcheck on one kernel-by-kernel `missile run` of each model, fp32 (TF32 on,
#              as benchmarked) and, for SANITIZE_FP16 models, fp16; SANITIZE_JOBS at once, SANITIZE_TIMEOUT
#              seconds each; cuDNN times one plan per convolution (MISSILE_CUDNN_PLANS=1) -> sanitizer.log
#   PROFILE    `missile run --profile` per entry MODEL:PRECISION:BATCH (batch 1 or 32)  -> profiles.log
#   COMPARE    `missile run --cuda-graph` p50 per entry MODEL:PRECISION:BATCH with each attention kernel
#              (MISSILE_ATTENTION_KERNEL=mma, wmma)                                      -> profiles.log
#   LAYERS     bench/gpu/layer_errors.py (fp16 block by block against fp32)              -> layers.log, layers.json
#   SPEED      bench/gpu/models.py against PyTorch (MODELS_ARGS)                         -> models.log, models.json
# Device command (from a worktree's pack, docs/device.md):
#   export MISSILE_PACK=$PWD/.deps-NAME/device.tar.xz; mkdir -p /tmp/t; tar -C /tmp/t -xJf $MISSILE_PACK ./tree;
#   cd /tmp/t/tree && CASES='*Cuda*' EXPORT="bert_base" PROFILE="bert_base:fp16:1" bash scripts/device/transformers_check.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/device/env.sh
mkdir -p "$OUT"
WORK=/tmp/missile-models
export PYTHONUNBUFFERED=1
input_name() {
  python3 -c "import sys; sys.path.insert(0, 'scripts/zoo'); import export_models as z; print(z.MODELS['$1'].input_name)"
}
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
started=$(date +%s)
stamp() { echo "== +$(($(date +%s) - started)) s: $*"; }
cases() {  # gtest filter: the op cases on the GPU, summary and failures
  MISSILE_CASES_DIR="$MISSILE_ROOT/cases/ops" "$MISSILE_BIN/missile_case_tests" --gtest_brief=1 \
    --gtest_filter="$1" 2>&1 | grep -E '^\[(==========|  PASSED  |  FAILED  )\]|Failure|relative|Expected|Which'
}

if [ -n "${CASES:-}" ]; then
  stamp "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader), sanitizer: ${sanitizer:-none}"
  stamp "op cases on the GPU ($CASES)"
  cases "$CASES" | tee /tmp/cases.log | tail -60
  if grep -q "FAILED.*ttention" /tmp/cases.log; then
    stamp "attention cases failed: again with MISSILE_ATTENTION_KERNEL=wmma"
    MISSILE_ATTENTION_KERNEL=wmma cases '*Cuda*ttention*' | tee /tmp/cases-wmma.log
    if grep -q "PASSED" /tmp/cases-wmma.log && ! grep -q "FAILED" /tmp/cases-wmma.log; then
      stamp "the rest of this run uses the WMMA attention kernel"
    fi
  fi
  if [ -n "$sanitizer" ]; then
    for tool in racecheck memcheck; do
      stamp "compute-sanitizer $tool on the attention cases"
      MISSILE_CASES_DIR="$MISSILE_ROOT/cases/ops" timeout "${CASES_SANITIZE_TIMEOUT:-60}" "$sanitizer" \
        --tool "$tool" --error-exitcode 3 "$MISSILE_BIN/missile_case_tests" --gtest_brief=1 \
        --gtest_filter="${CASES_SANITIZE:-*Cuda*ttention*}" 2>&1 | tail -6
      echo "exit ${PIPESTATUS[0]}"
    done
  fi
fi 2>&1 | tee "$OUT/check.log"
# The fallback's decision, made in the pipeline's subshell, for the phases below.
if grep -q "uses the WMMA attention kernel" "$OUT/check.log"; then export MISSILE_ATTENTION_KERNEL=wmma; fi

if [ -n "${EXPORT:-}" ]; then
  stamp "export"
  python3 bench/gpu/export.py --models $EXPORT --work "$WORK" 2>&1 | grep -v Warning
fi 2>&1 | tee -a "$OUT/check.log"

sanitize() {  # model precision: one memcheck run, its verdict on one line, its report in a log
  local model=$1 precision=$2 log=/tmp/sanitize-$1-$2.log
  MISSILE_CUDNN_PLANS=1 timeout "${SANITIZE_TIMEOUT:-120}" "$sanitizer" --tool memcheck --error-exitcode 3 \
    --print-limit 20 "$MISSILE_BIN/missile" run "$WORK/$model/model.onnx" --backend cuda --precision "$precision" \
    --input "$(input_name "$model")=$WORK/$model/x1.npy" >"$log" 2>&1
  local status=$?
  echo "$model $precision: exit $status, $(grep -E 'ERROR SUMMARY' "$log" | tail -1)"
}
export -f sanitize input_name
export sanitizer WORK MISSILE_BIN SANITIZE_TIMEOUT
if [ -n "${SANITIZE:-}" ] && [ -n "$sanitizer" ]; then
  stamp "compute-sanitizer memcheck: $SANITIZE (fp16 too: ${SANITIZE_FP16:-none})"
  { for m in $SANITIZE; do echo "$m fp32"; done; for m in ${SANITIZE_FP16:-}; do echo "$m fp16"; done; } |
    xargs -P "${SANITIZE_JOBS:-4}" -L 1 bash -c 'sanitize "$0" "$1"'
  stamp "sanitizer reports (errors only)"
  for log in /tmp/sanitize-*.log; do
    if ! grep -q "ERROR SUMMARY: 0 errors" "$log"; then echo "--- $log"; tail -40 "$log"; fi
  done
  stamp "done"
fi 2>&1 | tee "$OUT/sanitizer.log"

{
  for entry in ${PROFILE:-}; do
    IFS=: read -r model precision batch <<<"$entry"
    stamp "profile $model $precision batch $batch"
    "$MISSILE_BIN/missile" run "$WORK/$model/model.onnx" --backend cuda --precision "$precision" \
      --input "$(input_name "$model")=$WORK/$model/x$batch.npy" --warmup 2 --repeat 5 --profile |
      grep -vE "^(model|input|output) "
  done
  for entry in ${COMPARE:-}; do
    IFS=: read -r model precision batch <<<"$entry"
    for kernel in mma wmma; do
      stamp "$model $precision batch $batch, CUDA graph, MISSILE_ATTENTION_KERNEL=$kernel"
      MISSILE_ATTENTION_KERNEL=$kernel "$MISSILE_BIN/missile" run "$WORK/$model/model.onnx" --backend cuda \
        --precision "$precision" --cuda-graph --input "$(input_name "$model")=$WORK/$model/x$batch.npy" \
        --warmup 10 --repeat 30 | grep -E "^latency"
    done
  done
} 2>&1 | tee "$OUT/profiles.log"

for model in ${LAYERS:-}; do
  stamp "fp16 block by block: $model"
  python3 bench/gpu/layer_errors.py --missile "$MISSILE_BIN/missile" --model "$model" --out "$OUT/layers.json"
done 2>&1 | tee "$OUT/layers.log"

if [ -n "${SPEED:-}" ]; then
  stamp "models against PyTorch: $SPEED (attention kernel: ${MISSILE_ATTENTION_KERNEL:-default})"
  python3 bench/gpu/models.py --bench "$MISSILE_BIN/missile_model_bench" --out /tmp/models-out --work "$WORK" \
    --summary "$OUT/models.json" --models $SPEED ${MODELS_ARGS:-} 2>&1 | tee "$OUT/models.log"
  stamp "done"
fi
