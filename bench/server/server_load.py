#!/usr/bin/env python3
"""The server under sustained load (issue 6, acceptance 3): 64 connections in closed loop for 60 s against the CPU
backend with a small model; zero failed requests and a stable resident set (within 10% over the last 40 s).

    /usr/bin/python3 bench/server/server_load.py [--missile build/missile] [--model build/zoo-small/mobilenet_v2/model.onnx]

Writes docs/results/server-load-64conn-cpu.{md,json} and its plots (latency CDF, throughput and RSS over time).
Exits 1 when a request failed or the RSS moved more than 10% over the last 40 s.
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

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import serverlib  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--missile", default=str(ROOT / "build" / "missile"))
    parser.add_argument("--model", default=str(ROOT / "build" / "zoo-small" / "mobilenet_v2" / "model.onnx"))
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--window", type=float, default=40, help="the last seconds the RSS must be stable over")
    parser.add_argument("--out", default=str(ROOT / "docs" / "results"))
    parser.add_argument("--name", default="server-load-64conn-cpu")
    args = parser.parse_args()

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        config = {"server": {"port": 0, "http_threads": 128}, "policy": "missile",
                  "tenants": [{"name": "camera", "class": "LS", "vram_quota": "1GiB"}],
                  "models": [{"name": "model", "tenant": "camera", "path": str(pathlib.Path(args.model).resolve())}]}
        (tmp / "config.json").write_text(json.dumps(config))
        machine = serverlib.machine_description()
        server = serverlib.ServerProcess(args.missile, tmp / "config.json")
        sampler = serverlib.RssSampler(server.process.pid)
        bench_start = time.time() - sampler.start
        command = [args.missile, "bench", "--url", server.url, "--model", "model", "--closed",
                   str(args.connections), "--duration", str(args.duration), "--out", str(tmp / "bench")]
        bench = subprocess.run(command, capture_output=True, text=True)
        bench_end = time.time() - sampler.start
        metrics = urllib.request.urlopen(server.url + "/metrics", timeout=60).read().decode()
        samples = sampler.stop()
        exit_code = server.stop()
        if bench.returncode != 0:
            sys.exit(f"missile bench failed ({bench.returncode}):\n{bench.stdout}\n{bench.stderr}")
        results = json.loads((tmp / "bench" / "results.json").read_text())
        for plot in ("latency-cdf.svg", "throughput.svg"):
            shutil.copy(tmp / "bench" / plot, out / f"{args.name}-{plot}")

    stream = results["http"]["streams"][0]
    server_side = {name: serverlib.metric(metrics, f'{name}{{model="model",tenant="camera"}}')
                   for name in ("missile_inference_compute_seconds_sum", "missile_inference_compute_seconds_count",
                                "missile_inference_queue_seconds_sum", "missile_inference_request_seconds_sum")}
    count = server_side["missile_inference_compute_seconds_count"]
    compute_ms = 1e3 * server_side["missile_inference_compute_seconds_sum"] / count
    queue_ms = 1e3 * server_side["missile_inference_queue_seconds_sum"] / count
    in_server_ms = 1e3 * server_side["missile_inference_request_seconds_sum"] / count
    # The run's samples, relative to the bench's start; the window is the run's last `window` seconds.
    run = [(t - bench_start, rss) for t, rss in samples if bench_start <= t <= bench_end]
    window = [rss for t, rss in run if t >= args.duration - args.window and t <= args.duration]
    low, high = min(window), max(window)
    spread = (high - low) / low
    ok = stream["failed"] == 0 and spread <= 0.10 and exit_code == 0
    (out / f"{args.name}-rss.svg").write_text(serverlib.svg_line_chart(
        [(t, rss / 2**20) for t, rss in run], f"server RSS under {args.connections} connections",
        "time since the load started (s)", "resident set (MiB)"))

    date = time.strftime("%Y-%m-%d")
    summary = {
        "command": " ".join(["/usr/bin/python3", "bench/server/server_load.py"] + sys.argv[1:]),
        "bench_command": " ".join(command[:3] + ["URL"] + command[4:-2]),
        "date": date, "machine": machine, "model": args.model,
        "connections": args.connections, "duration_s": args.duration,
        "requests": stream["requests"], "ok": stream["ok"], "failed": stream["failed"], "errors": stream["errors"],
        "throughput_rps": stream["throughput_rps"], "latency_ms": stream["latency_ms"],
        "server_mean_ms": {"compute": compute_ms, "queue": queue_ms, "in_server": in_server_ms},
        "rss_window_s": args.window, "rss_window_min_bytes": low, "rss_window_max_bytes": high,
        "rss_window_spread": spread, "rss_samples": run, "server_exit_code": exit_code, "pass": ok,
    }
    (out / f"{args.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    lat = stream["latency_ms"]
    first = [rss for t, rss in run if t < 5]
    (out / f"{args.name}.md").write_text(f"""# The server under {args.connections} connections for {args.duration:.0f} s (CPU backend)

Issue 6, acceptance 3: {args.connections} concurrent keep-alive connections in closed loop against one small model,
zero failed requests, resident set stable within 10% over the last {args.window:.0f} s.

- command: `/usr/bin/python3 bench/server/server_load.py` (starts `missile serve`, runs
  `missile bench --model model --closed {args.connections} --duration {args.duration:.0f}`, samples the server's VmRSS every second)
- model: MobileNetV2 at its small size (1x3x64x64, seeded random weights: `scripts/zoo/export_models.py --model
  mobilenet_v2 --size small`), one LS tenant, {128} connection threads
- machine: {machine['cpu']}, {machine['cpus']} cores, {machine['memory_gib']} GiB, shared with other jobs (load average
  {machine['load_average_at_start'][0]:.1f} when the run started), Debian 12; date {date}

| requests | failed | throughput | p50 | p90 | p99 | p99.9 | max |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| {stream['requests']} | {stream['failed']} | {stream['throughput_rps']:.1f} req/s | {lat['p50']:.1f} ms | {lat['p90']:.1f} ms | {lat['p99']:.1f} ms | {lat['p99.9']:.1f} ms | {lat['max']:.1f} ms |

Resident set: {first[0] / 2**20 if first else float('nan'):.1f} MiB when the load started; over the last {args.window:.0f} s between
{low / 2**20:.1f} and {high / 2**20:.1f} MiB, a spread of {100 * spread:.2f}% (limit 10%). The server exited with code
{exit_code} on SIGTERM. Result: **{'pass' if ok else 'FAIL'}**.

With one tenant the requests run one at a time on its worker (the CPU backend runs a model's requests in turn),
so a request's latency is mostly its wait behind the other connections' requests. The server's own metrics over
the run (means per request): model compute {compute_ms:.2f} ms, wait in the tenant's queue {queue_ms:.1f} ms, whole
time in the server {in_server_ms:.1f} ms; the client's mean latency was {lat['mean']:.1f} ms.

Plots: `{args.name}-latency-cdf.svg`, `{args.name}-throughput.svg`, `{args.name}-rss.svg`.
""")
    print((out / f"{args.name}.md").read_text())
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
