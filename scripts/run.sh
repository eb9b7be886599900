#!/usr/bin/env bash
# The main job: installs what is missing, builds, exports ResNet-50 (seeded random weights, 1x3x224x224) and runs
# one inference with `missile run`, on the GPU when this machine has one and the build has the CUDA backend, else
# on the CPU. Prints what it did; the outputs land in out/run/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
MODEL=${MODEL:-resnet50}
ZOO=out/zoo-full
if [ ! -f "$ZOO/$MODEL/model.onnx" ]; then
  /usr/bin/python3 scripts/zoo/export_models.py --model "$MODEL" --size full --out "$ZOO"
fi
# One --input NAME=FILE per model input, as the exported case lists them.
mapfile -t inputs < <(/usr/bin/python3 -c '
import json, sys
case = sys.argv[1]
for name in json.load(open(case + "/case.json"))["inputs"]:
    print("--input"); print(f"{name}={case}/inputs/{name}.npy")' "$ZOO/$MODEL")
"${BUILD_DIR:-build}/missile" run "$ZOO/$MODEL/model.onnx" --backend auto "${inputs[@]}" \
  --output-dir out/run --warmup 2 --repeat 10
