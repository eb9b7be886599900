#!/usr/bin/env bash
# Issue 7, acceptance 4 in the server: does `missile serve` (policy missile, CUDA backend) decide by itself, while
# serving, whether the L2 set-aside helps its LS tenant? An LS tenant serves ResNet-50 batch 1 fp16 (CUDA graph,
# `l2_setaside` left to its default: `auto` under policy missile) beside a BE tenant serving ResNet-152 batch 32
# fp16; `missile bench` drives both over HTTP (LS Poisson, BE closed loop).
#   phase 1 "trial":   until the LS tenant's online trial (ABBA rounds with and without the set-aside, counting
#                      requests served while the BE tenant was busy) has decided; /metrics is scraped every
#                      second (the trial's timeline) and at the end (the decision, the per-side p99s); the load
#                      stops once it has decided;
#   phase 2 "decided": the same load in the decided mode: what users get afterwards;
#   phase 3 "opposite": a fresh server with the opposite fixed mode (`l2_setaside` on if the trial said no,
#                      off if it said yes) and the same load, for the end-to-end comparison (skipped when the
#                      run has used more than OPPOSITE_AFTER_S seconds).
# Device command: export MISSILE_PACK=$PWD/.deps-NAME/device.tar.xz; mkdir -p /tmp/t;
#   tar -C /tmp/t -xJf $MISSILE_PACK ./tree; cd /tmp/t/tree && bash scripts/device/l2_trial_server.sh
# Env: LS_RATE (req/s, default 100), BE_CONCURRENCY (3), REQUESTS_PER_ROUND (200), ROUNDS_PER_SIDE (3),
#   TRIAL_MAX_S (40), DECIDED_S (10; 0 skips phase 2), OPPOSITE_S (10; 0 skips phase 3), OPPOSITE_AFTER_S (80),
#   RETRIAL (0; 1: after the first decision, unload and load the BE model, which starts a new trial, and run the
#   load until that one decides too: phase 1b); for a dry run of the plumbing on a
#   CPU machine (the set-aside is unavailable there, so the trial never decides): BACKEND=cpu SIZE=small
#   BE_BATCH=2 TRIAL_MAX_S=6 DECIDED_S=3 OPPOSITE_S=0 PYTHON=/usr/bin/python3.
# Writes to $OUT: l2-trial-server.log (everything), l2-trial-server.json (the summary), l2-trial-metrics.txt (the
# last /metrics of phase 2), results-decided.json and results-opposite.json (the bench's results).
set -uo pipefail
source "$(dirname "$0")/env.sh"
source "$(dirname "$0")/serve_lib.sh"
mkdir -p "$OUT"
LS_RATE=${LS_RATE:-100}
BE_CONCURRENCY=${BE_CONCURRENCY:-3}
REQUESTS_PER_ROUND=${REQUESTS_PER_ROUND:-200}
ROUNDS_PER_SIDE=${ROUNDS_PER_SIDE:-3}
TRIAL_MAX_S=${TRIAL_MAX_S:-40}
DECIDED_S=${DECIDED_S:-10}
OPPOSITE_S=${OPPOSITE_S:-10}
OPPOSITE_AFTER_S=${OPPOSITE_AFTER_S:-80}
RETRIAL=${RETRIAL:-0}
BACKEND=${BACKEND:-cuda}
SIZE=${SIZE:-full}
BE_BATCH=${BE_BATCH:-32}
PYTHON=${PYTHON:-python3}  # with torch and onnx: the GPU machine's python3; Debian's /usr/bin/python3 here
work=/tmp/l2-trial-server
rm -rf "$work" && mkdir -p "$work"
if [ "$BACKEND" = cuda ]; then gpu='"precision": "fp16", "cuda_graph": true,'; else gpu=; fi

# write_config FILE [L2_MODE]: the two tenants; without L2_MODE the LS tenant keeps the default.
write_config() {
  local l2=
  [ -n "${2:-}" ] && l2=", \"l2_setaside\": \"$2\""
  cat > "$1" <<JSON
{
  "server": {"host": "127.0.0.1", "port": 0, "backend": "$BACKEND", "http_threads": 32},
  "policy": "missile",
  "l2_trial": {"requests_per_round": $REQUESTS_PER_ROUND, "rounds_per_side": $ROUNDS_PER_SIDE},
  "tenants": [{"name": "camera", "class": "LS"$l2},
              {"name": "batch", "class": "BE"}],
  "models": [{"name": "resnet50", "tenant": "camera", "path": "$work/zoo/bs1/resnet50/model.onnx", $gpu
              "tf32": true},
             {"name": "resnet152", "tenant": "batch", "path": "$work/zoo/bs$BE_BATCH/resnet152/model.onnx", $gpu
              "tf32": true}]
}
JSON
}

scrape() { "$PYTHON" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' "http://127.0.0.1:$port/metrics"; }

# The LS tenant's set-aside state from a scrape on stdin, as one line: state=... active=... rounds with/without.
l2_line() {
  "$PYTHON" -c '
import re, sys
text = sys.stdin.read()
def get(name, labels=""):
    m = re.search(r"^" + name + r"\{tenant=\"camera\"" + labels + r"\} (\S+)$", text, re.M)
    return m.group(1) if m else "-"
state = re.search(r"missile_tenant_l2_setaside_info\{tenant=\"camera\",mode=\"(\w+)\",state=\"(\w+)\"\}", text)
print("mode=%s state=%s active=%s rounds with/without=%s/%s p99 with/without=%s/%s s requests contended/uncontended/settling=%s/%s/%s limit=%s" % (
    state.group(1) if state else "-", state.group(2) if state else "-", get("missile_tenant_l2_setaside_active"),
    get("missile_tenant_l2_setaside_trial_rounds", ",side=\"with\""), get("missile_tenant_l2_setaside_trial_rounds", ",side=\"without\""),
    get("missile_tenant_l2_setaside_trial_p99_seconds", ",side=\"with\""), get("missile_tenant_l2_setaside_trial_p99_seconds", ",side=\"without\""),
    get("missile_tenant_l2_setaside_requests_total", ",kind=\"contended\""), get("missile_tenant_l2_setaside_requests_total", ",kind=\"uncontended\""),
    get("missile_tenant_l2_setaside_requests_total", ",kind=\"settling\""),
    (re.search(r"^missile_l2_setaside_limit_bytes (\S+)$", text, re.M) or [None, "-"])[1]))
'
}

# workload FILE SECONDS: LS Poisson + BE closed loop.
workload() {
  cat > "$1" <<JSON
{"duration_s": $2, "warmup_s": 0,
 "streams": [{"name": "camera", "model": "resnet50", "pattern": {"type": "poisson", "rate": $LS_RATE, "seed": 7}},
             {"name": "batch", "model": "resnet152", "pattern": {"type": "closed", "concurrency": $BE_CONCURRENCY}}]}
JSON
}

# bench NAME SECONDS: the workload against $port, results in $work/NAME.
bench() {
  workload "$work/$1-workload.json" "$2"
  "$MISSILE_BIN/missile" bench --workload "$work/$1-workload.json" --url "http://127.0.0.1:$port" \
    --out "$work/$1" --quiet
  echo "== $1: bench exit $?"
  cp "$work/$1/results.json" "$OUT/results-$1.json" 2>/dev/null
}

# run_trial TAG: the load until the LS tenant's trial decides (at most TRIAL_MAX_S s), /metrics every second;
# sets $decided_at, leaves the last scrape in $work/TAG-metrics.txt.
run_trial() {
  echo "== $1: bench for at most $TRIAL_MAX_S s; /metrics every second until the trial decides, then the bench"
  echo "   is stopped (its own numbers mix both modes; the trial's are in /metrics)"
  workload "$work/$1-workload.json" "$TRIAL_MAX_S"
  "$MISSILE_BIN/missile" bench --workload "$work/$1-workload.json" --url "http://127.0.0.1:$port" --quiet \
    > "$work/$1-bench.log" 2>&1 &
  local bench_pid=$! start=$SECONDS line
  decided_at=
  while kill -0 "$bench_pid" 2>/dev/null; do
    sleep 1
    line=$(scrape | l2_line)
    echo "t=$(( SECONDS - start )) s $line"
    if [[ "$line" =~ state=(use|do_not_use|failed) ]]; then
      decided_at=$(( SECONDS - start ))
      echo "== decided after $decided_at s of load"
      kill "$bench_pid" 2>/dev/null
      break
    fi
  done
  wait "$bench_pid" 2>/dev/null
  tail -5 "$work/$1-bench.log"
  scrape > "$work/$1-metrics.txt"
  echo "== $1 end: $(l2_line < "$work/$1-metrics.txt")"
  grep -E '^missile_(tenant_l2|l2_)' "$work/$1-metrics.txt"
}

# repository ACTION MODEL: POST /v2/repository/models/MODEL/ACTION (load or unload).
repository() {
  "$PYTHON" -c 'import sys, urllib.request; r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"", method="POST")); print(r.status, r.read().decode())' \
    "http://127.0.0.1:$port/v2/repository/models/$2/$1"
}

{
  echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version,memory.used --format=csv,noheader 2>&1)"
  echo "== host: $(nproc) CPUs; LS Poisson $LS_RATE req/s, BE closed loop $BE_CONCURRENCY; trial $ROUNDS_PER_SIDE rounds per side of $REQUESTS_PER_ROUND contended requests"
  echo "== missing libraries"; ldd "$MISSILE_BIN/missile" | grep "not found" || echo none
  if [ -x "$MISSILE_BIN/missile_unit_tests" ]; then
    echo "== unit tests: the set-aside's coordinator, settings and metrics, the server's executors and its CUDA device"
    "$MISSILE_BIN/missile_unit_tests" --gtest_brief=1 \
      --gtest_filter='L2SetAside*:ScheduledExecutor*:ServerMetrics*:ServerConfig*:-*TheExamplesParse' 2>&1 |
      tail -15  # (the examples are not packed)
  fi
  echo "== export ResNet-50 batch 1 and ResNet-152 batch $BE_BATCH ($SIZE size, no reference)"
  "$PYTHON" scripts/zoo/export_models.py --model resnet50 --size "$SIZE" --batch 1 --no-reference \
    --out "$work/zoo/bs1" > "$work/export-ls.log" 2>&1 &
  ls_export=$!
  "$PYTHON" scripts/zoo/export_models.py --model resnet152 --size "$SIZE" --batch "$BE_BATCH" --no-reference \
    --out "$work/zoo/bs$BE_BATCH" > "$work/export-be.log" 2>&1 || { tail -20 "$work/export-be.log"; exit 1; }
  wait "$ls_export" || { tail -20 "$work/export-ls.log"; exit 1; }
  echo "== exported at ${SECONDS} s"

  write_config "$work/auto.json"
  echo "== phase 1 (trial): missile serve, camera's l2_setaside left to its default"
  if ! start_server "$work/auto.json" "$work/auto-serve.log"; then echo "== the server did not start"; exit 1; fi
  echo "== server up at ${SECONDS} s"
  scrape | l2_line
  run_trial trial

  decision=$(sed -n 's/.*state="\(use\|do_not_use\|failed\|trial\)".*/\1/p' "$work/trial-metrics.txt" | head -1)
  first_decided_at=$decided_at
  if [ "$RETRIAL" = 1 ]; then
    echo "== phase 1b (the tenants change): unload the BE model, then load it again; each starts a new trial"
    repository unload resnet152
    echo "   after the unload: $(scrape | l2_line)"
    repository load resnet152
    echo "   after the load:   $(scrape | tee "$work/reloaded-metrics.txt" | l2_line)"
    grep -E '^missile_tenant_l2_setaside_trials_total' "$work/reloaded-metrics.txt"
    run_trial retrial
  fi
  echo "== the server's L2 set-aside log"
  grep "L2 set-aside" "$work/auto-serve.log"
  if [ "$DECIDED_S" -gt 0 ]; then
    echo "== phase 2 (decided: ${decision:-none}): the same load for $DECIDED_S s"
    bench decided "$DECIDED_S"
    scrape > "$work/decided-metrics.txt"
    echo "== phase 2 end: $(l2_line < "$work/decided-metrics.txt")"
  else
    scrape > "$work/decided-metrics.txt"
  fi
  cp "$work/decided-metrics.txt" "$OUT/l2-trial-metrics.txt"
  kill -TERM "$server"; wait "$server"; echo "== server exit $?"

  opposite=on
  [ "$decision" = use ] && opposite=off
  if [ "$OPPOSITE_S" -gt 0 ] && [ "$SECONDS" -lt "$OPPOSITE_AFTER_S" ]; then
    write_config "$work/opposite.json" "$opposite"
    echo "== phase 3 (opposite): missile serve with camera's l2_setaside $opposite, the same load for $OPPOSITE_S s"
    if start_server "$work/opposite.json" "$work/opposite-serve.log"; then
      bench opposite "$OPPOSITE_S"
      echo "== phase 3 end: $(scrape | l2_line)"
      kill -TERM "$server"; wait "$server"; echo "== server exit $?"
    else
      echo "== the server did not start"
    fi
  else
    echo "== phase 3 skipped (OPPOSITE_S=$OPPOSITE_S, ${SECONDS} s used)"
  fi

  echo "== summary"
  "$PYTHON" - "$work" "${first_decided_at:-}" "$opposite" "${decided_at:-}" <<'PY'
import json, pathlib, re, sys
work, decided_at, opposite, redecided_at = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
summary = {"decided_after_s": float(decided_at) if decided_at else None, "phases": {}}
for phase in ["decided", "opposite"]:
    results = work / phase / "results.json"
    if not results.exists():
        continue
    streams = {s["name"]: s for s in json.loads(results.read_text())["http"]["streams"]}
    entry = {name: {"ok": s["ok"], "failed": s["failed"], "throughput_rps": s["throughput_rps"],
                    "latency_ms": {k: s["latency_ms"][k] for k in ("p50", "p90", "p99", "max")}}
             for name, s in streams.items()}
    if phase == "opposite":
        entry["l2_setaside"] = opposite
    summary["phases"][phase] = entry
    ls, be = streams.get("camera"), streams.get("batch")
    print(f"{phase:9} LS p50 {ls['latency_ms']['p50']:.3f} p99 {ls['latency_ms']['p99']:.3f} ms ({ls['ok']} ok, "
          f"{ls['failed']} failed) | BE {be['throughput_rps']:.1f} req/s ({be['failed']} failed)")
def l2_metrics(path):
    l2 = {}
    for line in path.read_text().splitlines():
        m = re.match(r'(missile_(?:tenant_l2_setaside|l2_setaside)_\w+)(\{[^}]*\})? (\S+)$', line)
        if m:
            l2[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return l2
summary["trial_metrics"] = l2_metrics(work / "trial-metrics.txt")
if (work / "retrial-metrics.txt").exists():
    summary["retrial_metrics"] = l2_metrics(work / "retrial-metrics.txt")
    summary["redecided_after_s"] = float(redecided_at) if redecided_at else None
log = (work / "auto-serve.log").read_text().splitlines()
summary["server_log"] = [line for line in log if "L2 set-aside" in line]
json.dump(summary, open(work / "summary.json", "w"), indent=1)
PY
  cp "$work/summary.json" "$OUT/l2-trial-server.json"
} 2>&1 | tee "$OUT/l2-trial-server.log"
