#!/usr/bin/env bash
# Packs what a run on the GPU machine needs into .deps/device.tar.xz (ignored by git, sent with the device tool's
# `carry`): the binaries built here (with CUDA, since nvcc is here) and the Debian libraries they load that the GPU
# machine (Ubuntu 24.04, no Debian packages) lacks, plus the given case folders. cuDNN and cuBLAS are not packed:
# the GPU machine has them (scripts/device/env.sh points the loader at them).
# The checkout's scripts/, bench/, tests/ and data/ go along under tree/, so a command can run the scripts of this
# checkout even where the device tool sends another one (a helper's worktree): see docs/device.md.
# Usage: scripts/device/pack.sh [CASE_DIR ...]   (BUILD_DIR defaults to build-cuda, PACK_OUT to
#        .deps/device.tar.xz)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build-cuda}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)" >/dev/null
stage=$(mktemp -d)
mkdir -p "$stage/bin" "$stage/lib" "$stage/cases"
cp "$BUILD_DIR/missile" "$BUILD_DIR/tests/missile_unit_tests" "$BUILD_DIR/tests/missile_case_tests" \
  "$BUILD_DIR/bench/missile_model_bench" "$stage/bin/"
for extra in "$BUILD_DIR/bench/missile_transfer_bench" "$BUILD_DIR/bench/missile_l2_setaside_bench" \
  "$BUILD_DIR/bench/missile_memory_interference_bench" "$BUILD_DIR/bench/missile_colocation_bench" \
  "$BUILD_DIR/bench/missile_server_codec_bench" "$BUILD_DIR/bench/missile_loopback_floor" \
  "$BUILD_DIR/bench/missile_input_copy_bench"; do
  if [ -f "$extra" ]; then cp "$extra" "$stage/bin/"; fi
done
strip "$stage/bin/"*
# Every library the binaries load from outside glibc's own set; the GPU machine's glibc and libstdc++ are newer.
ldd "$stage/bin/"* | awk '/=> \//{print $3}' | sort -u |
  grep -vE '/(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|libz)\.so' |
  grep -vE '/lib(cudnn|cublas|cublasLt|cuda|nvrtc)[._]' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done
for case in "$@"; do cp -r "$case" "$stage/cases/"; done
mkdir -p "$stage/tree"
git ls-files -z scripts bench tests data | xargs -0 cp --parents -t "$stage/tree"
PACK_OUT=${PACK_OUT:-.deps/device.tar.xz}
mkdir -p "$(dirname "$PACK_OUT")"
tar -C "$stage" -cJf "$PACK_OUT" .
rm -rf "$stage"
ls -l "$PACK_OUT"
