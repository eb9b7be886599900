#!/usr/bin/env bash
# Regenerates the kernel profiles checked into data/profiles from the exported models, with the H200 roofline
# model (`missile profile --synthesize`, docs/scheduling.md). Measured profiles from the H200 will replace them.
# Usage: scripts/sched/synthesize_profiles.sh   (build first: scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
ZOO=out/zoo-profiles
mkdir -p data/profiles
# name batch
for spec in "resnet50 1" "resnet152 32"; do
  read -r model batch <<<"$spec"
  case_dir="$ZOO/bs$batch"
  [ -f "$case_dir/$model/model.onnx" ] || /usr/bin/python3 scripts/zoo/export_models.py --model "$model" --size full \
    --batch "$batch" --no-reference --out "$case_dir"
  "$BUILD_DIR/missile" profile --synthesize "$case_dir/$model/model.onnx" --name "$model" --precision fp16 \
    --out "data/profiles/$model-bs$batch-fp16.json"
done
