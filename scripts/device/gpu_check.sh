#!/usr/bin/env bash
# Issue 3 on the GPU machine, in one run: the CUDA op cases against the CPU backend (fp32, CUDA graph, fp16),
# then the twelve models against PyTorch on the GPU (accuracy; speed unless MODELS_ARGS says --no-speed).
# Device command: bash scripts/device/gpu_check.sh   with carry [".deps"]   (after scripts/device/pack.sh build/cases/ops)
# Env: CASES_FILTER (gtest filter for the op cases), MODELS (space-separated), MODELS_ARGS (extra models.py args).
set -uo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$OUT"
{
  echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
  echo "== missing libraries"; ldd "$MISSILE_BIN/missile" | grep "not found" || echo none
  # The summary and the names of failed tests (a plain tail would cut the names off).
  echo "== unit tests"; "$MISSILE_BIN/missile_unit_tests" --gtest_brief=1 2>&1 |
    grep -E '^\[(==========|  PASSED  |  SKIPPED |  FAILED  )\]' | tail -30
  echo "== op cases on the GPU"
  MISSILE_CASES_DIR="$MISSILE_ROOT/cases/ops" "$MISSILE_BIN/missile_case_tests" --gtest_brief=1 \
    --gtest_filter="${CASES_FILTER:-*Cuda*}" --gtest_output="json:$OUT/op-cases.json" 2>&1 | tail -60
} 2>&1 | tee "$OUT/gpu-check.log"
if [ -n "${MODELS-x}" ]; then
  PYTHONUNBUFFERED=1 python3 bench/gpu/models.py --bench "$MISSILE_BIN/missile_model_bench" --out /tmp/models-out \
    ${MODELS:+--models $MODELS} ${MODELS_ARGS:-} 2>&1 | tee "$OUT/models.log"
  cp /tmp/models-out/summary.json "$OUT/models-summary.json" 2>/dev/null
fi
# Per-operator GPU time of the exported models named in PROFILE (kernel by kernel, CUDA events).
for model in ${PROFILE:-}; do
  for precision in fp32 fp16; do
    echo "== profile $model $precision"
    "$MISSILE_BIN/missile" run "/tmp/missile-models/$model/model.onnx" --backend cuda --precision "$precision" \
      --input "$(python3 -c "import sys; sys.path.insert(0, 'scripts/zoo'); import export_models as z; print(z.MODELS['$model'].input_name)")=/tmp/missile-models/$model/x1.npy" \
      --warmup 5 --repeat 20 --profile
    echo "== profile $model $precision, convolution and epilogue as separate kernels (MISSILE_CUDNN_FUSED=0)"
    MISSILE_CUDNN_FUSED=0 "$MISSILE_BIN/missile" run "/tmp/missile-models/$model/model.onnx" --backend cuda \
      --precision "$precision" --cuda-graph \
      --input "$(python3 -c "import sys; sys.path.insert(0, 'scripts/zoo'); import export_models as z; print(z.MODELS['$model'].input_name)")=/tmp/missile-models/$model/x1.npy" \
      --warmup 5 --repeat 50
    "$MISSILE_BIN/missile" run "/tmp/missile-models/$model/model.onnx" --backend cuda --precision "$precision" \
      --cuda-graph \
      --input "$(python3 -c "import sys; sys.path.insert(0, 'scripts/zoo'); import export_models as z; print(z.MODELS['$model'].input_name)")=/tmp/missile-models/$model/x1.npy" \
      --warmup 5 --repeat 50
  done
done 2>&1 | tee "$OUT/profiles.log"
