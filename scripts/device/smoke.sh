#!/usr/bin/env bash
# Runs on the GPU machine (device tool): unpacks .deps/device.tar.xz, lists the GPUs, runs the unit tests and the
# carried cases on the CPU backend there, and writes logs and JSON to $OUT.
# Device command: bash scripts/device/smoke.sh   with carry [".deps"]
set -uo pipefail
OUT=${OUT:-/tmp/out}
root=/tmp/missile-device
rm -rf "$root" && mkdir -p "$root" && tar -C "$root" -xJf .deps/device.tar.xz
export LD_LIBRARY_PATH="$root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
{
  echo "== uname / nvidia-smi"; uname -a; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  echo "== missing libraries"; ldd "$root/bin/missile" | grep "not found" || echo none
  echo "== missile devices"; "$root/bin/missile" devices
  echo "== unit tests"; "$root/bin/missile_unit_tests" --gtest_brief=1 2>&1 | tail -5
  for case in "$root"/cases/*/; do
    name=$(basename "$case")
    echo "== missile run $name (cpu)"
    inputs=()
    for file in "$case"inputs/*.npy; do inputs+=(--input "$(basename "$file" .npy)=$file"); done
    "$root/bin/missile" run "$case/model.onnx" --backend auto "${inputs[@]}" --warmup 2 --repeat 10 \
      --json "$OUT/run-$name.json"
  done
} 2>&1 | tee "$OUT/smoke.log"
"$root/bin/missile" devices --json > "$OUT/devices.json"
