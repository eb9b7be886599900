#!/usr/bin/env bash
# Report: the twelve evaluation models at small inputs through `missile run --backend cpu`, compared with PyTorch.
# Writes docs/results/cpu-model-accuracy.{md,json}. The same check runs in the test suite (ctest -R model_).
# Usage: bench/model_accuracy.sh [OPSET]   (build first: scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
OPSET=${1:-17}
ZOO=out/zoo-small-opset$OPSET
MODELS="resnet50 resnet101 resnet152 vgg16 vgg19 densenet201 inception_v3 mobilenet_v2 efficientnet_b0 vit_b_16
  bert_base gpt2_small"
mkdir -p out/accuracy docs/results
for model in $MODELS; do
  [ -f "$ZOO/$model/model.onnx" ] || /usr/bin/python3 scripts/zoo/export_models.py --model "$model" --size small \
    --opset "$OPSET" --out "$ZOO"
  /usr/bin/python3 tests/models/check_model.py --missile "${BUILD_DIR:-build}/missile" --case "$ZOO/$model" \
    --json "out/accuracy/$model-opset$OPSET.json" >/dev/null
done
/usr/bin/python3 - "$OPSET" $MODELS <<'PY'
import datetime, json, subprocess, sys
opset, models = sys.argv[1], sys.argv[2:]
rows = [json.load(open(f"out/accuracy/{m}-opset{opset}.json")) for m in models]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
date = datetime.date.today().isoformat()
lines = [f"# CPU backend vs PyTorch: the twelve models at small inputs, opset {opset}", "",
         "| model | input | max relative error | tolerance | passed |", "| --- | --- | --- | --- | --- |"]
for r in rows:
    shape = "; ".join(f"{n} {v['dtype']}{v['shape']}" for n, v in r["inputs"].items())
    error = max(r["max_relative_error"].values())
    lines.append(f"| {r['model']} | {shape} | {error:.2e} | {r['tolerance']:.0e} | {'yes' if r['passed'] else 'NO'} |")
lines += ["", "Relative error: max|missile - torch| / max|torch| over the output (docs/test-cases.md).",
          f"Command: `bench/model_accuracy.sh {opset}`; machine: {cpu}; commit {commit}; date {date}."]
open(f"docs/results/cpu-model-accuracy-opset{opset}.md", "w").write("\n".join(lines) + "\n")
json.dump({"date": date, "commit": commit, "machine": cpu, "opset": int(opset), "models": rows},
          open(f"docs/results/cpu-model-accuracy-opset{opset}.json", "w"), indent=2)
print("\n".join(lines))
PY
