#!/usr/bin/env bash
# Exports the colocation benchmark's models on the GPU machine (seeded weights, no reference outputs):
# ResNet-50 batch 1 into /tmp/zoo-ls/resnet50/model.onnx and, unless SKIP_BE_EXPORT=1, ResNet-152 batch 32
# into /tmp/zoo-be/resnet152/model.onnx. Log: /tmp/export.log (its tail is printed on failure).
# Usage: bash scripts/device/export_resnets.sh   (from the repository root)
set -uo pipefail
python3 scripts/zoo/export_models.py --model resnet50 --size full --batch 1 --out /tmp/zoo-ls --no-reference \
  > /tmp/export.log 2>&1 || { tail -20 /tmp/export.log; exit 1; }
if [ "${SKIP_BE_EXPORT:-0}" != 1 ]; then
  python3 scripts/zoo/export_models.py --model resnet152 --size full --batch 32 --out /tmp/zoo-be --no-reference \
    >> /tmp/export.log 2>&1 || { tail -20 /tmp/export.log; exit 1; }
fi
