#!/usr/bin/env bash
# Issue 4, acceptance 3 and 6 on the GPU machine in one run: the GPU launcher's tests; the memory-interference
# benchmark (acceptance 6) with LS on 68 SMs (DEVICE.md's 64/68 case) at the 5% budget, and with LS on 76 SMs
# at a 1% budget (so that missile's pacing, the duty cycle, is exercised), each followed by missile's feedback
# rounds (the pace decided again from what the previous run measured); then the colocation benchmark
# (acceptance 3 and 5): LS alone, BE alone, LS alone under missile and every policy, 30 s each, BE one step per launch (BE_SEGMENT), BE with no SMs
# guaranteed beside LS (static: one group, else it gets none).
# Device command (after PACK_OUT=/work/main/.deps-NAME/device.tar.xz BUILD_DIR=build-cuda scripts/device/pack.sh,
# carry [".deps-NAME"]):
#   export MISSILE_PACK=$PWD/.deps-NAME/device.tar.xz; mkdir -p /tmp/t; tar -C /tmp/t -xJf $MISSILE_PACK ./tree;
#   cd /tmp/t/tree && bash scripts/device/issue4_acceptance.sh [SECONDS (default 30)]
# Env: BE_SEGMENT (steps per BE launch for every policy, default 1: on the H200 it took LS p99 from 1.10-1.16x
# to 1.07-1.09x for 0.72-0.74 of BE alone instead of 0.79), MEMORY=0 skips the memory benchmarks.
# Writes to $OUT: acceptance.log, tests.log, memory-interference.json, memory-interference-budget1.json,
# colocation.json, colocation.md.
set -uo pipefail
seconds=${1:-30}
source "$(dirname "$0")/issue4_lib.sh" acceptance.log
{
  begin_run
  if [ "${MEMORY:-1}" != 0 ]; then
    memory_bench memory-interference.json --ls-groups 7
    memory_bench memory-interference-budget1.json --ls-groups 8 --budget 0.01
  fi
  wait_for_models || exit 1
  stamp "colocation, ${seconds} s per run"
  colocation_bench --seconds "$seconds" --warmup 2 --be-segment "${BE_SEGMENT:-1}" --be-groups 0:all \
    --runs ls-alone,be-alone,ls-alone-missile,temporal,shared,priority,static@be=1:all,orion,missile \
    --json "$OUT/colocation.json" --markdown "$OUT/colocation.md"
  echo "exit $?"
  stamp "done, $(( $(date +%s) - start )) s"
} 2>&1 | tee -a "$log"
