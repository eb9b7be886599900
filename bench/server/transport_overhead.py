#!/usr/bin/env python3
"""What the HTTP transport costs per request on this machine (issue 6, acceptance 5's CPU-side breakdown).

A trivial model (the first 1000 values of a flattened 1x3x224x224 FP32 input: ResNet-50's 602,112-byte input and
its 4,000-byte output, almost no compute) served on the CPU backend, driven by `missile bench --mode both
--closed 1` (in-process through the same engine, then over HTTP with binary tensors). Then, over a second short
run, `strace -c -f` on the server counts its system calls per request.

    /usr/bin/python3 bench/server/transport_overhead.py [--missile build/missile] [--duration 10] [--out DIR]
        [--server-poll-us N --client-poll-us M]

Prints and writes DIR/transport-overhead.json: the in-process and HTTP latency (p50/p99), what serving adds, the
server's own share from its metrics (request minus compute, mean), how often the server's threads blocked per
request (voluntary context switches: each a wake-up), and the server's system calls per request.
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import onnx
from onnx import TensorProto, helper, numpy_helper
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import serverlib  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


def make_model(path):
    nodes = [helper.make_node("Flatten", ["x"], ["f"], name="flatten"),
             helper.make_node("Slice", ["f", "starts", "ends", "axes"], ["y"], name="slice")]
    constants = [numpy_helper.from_array(np.array([v], np.int64), n)
                 for n, v in (("starts", 0), ("ends", 1000), ("axes", 1))]
    graph = helper.make_graph(nodes, "first1000", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 224, 224])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1000])], constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # opset 17's; a newer onnx (the GPU machine's) would write one Debian's libonnx refuses
    onnx.save(model, str(path))


def metric_sums(url):
    text = urllib.request.urlopen(url + "/metrics", timeout=60).read().decode()
    labels = '{model="model",tenant="t"}'
    names = ("missile_inference_request_seconds_sum", "missile_inference_request_seconds_count",
             "missile_inference_compute_seconds_sum", "missile_inference_transfer_seconds_sum",
             "missile_inference_queue_seconds_sum")
    return {name: serverlib.metric(text, name + labels) for name in names}


def context_switches(pid):
    """Voluntary context switches (a thread blocking: each one a wake-up later) of the process's connection threads
    (named missile-http) and of all its other threads (the engine's), as (http, other)."""
    http, other = 0, 0
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    if name == "missile-http":
                        http += int(line.split()[1])
                    else:
                        other += int(line.split()[1])
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return http, other


def strace_counts(missile, url, pid, duration, work):
    """System calls of the server's threads per request, over a closed-loop run of `duration` seconds."""
    before = metric_sums(url)["missile_inference_request_seconds_count"]
    summary = work / "strace.txt"
    tracer = subprocess.Popen(["strace", "-c", "-f", "-o", str(summary), "-p", str(pid)],
                              stderr=subprocess.DEVNULL)
    time.sleep(1)  # attached to every thread
    subprocess.run([missile, "bench", "--quiet", "--url", url, "--model", "model", "--closed", "1", "--duration",
                    str(duration)], check=True, capture_output=True)
    after = metric_sums(url)["missile_inference_request_seconds_count"]
    tracer.send_signal(2)
    tracer.wait(timeout=60)
    requests = after - before
    calls = {}
    for line in summary.read_text().splitlines():
        parts = line.split()
        # "% time seconds usecs/call calls [errors] syscall"
        if len(parts) >= 5 and parts[0][0].isdigit() and not line.startswith("100.00"):
            calls[parts[-1]] = int(parts[3])
    # The two scrapes of /metrics are two requests of their own; they are negligible beside hundreds.
    return requests, {name: round(count / requests, 1) for name, count in sorted(calls.items(), key=lambda x: -x[1])
                      if count / requests >= 0.5}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--missile", default=str(ROOT / "build" / "missile"))
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--strace-duration", type=float, default=3)
    parser.add_argument("--server-poll-us", type=int, default=0, help="the server's server.busy_poll_us")
    parser.add_argument("--client-poll-us", type=int, default=0, help="the load generator's --busy-poll-us")
    parser.add_argument("--out", default=None, help="folder for transport-overhead.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        make_model(work / "model.onnx")
        config = {"server": {"port": 0, "http_threads": 16, "busy_poll_us": args.server_poll_us}, "policy": "shared",
                  "tenants": [{"name": "t", "class": "LS"}],
                  "models": [{"name": "model", "tenant": "t", "path": str(work / "model.onnx")}]}
        (work / "config.json").write_text(json.dumps(config))
        server = serverlib.ServerProcess(args.missile, work / "config.json")
        try:
            start = metric_sums(server.url)
            switches_before = context_switches(server.process.pid)
            subprocess.run([args.missile, "bench", "--quiet", "--mode", "both", "--config", str(work / "config.json"),
                            "--url", server.url, "--model", "model", "--closed", "1", "--duration",
                            str(args.duration), "--warmup", str(args.warmup), "--busy-poll-us",
                            str(args.client_poll_us), "--out", str(work / "both")],
                           check=True, capture_output=True)
            end = metric_sums(server.url)
            switches = [after - before for after, before in zip(context_switches(server.process.pid), switches_before)]
            results = json.loads((work / "both" / "results.json").read_text())
            strace_requests, syscalls = (strace_counts(args.missile, server.url, server.process.pid,
                                                       args.strace_duration, work)
                                         if shutil.which("strace") else (0, {}))
        finally:
            exit_code = server.stop()

    count = end["missile_inference_request_seconds_count"] - start["missile_inference_request_seconds_count"]
    own_us = 1e6 * ((end["missile_inference_request_seconds_sum"] - start["missile_inference_request_seconds_sum"])
                    - (end["missile_inference_compute_seconds_sum"] - start["missile_inference_compute_seconds_sum"])
                    - (end["missile_inference_transfer_seconds_sum"] - start["missile_inference_transfer_seconds_sum"])
                    ) / count
    inproc = results["inproc"]["streams"][0]["latency_ms"]
    http = results["http"]["streams"][0]["latency_ms"]
    summary = {
        "date": time.strftime("%Y-%m-%d"), "machine": serverlib.machine_description(), "missile": args.missile,
        "duration_s": args.duration, "warmup_s": args.warmup,
        "busy_poll_us": {"server": args.server_poll_us, "client": args.client_poll_us},
        "inproc_ms": {k: inproc[k] for k in ("p50", "p90", "p99", "mean")},
        "http_ms": {k: http[k] for k in ("p50", "p90", "p99", "mean")},
        "added_p50_us": round(1e3 * (http["p50"] - inproc["p50"]), 1),
        "added_p99_us": round(1e3 * (http["p99"] - inproc["p99"]), 1),
        "http_requests": results["http"]["streams"][0]["ok"],
        "http_failed": results["http"]["streams"][0]["failed"],
        "server_own_share_us": round(own_us, 1),
        # Over every request the server answered in the run (the in-process half runs in the bench's process).
        "server_blocking_waits_per_request": {"connection_threads": round(switches[0] / count, 2),
                                              "engine_threads": round(switches[1] / count, 2)},
        "strace_requests": strace_requests, "server_syscalls_per_request": syscalls,
        "server_exit_code": exit_code,
    }
    print(json.dumps(summary, indent=1))
    if args.out:
        out = pathlib.Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "transport-overhead.json").write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
