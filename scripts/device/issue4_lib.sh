# Sourced by the issue-4 device scripts (issue4_acceptance.sh, colocation_variants.sh): the environment and the
# steps they share. Sets here, log (under $OUT, named by the caller's $1) and start; defines:
#   stamp TEXT                 a timestamped line
#   begin_run                  starts scripts/device/export_resnets.sh in the background (the models export on
#                              the CPU meanwhile), then runs the GPU launcher's unit tests into $OUT/tests.log;
#                              call it and wait_for_models in the same shell (`wait` needs its own child)
#   wait_for_models            waits for the export, printing its log on failure
#   memory_bench FILE ARGS...  missile_memory_interference_bench (acceptance 6), its JSON into $OUT/FILE
#   plan_check N               N times, with cuDNN's runtime-compiled engines allowed and left out
#                              (MISSILE_CUDNN_RUNTIME_COMPILATION): a short colocation bench whose start checks
#                              an LS request in seven green-context partitions; prints whether the check passed
#                              and how many of the chosen convolution plans were runtime-compiled
#                              (MISSILE_CUDNN_VERBOSE's '*' lines; logs in $OUT/plan-check.log)
#   colocation_bench ARGS...   missile_colocation_bench on the exported models and the measured profiles, its
#                              output lines prefixed with the epoch time (for gpu_clocks.py), while nvidia-smi
#                              samples the SM clock and power into $OUT/gpu-clocks.csv; then the clocks per run
#                              ($OUT/gpu-clocks-per-run.json)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/env.sh"
mkdir -p "$OUT"
log="$OUT/$1"
start=$(date +%s)
stamp() { echo "== $(date -u +%FT%TZ) $*"; }
begin_run() {
  bash "$here/export_resnets.sh" > /tmp/export-status.log 2>&1 &
  export_pid=$!
  stamp "GPU launcher tests"
  "$MISSILE_BIN/missile_unit_tests" --gtest_filter='*CudaLauncher*' > "$OUT/tests.log" 2>&1
  echo "exit $?"; grep -E '^\[  (PASSED|FAILED|  SKIPPED)' "$OUT/tests.log"
}
wait_for_models() {
  stamp "waiting for the model exports"
  wait "$export_pid" || { cat /tmp/export-status.log; return 1; }
}
memory_bench() {
  local file=$1
  shift
  stamp "missile_memory_interference_bench $*"
  "$MISSILE_BIN/missile_memory_interference_bench" "$@" --json "$OUT/$file"
  echo "exit $?, $(( $(date +%s) - start )) s"
}
# The colocation scenario's models (exported by export_resnets.sh) and their measured profiles.
scenario=(--ls-model /tmp/zoo-ls/resnet50/model.onnx --be-model /tmp/zoo-be/resnet152/model.onnx
          --ls-profile data/profiles/measured/resnet50-bs1-fp16.json
          --be-profile data/profiles/measured/resnet152-bs32-fp16.json)
plan_check() {
  local rounds=$1 setting i
  for setting in 1 0; do
    for i in $(seq 1 "$rounds"); do
      MISSILE_CUDNN_RUNTIME_COMPILATION=$setting MISSILE_CUDNN_VERBOSE=1 "$MISSILE_BIN/missile_colocation_bench" \
        "${scenario[@]}" --runs ls-alone --seconds 2 --warmup 1 > /tmp/plan-check.out 2> /tmp/plan-check.err
      local partitions chosen compiled
      partitions=$(grep -m1 '^partitions:' /tmp/plan-check.out | cut -c1-160)
      chosen=$(grep -c '^  \* ' /tmp/plan-check.err)
      compiled=$(grep '^  \* ' /tmp/plan-check.err | grep -c '+rtc')
      echo "runtime compilation $setting, try $i: $chosen plans chosen, $compiled runtime-compiled; $partitions"
      { echo "== runtime compilation $setting, try $i"; cat /tmp/plan-check.out;
        grep -E '^cudnn graph|^  \*|failed' /tmp/plan-check.err; } >> "$OUT/plan-check.log"
    done
  done
}
colocation_bench() {
  nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu,clocks_event_reasons.active \
    --format=csv,noheader -lms 250 > "$OUT/gpu-clocks.csv" 2>/dev/null &
  local sampler=$!
  "$MISSILE_BIN/missile_colocation_bench" "${scenario[@]}" "$@" |
    while IFS= read -r line; do echo "$(date +%s.%N) $line"; done | tee /tmp/colocation-timed.log | cut -d' ' -f2-
  local status=${PIPESTATUS[0]}
  kill "$sampler" 2>/dev/null
  python3 "$here/gpu_clocks.py" "$OUT/gpu-clocks.csv" /tmp/colocation-timed.log --json "$OUT/gpu-clocks-per-run.json"
  return "$status"
}
stamp "$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader)" | tee "$log"
