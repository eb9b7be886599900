#!/usr/bin/env bash
# Issue 4 on the GPU machine, in one run (acceptance 3 and 5): exports ResNet-50 (batch 1) and ResNet-152
# (batch 32) on the device, then runs missile_colocation_bench: LS ResNet-50 bs1 fp16 at Poisson 200 req/s
# beside a closed-loop BE ResNet-152 bs32 fp16, under each of the six policies, against both alone with no
# scheduler and each alone under missile (the scheduler's overhead).
# Device command (after scripts/device/pack.sh, which packs build-cuda/bench/missile_colocation_bench):
#   bash scripts/device/colocation.sh [--tests] [BENCH OPTIONS...]
#   e.g. --seconds 30 (default), --runs ls-alone,missile, --partitions none
# --tests first runs the GPU launcher's unit tests (and the green-context ones where packed).
# Profiles: data/profiles/measured/ (measured on the H200) where the tree has them, else data/profiles/
# (synthesized); set LS_PROFILE / BE_PROFILE to choose.
# SKIP_BE_EXPORT=1 skips the ResNet-152 export (for LS-only --runs).
# Writes to $OUT: colocation.log, colocation.json, colocation.md, tests.log (--tests).
set -uo pipefail
run_tests=0
if [ "${1:-}" = "--tests" ]; then run_tests=1; shift; fi
source "$(dirname "$0")/env.sh"
mkdir -p "$OUT"

pick_profile() {  # NAME: the measured profile where there is one, else the synthesized one
  if [ -f "data/profiles/measured/$1.json" ]; then echo "data/profiles/measured/$1.json"; else echo "data/profiles/$1.json"; fi
}
LS_PROFILE=${LS_PROFILE:-$(pick_profile resnet50-bs1-fp16)}
BE_PROFILE=${BE_PROFILE:-$(pick_profile resnet152-bs32-fp16)}

if [ "$run_tests" = 1 ]; then
  "$MISSILE_BIN/missile_unit_tests" --gtest_filter='*CudaLauncher*:*GreenPartition*:*SmCensus*' 2>&1 | tee "$OUT/tests.log" | tail -40
fi

{
  echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
  echo "== export ResNet-50 bs1 and ResNet-152 bs32 (full size, no reference)"
  start=$(date +%s)
  bash "$(dirname "$0")/export_resnets.sh" || exit 1
  echo "== exported in $(( $(date +%s) - start )) s; profiles: $LS_PROFILE, $BE_PROFILE"
  "$MISSILE_BIN/missile_colocation_bench" --ls-model /tmp/zoo-ls/resnet50/model.onnx \
    --be-model /tmp/zoo-be/resnet152/model.onnx --ls-profile "$LS_PROFILE" --be-profile "$BE_PROFILE" \
    --json "$OUT/colocation.json" --markdown "$OUT/colocation.md" "$@"
  echo "== exit $?, $(( $(date +%s) - start )) s in all"
} 2>&1 | tee "$OUT/colocation.log"
