#!/usr/bin/env bash
# Issue 4 on the GPU machine, in one run: green-context SM partitions checked with %smid (the GPU unit tests,
# acceptance 4), the memory-interference benchmark (acceptance 6: raw splits and under missile), and measured
# kernel profiles of ResNet-50 batch 1 and ResNet-152 batch 32, fp16 (`missile profile --measure`).
# Device command (after PACK_OUT=/work/main/.deps-NAME/device.tar.xz scripts/device/pack.sh, carry [".deps-NAME"]):
#   export MISSILE_PACK=$PWD/.deps-NAME/device.tar.xz; mkdir -p /tmp/t; tar -C /tmp/t -xJf $MISSILE_PACK ./tree;
#   cd /tmp/t/tree && bash scripts/device/partitions.sh [--no-tests] [--no-bench] [--no-profiles]
# Writes to $OUT: partitions.log, unit-tests.xml, memory-interference.json, resnet50-bs1-fp16.json,
# resnet152-bs32-fp16.json.
set -uo pipefail
run_tests=1
run_bench=1
run_profiles=1
for arg in "$@"; do
  case "$arg" in
    --no-tests) run_tests=0 ;;
    --no-bench) run_bench=0 ;;
    --no-profiles) run_profiles=0 ;;
    *) echo "partitions.sh: unknown argument $arg (--no-tests, --no-bench, --no-profiles)" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/env.sh"
mkdir -p "$OUT"
log="$OUT/partitions.log"
stamp() { echo "== $(date -u +%FT%TZ) $*"; }

{
  stamp "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
  echo "missing libraries: $(ldd "$MISSILE_BIN/missile" | grep -c 'not found')"
} 2>&1 | tee "$log"

# The models export on the CPU while the GPU parts run.
if [ "$run_profiles" = 1 ]; then
  (
    python3 scripts/zoo/export_models.py --model resnet50 --size full --batch 1 --no-reference --out /tmp/zoo/bs1 &&
      python3 scripts/zoo/export_models.py --model resnet152 --size full --batch 32 --no-reference --out /tmp/zoo/bs32
  ) > /tmp/export.log 2>&1 &
  export_pid=$!
fi

if [ "$run_tests" = 1 ]; then
  {
    stamp "GPU unit tests: green partitions, SM layout rules, measured profiles"
    "$MISSILE_BIN/missile_unit_tests" --gtest_filter='GreenPartitions*:SmPartitions*:Measured*:MedianOf*' \
      --gtest_output=xml:"$OUT/unit-tests.xml"
    echo "exit $?"
  } 2>&1 | tee -a "$log"
fi

if [ "$run_bench" = 1 ]; then
  {
    stamp "missile_memory_interference_bench"
    start=$(date +%s)
    "$MISSILE_BIN/missile_memory_interference_bench" --json "$OUT/memory-interference.json"
    echo "exit $?, $(( $(date +%s) - start )) s"
  } 2>&1 | tee -a "$log"
fi

if [ "$run_profiles" = 1 ]; then
  stamp "waiting for the model exports" | tee -a "$log"
  wait "$export_pid" || echo "export failed" | tee -a "$log"
  {
    cat /tmp/export.log
    for spec in "resnet50 1" "resnet152 32"; do
      read -r model batch <<<"$spec"
      stamp "missile profile --measure $model batch $batch"
      start=$(date +%s)
      "$MISSILE_BIN/missile" profile --measure "/tmp/zoo/bs$batch/$model/model.onnx" --name "$model" \
        --precision fp16 --out "$OUT/$model-bs$batch-fp16.json"
      echo "exit $?, $(( $(date +%s) - start )) s"
    done
  } 2>&1 | tee -a "$log"
fi
stamp done | tee -a "$log"
