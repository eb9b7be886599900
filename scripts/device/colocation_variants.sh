#!/usr/bin/env bash
# Issue 4, exploratory run on the GPU machine (short runs, several missile variants in one invocation of the
# colocation benchmark), with the GPU launcher's tests and the memory-interference benchmark (acceptance 6)
# first, while the models export. What it compares: BE's segment length (steps per launch: the longest wait an
# LS arrival has for the SMs) and BE's guarantee beside LS (be=1:all: one group, paced; be=0:all: none, held
# when waiting finishes sooner), against LS alone, BE alone and orion.
# Device command (after PACK_OUT=/work/main/.deps-NAME/device.tar.xz BUILD_DIR=build-cuda scripts/device/pack.sh,
# carry [".deps-NAME"]):
#   export MISSILE_PACK=$PWD/.deps-NAME/device.tar.xz; mkdir -p /tmp/t; tar -C /tmp/t -xJf $MISSILE_PACK ./tree;
#   cd /tmp/t/tree && bash scripts/device/colocation_variants.sh [SECONDS (default 10)]
# Writes to $OUT: variants.log, tests.log, memory-interference.json, variants.json, variants.md.
set -uo pipefail
seconds=${1:-10}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
mkdir -p "$OUT"
log="$OUT/variants.log"
stamp() { echo "== $(date -u +%FT%TZ) $*"; }
start=$(date +%s)
stamp "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)" | tee "$log"

{
  # The models export on the CPU while the GPU parts run (inside this group: `wait` needs its own child).
  bash "$here/export_resnets.sh" > /tmp/export-status.log 2>&1 &
  export_pid=$!
  stamp "GPU launcher tests"
  "$MISSILE_BIN/missile_unit_tests" --gtest_filter='*CudaLauncher*' > "$OUT/tests.log" 2>&1
  echo "exit $?"; grep -E '^\[  (PASSED|FAILED|  SKIPPED)' "$OUT/tests.log"
  stamp "missile_memory_interference_bench (acceptance 6)"
  "$MISSILE_BIN/missile_memory_interference_bench" --json "$OUT/memory-interference.json"
  echo "exit $?, $(( $(date +%s) - start )) s"
  stamp "waiting for the model exports"
  wait "$export_pid" || { cat /tmp/export-status.log; exit 1; }
  stamp "colocation variants, ${seconds} s each"
  runs="ls-alone,be-alone,orion,missile@seg=1@be=1:all,missile@seg=1@be=0:all,missile@seg=2@be=0:all"
  runs="$runs,missile@seg=4@be=0:all"
  "$MISSILE_BIN/missile_colocation_bench" --ls-model /tmp/zoo-ls/resnet50/model.onnx \
    --be-model /tmp/zoo-be/resnet152/model.onnx \
    --ls-profile data/profiles/measured/resnet50-bs1-fp16.json \
    --be-profile data/profiles/measured/resnet152-bs32-fp16.json \
    --seconds "$seconds" --warmup 1 --be-segment 2 --be-groups 0:all --runs "$runs" \
    --json "$OUT/variants.json" --markdown "$OUT/variants.md"
  echo "exit $?"
  stamp "done, $(( $(date +%s) - start )) s"
} 2>&1 | tee -a "$log"
