#!/usr/bin/env bash
# Issue 6, acceptance 5 on the GPU machine: what `missile serve` adds to p50 latency over in-process execution,
# ResNet-50 batch 1, binary tensors, CUDA backend. For each variant (precision x CUDA graph) it writes a server
# configuration, starts `missile serve`, runs `missile bench --mode both` (in-process through the same serving
# engine, transfer routes included, then over HTTP against the server; closed loop, one request outstanding),
# scrapes /metrics (the server's own request/compute times and the model's VRAM) and reads nvidia-smi's memory
# use while the server holds the model, then stops the server with SIGTERM. Then the breakdown on this host's
# CPUs: the server's own steps per request (missile_server_codec_bench) and the HTTP transport alone, a trivial
# model on the CPU backend (bench/server/transport_overhead.py; with its system calls when strace is there).
# BREAKDOWN=0 skips the breakdown.
# Device command: export MISSILE_PACK=$PWD/.deps-NAME/device.tar.xz; mkdir -p /tmp/t;
#   tar -C /tmp/t -xJf $MISSILE_PACK ./tree; cd /tmp/t/tree && bash scripts/device/server_overhead.sh
# Env: VARIANTS (default "fp16:graph fp32:graph fp16:kernels fp32:kernels"; further fields, in any order, switch
# options on: `poll` busy-polls the sockets: the server's connections for SERVER_POLL_US (default 200), the load
# generator's for CLIENT_POLL_US (default 5000), as the in-process side spins on the GPU; `shm` passes the
# tensors through the system shared-memory extension instead of binary tensors in the body; `buf` gives both
# ends' sockets SOCKET_BUFFER_BYTES (default 4 MiB) of buffers; `nopin` receives request bodies into ordinary
# memory instead of page-locked memory, server.pinned_body_bytes 0; `tl` has the load generator line its
# clock up with the server's timestamps, `missile bench --timeline`: where the HTTP side's time goes), DURATION (measured seconds, default 20 for
# graph variants, SHORT_DURATION 10 for kernel-by-kernel ones), WARMUP (s, default 3, before each round),
# ROUNDS (default 1: the measured time split into rounds that alternate in-process and HTTP, so both see the
# same drift), REPEAT (default 1: each variant again, with a fresh server and load generator, N times; the
# summary gives the median added p50); for a dry run of the plumbing on a CPU machine: BACKEND=cpu SIZE=small
# VARIANTS=fp32:kernels.
# Writes to $OUT: server-overhead.log, server-overhead.json (every variant, merged), and the breakdown:
# server-codec.json, transport-overhead.json (+ -poll), loopback-floor.json (the bytes over a local socket
# alone, no HTTP: the floor under what any server adds).
set -uo pipefail
source "$(dirname "$0")/env.sh"
source "$(dirname "$0")/serve_lib.sh"
mkdir -p "$OUT"
VARIANTS=${VARIANTS:-"fp16:graph fp32:graph fp16:kernels fp32:kernels"}
DURATION=${DURATION:-20}
ROUNDS=${ROUNDS:-1}
REPEAT=${REPEAT:-1}
SOCKET_BUFFER_BYTES=${SOCKET_BUFFER_BYTES:-4194304}
SHORT_DURATION=${SHORT_DURATION:-10}
WARMUP=${WARMUP:-3}
BACKEND=${BACKEND:-cuda}
SIZE=${SIZE:-full}
PYTHON=${PYTHON:-python3}  # with torch and onnx: the GPU machine's python3; Debian's /usr/bin/python3 here
work=/tmp/server-overhead

# A run's name: the variant's fields joined by '-' (precision-mode[-flag...], flags in the order given), and
# -rN for the Nth repeat when there are several.
run_name() {
  local name=${1//:/-}
  if [ "$REPEAT" -gt 1 ]; then name="$name-r$2"; fi
  echo "$name"
}
rm -rf "$work" && mkdir -p "$work"

{
  echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,driver_version,memory.used --format=csv,noheader 2>&1)"
  echo "== host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "== NUMA: $(lscpu 2>/dev/null | grep -E '^NUMA node' | tr -s ' ' | paste -sd';')"
  echo "== socket buffer limits: rmem_max $(cat /proc/sys/net/core/rmem_max) wmem_max $(cat /proc/sys/net/core/wmem_max) tcp_rmem $(cat /proc/sys/net/ipv4/tcp_rmem | tr '\t' ' ') tcp_wmem $(cat /proc/sys/net/ipv4/tcp_wmem | tr '\t' ' ')"
  nvidia-smi topo -m 2>/dev/null | head -5
  echo "== missing libraries"; ldd "$MISSILE_BIN/missile" | grep "not found" || echo none
  echo "== export ResNet-50 ($SIZE size, batch 1, no reference)"
  start=$(date +%s)
  "$PYTHON" scripts/zoo/export_models.py --model resnet50 --size "$SIZE" --out "$work/zoo" --no-reference \
    > "$work/export.log" 2>&1 || { tail -20 "$work/export.log"; exit 1; }
  echo "== exported in $(( $(date +%s) - start )) s"

  for rep in $(seq 1 "$REPEAT"); do
  for variant in $VARIANTS; do
    IFS=: read -r precision mode flags <<<"$variant"
    graph=false; duration=$SHORT_DURATION
    if [ "$mode" = graph ]; then graph=true; duration=$DURATION; fi
    server_poll=0; client_poll=0; tensors=binary; tensor_flag=""; buffers=0; pinned_body=268435456
    name=$(run_name "$variant" "$rep")
    case ":${flags:-}:" in *:poll:*) server_poll=${SERVER_POLL_US:-200}; client_poll=${CLIENT_POLL_US:-5000};; esac
    case ":${flags:-}:" in *:shm:*) tensors="system shared memory"; tensor_flag=--shared-memory;; esac
    case ":${flags:-}:" in *:buf:*) buffers=$SOCKET_BUFFER_BYTES;; esac
    case ":${flags:-}:" in *:nopin:*) pinned_body=0;; esac
    timeline_flag=""; case ":${flags:-}:" in *:tl:*) timeline_flag=--timeline;; esac
    config="$work/$name.json"
    cat > "$config" <<JSON
{
  "server": {"host": "127.0.0.1", "port": 0, "backend": "$BACKEND", "http_threads": 16,
             "busy_poll_us": $server_poll, "socket_buffer_bytes": $buffers, "pinned_body_bytes": $pinned_body,
             "allow_client_shared_memory": true},
  "policy": "missile",
  "tenants": [{"name": "camera", "class": "LS"}],
  "models": [{"name": "resnet50", "tenant": "camera", "path": "$work/zoo/resnet50/model.onnx",
              "precision": "$precision", "cuda_graph": $graph}]
}
JSON
    echo "== $name: missile serve ($(date -u +%T))"
    if ! start_server "$config" "$work/$name-serve.log" 240; then
      echo "== $name: the server did not start"; kill "$server" 2>/dev/null; continue
    fi
    grep -E "socket buffers|page-locked" "$work/$name-serve.log"
    echo "== $name: GPU memory with the server's model loaded: $(nvidia-smi --query-gpu=memory.used --format=csv,noheader)"
    nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader
    echo "== $name: missile bench --mode both --rounds $ROUNDS, closed loop 1, ${duration} s measured over the rounds, ${WARMUP} s warm-up before each, $tensors tensors, busy poll server ${server_poll} us client ${client_poll} us, socket buffers ${buffers} ($(date -u +%T))"
    "$MISSILE_BIN/missile" bench --mode both --config "$config" --url "http://127.0.0.1:$port" --model resnet50 \
      --closed 1 --duration "$(python3 -c "print($WARMUP + $duration)")" --warmup "$WARMUP" --rounds "$ROUNDS" \
      --busy-poll-us "$client_poll" --socket-buffer-bytes "$buffers" $tensor_flag $timeline_flag \
      --out "$work/$name" --quiet
    echo "== $name: bench exit $?"
    python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
      "http://127.0.0.1:$port/metrics" > "$work/$name-metrics.txt"
    grep -E '^missile_(model_vram_bytes|inference_(request|compute|queue|transfer)_seconds_(sum|count))' \
      "$work/$name-metrics.txt"
    kill -TERM "$server"; wait "$server"; echo "== $name: server exit $?"
  done
  done

  echo "== summary"
  python3 - "$work" "$REPEAT" $VARIANTS <<'PY'
import json, re, sys, pathlib, statistics
work = pathlib.Path(sys.argv[1])
repeat = int(sys.argv[2])
summary = {}
names = [variant.replace(":", "-") + (f"-r{rep}" if repeat > 1 else "")  # the shell's run_name
         for rep in range(1, repeat + 1) for variant in sys.argv[3:]]
for name in names:
    results = work / name / "results.json"
    if not results.exists():
        summary[name] = {"error": "no results"}
        continue
    r = json.loads(results.read_text())
    entry = {"inproc_ms": r["inproc"]["streams"][0]["latency_ms"], "http_ms": r["http"]["streams"][0]["latency_ms"],
             "inproc_ok": r["inproc"]["streams"][0]["ok"], "http_ok": r["http"]["streams"][0]["ok"],
             "http_failed": r["http"]["streams"][0]["failed"], "overhead_us": r.get("overhead_us")}
    metrics = {}
    for line in (work / f"{name}-metrics.txt").read_text().splitlines():
        m = re.match(r'(missile_inference_(?:request|compute|queue|transfer)_seconds_(?:sum|count))\{[^}]*\} (\S+)', line)
        if m: metrics[m.group(1)] = float(m.group(2))
        m = re.match(r'missile_model_vram_bytes\{.*kind="(\w+)"\} (\S+)', line)
        if m: metrics["vram_" + m.group(1)] = float(m.group(2))
    entry["server_metrics"] = metrics
    n = metrics.get("missile_inference_request_seconds_count", 0)
    if n:
        entry["server_request_minus_compute_us"] = 1e6 * (metrics["missile_inference_request_seconds_sum"]
                                                          - metrics["missile_inference_compute_seconds_sum"]) / n
    if "http_timeline" in r:
        entry["http_timeline"] = r["http_timeline"]
    summary[name] = entry
    i, h = entry["inproc_ms"], entry["http_ms"]
    print(f"{name:14} inproc p50 {i['p50']:.3f} p99 {i['p99']:.3f} ms | http p50 {h['p50']:.3f} p99 {h['p99']:.3f} ms"
          f" | +p50 {1e3 * (h['p50'] - i['p50']):.1f} us +p99 {1e3 * (h['p99'] - i['p99']):.1f} us"
          f" | server-side non-compute {entry.get('server_request_minus_compute_us', float('nan')):.1f} us/request")
    if "http_timeline" in entry:
        phases = entry["http_timeline"]["phases_us"]
        print(f"{'':14} timeline p50 (us): " + ", ".join(f"{k} {v['p50']:.1f}" for k, v in phases.items()))
if repeat > 1:
    print("== added p50 over the repeats (us): median, then each run")
    for variant in sys.argv[3:]:
        base = variant.replace(":", "-")
        added = [1e3 * (summary[n]["http_ms"]["p50"] - summary[n]["inproc_ms"]["p50"])
                 for n in (f"{base}-r{rep}" for rep in range(1, repeat + 1)) if "http_ms" in summary.get(n, {})]
        if added:
            summary[base] = {"added_p50_us_median": statistics.median(added), "added_p50_us": added}
            print(f"{base:18} {statistics.median(added):7.1f}   " + " ".join(f"{a:.1f}" for a in added))
json.dump(summary, open(work / "summary.json", "w"), indent=1)
PY
  cp "$work/summary.json" "$OUT/server-overhead.json"

  if [ "${BREAKDOWN:-1}" != 0 ]; then
    echo "== the server's own steps per ResNet-50 request (this host's CPU) ($(date -u +%T))"
    "$MISSILE_BIN/missile_server_codec_bench" --repeat 2000 --json "$OUT/server-codec.json"
    echo "== the transport floor: the request's bytes over a local socket and 4 KB back, nothing else"
    "$MISSILE_BIN/missile_loopback_floor" --round-trips 10000 --json "$OUT/loopback-floor.json"
    echo "== the HTTP transport alone: a trivial model (602,112 bytes in, 4,000 out) on the CPU backend"
    PYTHONUNBUFFERED=1 "$PYTHON" bench/server/transport_overhead.py --missile "$MISSILE_BIN/missile" \
      --duration "${TRANSPORT_DURATION:-6}" --warmup 2 --out "$work/transport" &&
      cp "$work/transport/transport-overhead.json" "$OUT/transport-overhead.json"
    echo "== the HTTP transport alone, busy-polling (server ${SERVER_POLL_US:-200} us, client ${CLIENT_POLL_US:-5000} us)"
    PYTHONUNBUFFERED=1 "$PYTHON" bench/server/transport_overhead.py --missile "$MISSILE_BIN/missile" \
      --duration "${TRANSPORT_DURATION:-6}" --warmup 2 --server-poll-us "${SERVER_POLL_US:-200}" \
      --client-poll-us "${CLIENT_POLL_US:-5000}" --out "$work/transport-poll" &&
      cp "$work/transport-poll/transport-overhead.json" "$OUT/transport-overhead-poll.json"
    echo "== done ($(date -u +%T))"
  fi
} 2>&1 | tee "$OUT/server-overhead.log"
