#!/usr/bin/env bash
# Issue 5 on the GPU machine: the pcie unit tests (the CUDA copy engine's GPU tests among them), then the transfer
# benchmark (bench/pcie/transfer_bench.cpp: LS latency beside BE traffic, raw CUDA vs the scheduler; weighted
# shares; throughput per chunk size; checksummed round trips; (d) where an LS copy's time goes: engine variants
# solo and LS-active chunk sizes beside BE). Log and JSON go to $OUT. About 1.5 min.
# Device command: bash scripts/device/pcie_bench.sh   with carry [".deps"]   (after scripts/device/pack.sh; from a
# worktree, see docs/device.md: PACK_OUT=... pack.sh, then run the script from the unpacked tree/)
# Env: PCIE_BENCH_ARGS (extra flags for missile_transfer_bench, e.g. "--parts latency --ls-nices 0").
set -uo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$OUT"
{
  echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
  echo "== missing libraries"; ldd "$MISSILE_BIN/missile_transfer_bench" | grep "not found" || echo none
  echo "== pcie unit tests"
  timeout 120 "$MISSILE_BIN/missile_unit_tests" --gtest_filter='Pcie*:*/PcieCuda*' --gtest_brief=1 \
    --gtest_output="json:$OUT/pcie-unit-tests.json" 2>&1 | tail -20
  echo "== transfer bench"
  # shellcheck disable=SC2086  # PCIE_BENCH_ARGS is a list of flags
  timeout 420 "$MISSILE_BIN/missile_transfer_bench" --json "$OUT/pcie-bench.json" ${PCIE_BENCH_ARGS:-}
  echo "== exit status $?"
} 2>&1 | tee "$OUT/pcie-bench.log"
