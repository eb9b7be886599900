#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (unit tests, operator cases against
# PyTorch/numpy, the twelve models against PyTorch, command-line error handling).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --parallel "$(nproc)" --timeout 1200
