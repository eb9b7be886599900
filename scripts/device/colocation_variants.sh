#!/usr/bin/env bash
# Issue 4, exploratory run on the GPU machine (short runs, several missile variants in one invocation of the
# colocation benchmark), with the GPU launcher's tests and the memory-interference benchmark (acceptance 6)
# first, while the models export. What it compares: BE's segment length (steps per launch: the longest wait an
# LS arrival has for the SMs) and BE's guarantee beside LS (be=1:all: one group, paced; be=0:all: none),
# against LS alone, BE alone and orion.
# Device command (after PACK_OUT=/work/main/.deps-NAME/device.tar.xz BUILD_DIR=build-cuda scripts/device/pack.sh,
# carry [".deps-NAME"]):
#   export MISSILE_PACK=$PWD/.deps-NAME/device.tar.xz; mkdir -p /tmp/t; tar -C /tmp/t -xJf $MISSILE_PACK ./tree;
#   cd /tmp/t/tree && bash scripts/device/colocation_variants.sh [SECONDS (default 10)]
# Env: RUNS (the runs, comma-separated, as --runs takes them; default: the segment and guarantee variants
# below), MEMORY=0 skips the memory-interference benchmark, PLAN_CHECKS=N first runs issue4_lib.sh's plan_check N
# times per setting.
# Writes to $OUT: variants.log, tests.log, memory-interference.json, variants.json, variants.md,
# gpu-clocks.csv, gpu-clocks-per-run.json.
set -uo pipefail
seconds=${1:-10}
source "$(dirname "$0")/issue4_lib.sh" variants.log
{
  begin_run
  if [ "${MEMORY:-1}" != 0 ]; then memory_bench memory-interference.json --ls-groups 8; fi
  wait_for_models || exit 1
  if [ "${PLAN_CHECKS:-0}" -gt 0 ]; then stamp "green-context check, runtime-compiled cuDNN engines on/off"; plan_check "$PLAN_CHECKS"; fi
  stamp "colocation variants, ${seconds} s each"
  default_runs="ls-alone,be-alone,orion,missile@seg=1@be=1:all,missile@seg=1@be=0:all,missile@seg=2@be=0:all"
  colocation_bench --seconds "$seconds" --warmup 1 --be-segment 2 --be-groups 0:all \
    --runs "${RUNS:-$default_runs,missile@seg=4@be=0:all}" --json "$OUT/variants.json" --markdown "$OUT/variants.md"
  echo "exit $?"
  stamp "done, $(( $(date +%s) - start )) s"
} 2>&1 | tee -a "$log"
