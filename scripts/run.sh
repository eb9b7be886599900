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
# The export also saved PyTorch's output for the same input: say how close Missile came.
/usr/bin/python3 - "$ZOO/$MODEL" <<'PY'
import json, pathlib, sys
import numpy as np
case = pathlib.Path(sys.argv[1])
for name in json.loads((case / "case.json").read_text())["outputs"]:
    got, want = np.load(f"out/run/{name}.npy"), np.load(case / "expected" / f"{name}.npy")
    error = np.max(np.abs(got.astype(np.float64) - want)) / max(np.max(np.abs(want)), 1e-6)
    print(f"check    {name}: max relative error vs PyTorch {error:.2e}")
PY
