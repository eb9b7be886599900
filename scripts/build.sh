#!/usr/bin/env bash
# Configures and builds Missile into ${BUILD_DIR:-build} (Release). CUDA code is built when nvcc is found.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD_DIR" --parallel "$(nproc)"
