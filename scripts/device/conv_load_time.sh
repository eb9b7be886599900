#!/usr/bin/env bash
# Where models' load time goes in cuDNN convolution autotuning, and what leaving runtime-compiled engines out
# (MISSILE_CUDNN_RUNTIME_COMPILATION=0) costs at run time: for each MODEL x PRECISION x BATCH, one `missile run
# --cuda-graph` with each setting, its load time, its p50, and its tuning log summarised by
# bench/gpu/tuning_log.py.                                    -> $OUT/load-time.log, $OUT/load-time.json
# Device command (docs/device.md):
#   export MISSILE_PACK=$PWD/.deps/device.tar.xz; mkdir -p /tmp/t; tar -C /tmp/t -xJf $MISSILE_PACK ./tree;
#   cd /tmp/t/tree && MODELS="efficientnet_b0 resnet50" bash scripts/device/conv_load_time.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/device/env.sh
mkdir -p "$OUT"
WORK=/tmp/missile-models
MODELS=${MODELS:-efficientnet_b0 mobilenet_v2 resnet50}
PRECISIONS=${PRECISIONS:-fp32 fp16}
BATCHES=${BATCHES:-1 32}
input_name() {
  python3 -c "import sys; sys.path.insert(0, 'scripts/zoo'); import export_models as z; print(z.MODELS['$1'].input_name)"
}
{
  python3 bench/gpu/export.py --models $MODELS --work "$WORK" 2>&1 | grep -v Warning
  for model in $MODELS; do
    for precision in $PRECISIONS; do
      for batch in $BATCHES; do
        for rtc in 1 0; do
          label="$model $precision batch $batch rtc=$rtc"
          MISSILE_CUDNN_VERBOSE=1 MISSILE_CUDNN_RUNTIME_COMPILATION=$rtc "$MISSILE_BIN/missile" run \
            "$WORK/$model/model.onnx" --backend cuda --precision "$precision" --cuda-graph \
            --input "$(input_name "$model")=$WORK/$model/x$batch.npy" --warmup 10 --repeat 50 \
            >/tmp/run.out 2>/tmp/tuning.log
          echo "$label: $(grep -oE 'loaded in [0-9]+ ms' /tmp/run.out), $(grep -E '^latency' /tmp/run.out)"
          python3 bench/gpu/tuning_log.py /tmp/tuning.log --label "$label" --into "$OUT/load-time.json"
        done
      done
    done
  done
} 2>&1 | tee "$OUT/load-time.log"
