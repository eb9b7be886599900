#!/usr/bin/env bash
# Issue 4, acceptance 3 and 6 on the GPU machine in one run: the GPU launcher's tests; the memory-interference
# benchmark (acceptance 6) with LS on 68 SMs (DEVICE.md's 64/68 case) at the 5% budget, and with LS on 76 SMs
# at a 1% budget (so that missile's pacing, the duty cycle, is exercised); then the colocation benchmark
# (acceptance 3): LS alone, BE alone and every policy, 30 s each, BE two steps per launch, BE with no SMs
# guaranteed beside LS (static: one group, else it gets none).
# Device command (after PACK_OUT=/work/main/.deps-NAME/device.tar.xz BUILD_DIR=build-cuda scripts/device/pack.sh,
# carry [".deps-NAME"]):
#   export MISSILE_PACK=$PWD/.deps-NAME/device.tar.xz; mkdir -p /tmp/t; tar -C /tmp/t -xJf $MISSILE_PACK ./tree;
#   cd /tmp/t/tree && bash scripts/device/issue4_acceptance.sh [SECONDS (default 30)]
# Writes to $OUT: acceptance.log, tests.log, memory-interference.json, memory-interference-budget1.json,
# colocation.json, colocation.md.
set -uo pipefail
seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
mkdir -p "$OUT"
log="$OUT/acceptance.log"
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
  stamp "missile_memory_interference_bench --ls-groups 7 (acceptance 6)"
  "$MISSILE_BIN/missile_memory_interference_bench" --ls-groups 7 --json "$OUT/memory-interference.json"
  echo "exit $?, $(( $(date +%s) - start )) s"
  stamp "missile_memory_interference_bench --ls-groups 8 --budget 0.01"
  "$MISSILE_BIN/missile_memory_interference_bench" --ls-groups 8 --budget 0.01 \
    --json "$OUT/memory-interference-budget1.json"
  echo "exit $?, $(( $(date +%s) - start )) s"
  stamp "waiting for the model exports"
  wait "$export_pid" || { cat /tmp/export-status.log; exit 1; }
  stamp "colocation, ${seconds} s per run"
  "$MISSILE_BIN/missile_colocation_bench" --ls-model /tmp/zoo-ls/resnet50/model.onnx \
    --be-model /tmp/zoo-be/resnet152/model.onnx \
    --ls-profile data/profiles/measured/resnet50-bs1-fp16.json \
    --be-profile data/profiles/measured/resnet152-bs32-fp16.json \
    --seconds "$seconds" --warmup 2 --be-segment 2 --be-groups 0:all \
    --runs ls-alone,be-alone,temporal,shared,priority,static@be=1:all,orion,missile \
    --json "$OUT/colocation.json" --markdown "$OUT/colocation.md"
  echo "exit $?"
  stamp "done, $(( $(date +%s) - start )) s"
} 2>&1 | tee -a "$log"
