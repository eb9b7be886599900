#!/usr/bin/env bash
# Issue 4 on the GPU machine in one run: the green-context tests and measured kernel profiles
# (scripts/device/partitions.sh --no-bench), then the colocation benchmark (scripts/device/colocation.sh) with
# the profiles just measured where that worked, else the checked-in synthesized ones.
# Device command (after scripts/device/pack.sh, carry [".deps"]):
#   bash scripts/device/issue4.sh [COLOCATION BENCH OPTIONS...]      e.g. --seconds 20
# Writes to $OUT (at most 8 files): partitions.log, resnet50-bs1-fp16.json, resnet152-bs32-fp16.json,
# tests.log, colocation.log, colocation.json, colocation.md.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
final=${OUT:-/tmp/out}
mkdir -p "$final"

OUT=/tmp/issue4-partitions bash "$here/partitions.sh" --no-bench
for f in partitions.log resnet50-bs1-fp16.json resnet152-bs32-fp16.json; do
  [ -f "/tmp/issue4-partitions/$f" ] && cp "/tmp/issue4-partitions/$f" "$final/"
done

# Measured profiles replace the synthesized ones for the benchmark (colocation.sh prefers data/profiles/measured/).
mkdir -p data/profiles/measured
for f in resnet50-bs1-fp16.json resnet152-bs32-fp16.json; do
  [ -f "/tmp/issue4-partitions/$f" ] && cp "/tmp/issue4-partitions/$f" data/profiles/measured/
done

OUT=/tmp/issue4-colocation bash "$here/colocation.sh" --tests "$@"
for f in tests.log colocation.log colocation.json colocation.md; do
  [ -f "/tmp/issue4-colocation/$f" ] && cp "/tmp/issue4-colocation/$f" "$final/"
done
ls -l "$final"
