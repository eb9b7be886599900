#!/usr/bin/env bash
# Issue 7 on the GPU machine, in one run: `missile probe channels` (quick by default: a sampled page, under a
# minute; --full: the whole page, a hash model, under five minutes), then the L2 set-aside benchmark (an LS
# ResNet-50 batch-1 fp16 loop against a BE tenant streaming 4 GiB, with and without the set-aside, kernel by
# kernel and as CUDA graphs).
# Device command: bash scripts/device/memory_probe.sh [--full] [--no-l2] [--no-probe]   with carry [".deps"]
#   (after scripts/device/pack.sh, which packs build-cuda/missile and build-cuda/bench/missile_l2_setaside_bench)
# Writes to $OUT (7 files at most): memory-probe.log, report.md, probe.json, hash-model.json (whole page only),
# l2-setaside.log, l2-setaside.json, l2-setaside-graph.json.
set -uo pipefail
mode=--quick
run_probe=1
run_l2=1
for arg in "$@"; do
  case "$arg" in
    --full) mode= ;;
    --no-l2) run_l2=0 ;;
    --no-probe) run_probe=0 ;;
    *) echo "memory_probe.sh: unknown argument $arg (--full, --no-l2, --no-probe)" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/env.sh"
mkdir -p "$OUT"

if [ "$run_probe" = 1 ]; then
  {
    echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)"
    echo "== missing libraries"; ldd "$MISSILE_BIN/missile" | grep "not found" || echo none
    echo "== missile probe channels ${mode:---full (whole page)}"
    rm -rf /tmp/probe-out
    start=$(date +%s)
    "$MISSILE_BIN/missile" probe channels $mode --out /tmp/probe-out > /dev/null
    echo "== exit $?, $(( $(date +%s) - start )) s"
  } 2>&1 | tee "$OUT/memory-probe.log"
  for f in report.md probe.json hash-model.json; do
    [ -f "/tmp/probe-out/$f" ] && cp "/tmp/probe-out/$f" "$OUT/"
  done
fi

if [ "$run_l2" = 1 ]; then
  {
    echo "== export ResNet-50 (full size, no reference)"
    python3 scripts/zoo/export_models.py --model resnet50 --size full --out /tmp/zoo --no-reference > /tmp/export.log 2>&1 \
      || { tail -20 /tmp/export.log; exit 1; }
    for graph in "" --cuda-graph; do
      json="$OUT/l2-setaside${graph:+-graph}.json"
      echo "== missile_l2_setaside_bench ${graph:-(kernel by kernel)}"
      "$MISSILE_BIN/missile_l2_setaside_bench" --model /tmp/zoo/resnet50/model.onnx --json "$json" $graph
      echo "== exit $?"
    done
  } 2>&1 | tee "$OUT/l2-setaside.log"
fi
