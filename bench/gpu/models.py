#!/usr/bin/env python3
"""The twelve models on the GPU: Missile against PyTorch, for accuracy and speed (issue 3, docs/results).

Runs on the device machine (PyTorch with CUDA). For each model it builds the PyTorch module with the project's
seeded random weights (scripts/zoo/export_models.py), exports it to ONNX once with a dynamic batch dim, and then,
at fp32 (TF32 allowed on both sides, as PyTorch's defaults for convolutions) and fp16:
  * accuracy: Missile's batch-1 output against PyTorch's on the GPU for the same input (max|diff| / max|ref|);
  * speed, per request from a host tensor to a host tensor: batch-1 p50/p99 and batch-32 throughput for
    Missile kernel by kernel and as a CUDA graph (bench/gpu/model_bench.cpp), PyTorch eager and PyTorch with
    a captured CUDA graph.
Writes OUT/<model>.json per model and OUT/summary.json.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts" / "zoo"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import export_models as zoo  # noqa: E402
from export import export_model  # noqa: E402


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    got = got.astype(np.float64)
    want = want.astype(np.float64)
    if got.shape != want.shape:
        return float("inf")
    diff = np.abs(got - want)
    if np.isnan(diff).any():
        return float("inf")
    return float(diff.max() / max(np.abs(want).max(), 1e-6))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * (len(values) - 1) + 0.5))]


def time_requests(run, host_input, warmup, count):
    """Milliseconds per request: host input in, host output out."""
    for _ in range(warmup):
        run(host_input)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        run(host_input)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def torch_runners(model, example_device):
    """Eager and CUDA-graph request functions for a model already on the GPU in its precision."""
    dtype = example_device.dtype

    def eager(host):
        with torch.inference_mode():
            return model(host.to("cuda", non_blocking=False).to(dtype)).float().cpu()

    static_in = example_device.clone()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.inference_mode(), torch.cuda.stream(stream):
        for _ in range(3):
            model(static_in)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.inference_mode(), torch.cuda.graph(graph):
        static_out = model(static_in)

    def replay(host):
        static_in.copy_(host.to(dtype), non_blocking=False)
        graph.replay()
        return static_out.float().cpu()

    return eager, replay


def torch_side(model, x1, x32, half, iterations, throughput_iterations):
    model = model.cuda()
    if half:
        model = model.half()
    dtype = torch.float16 if half and not x1.dtype == torch.int64 else x1.dtype
    result = {}
    with torch.inference_mode():
        reference = model(x1.cuda().to(dtype)).float().cpu().numpy()
    for batch_name, host, count, warm in (("batch1", x1, iterations, 20), ("batch32", x32, throughput_iterations, 3)):
        eager, replay = torch_runners(model, host.cuda().to(dtype))
        for mode, run in (("eager", eager), ("graph", replay)):
            times = time_requests(run, host, warm, count)
            entry = result.setdefault(mode, {})
            if batch_name == "batch1":
                entry.update(batch1_p50_ms=percentile(times, 50), batch1_p99_ms=percentile(times, 99))
            else:
                entry.update(batch32_items_per_s=host.shape[0] * 1e3 / (sum(times) / len(times)))
        del eager, replay
        torch.cuda.synchronize()
    return reference, result


def torch_output(model, x1, half=False, tf32=True, batch=1):
    """PyTorch's batch-1 output with these settings (TF32 for convolutions and matmuls), the settings restored
    afterwards. With batch > 1 the input is that many copies of x1 and the first row comes back: the same image
    through the algorithms cuDNN and cuBLAS pick for another shape."""
    import copy
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    try:
        module = copy.deepcopy(model).cuda()
        x = x1.repeat((batch,) + (1,) * (x1.dim() - 1)).cuda()
        if half:
            module = module.half()
            x = x if x.dtype == torch.int64 else x.half()
        with torch.inference_mode():
            return module(x)[:1].float().cpu().numpy()
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


# PyTorch against itself: the batch whose first row is compared with PyTorch's batch-1 output. (cuDNN's heuristic
# algorithms cannot be compared with the timed ones in one process: PyTorch's plan cache answers both.)
SELF_BATCH = 8


def strict_accuracy(model, x1, spec, work, bench, entry):
    """Where the fp32 and fp16 comparisons' errors come from: Missile without TF32 against PyTorch without TF32
    (Missile's own error), each engine against that fp32 truth, and PyTorch against itself (the same image in a
    batch of SELF_BATCH): how far the reference moves with its own kernel choice."""
    strict = torch_output(model, x1, tf32=False)
    command = [bench, "--model", str(work / "model.onnx"), "--input", spec.input_name, "--batch1", str(work / "x1.npy"),
               "--precision", "fp32", "--no-tf32", "--output", str(work / "out-fp32-strict.npy"),
               "--json", str(work / "missile-fp32-strict.json"), "--iterations", "2", "--warmup", "1"]
    run = subprocess.run(command, capture_output=True, text=True)
    result = {}
    for side, file in (("torch_tf32_vs_torch_fp32", "torch-fp32.npy"), ("missile_tf32_vs_torch_fp32", "out-fp32.npy"),
                       ("missile_fp16_vs_torch_fp32", "out-fp16.npy"), ("torch_fp16_vs_torch_fp32", "torch-fp16.npy")):
        if (work / file).exists():
            result[side] = relative_error(np.load(work / file), strict)
    for side, file, half in (("torch_tf32_batched_vs_torch_tf32", "torch-fp32.npy", False),
                             ("torch_fp16_batched_vs_torch_fp16", "torch-fp16.npy", True)):
        if (work / file).exists():
            result[side] = relative_error(torch_output(model, x1, half=half, batch=SELF_BATCH), np.load(work / file))
    if run.returncode != 0:
        result["error"] = run.stderr[-1000:]
        return result
    result["max_relative_error"] = relative_error(np.load(work / "out-fp32-strict.npy"), strict)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="*", default=list(zoo.MODELS))
    parser.add_argument("--bench", required=True, help="path to missile_model_bench")
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--work", type=pathlib.Path, default=pathlib.Path("/tmp/missile-models"))
    parser.add_argument("--precisions", nargs="*", default=["fp32", "fp16"])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--throughput-iterations", type=int, default=20)
    parser.add_argument("--no-speed", action="store_true", help="accuracy only (a few timed requests)")
    parser.add_argument("--summary", type=pathlib.Path, help="also write the summary here, after every model")
    parser.add_argument("--sanitizer", help="also run each model once under this compute-sanitizer")
    parser.add_argument("--sanitizer-timeout", type=float, default=300, help="seconds per model under the sanitizer")
    args = parser.parse_args()
    if args.no_speed:
        args.iterations, args.throughput_iterations = 3, 0
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "models": {}}
    for name in args.models:
        spec = zoo.MODELS[name]
        started = time.perf_counter()
        work = args.work / name
        # An export already under --work (bench/gpu/export.py, same seeds) is reused.
        model, x1, x32, export_s = export_model(name, work)
        onnx_path = work / "model.onnx"
        entry = {"input_shape": list(x1.shape), "export_s": export_s}
        for precision in args.precisions:
            half = precision == "fp16"
            import copy
            reference, torch_result = torch_side(copy.deepcopy(model), x1, x32, half, args.iterations,
                                                 max(args.throughput_iterations, 1))
            command = [args.bench, "--model", str(onnx_path), "--input", spec.input_name, "--batch1",
                       str(work / "x1.npy"), "--precision", precision, "--output", str(work / f"out-{precision}.npy"),
                       "--json", str(work / f"missile-{precision}.json"), "--iterations", str(args.iterations),
                       "--throughput-iterations", str(args.throughput_iterations)]
            if args.throughput_iterations > 0:
                command += ["--batch32", str(work / "x32.npy")]
            run = subprocess.run(command, capture_output=True, text=True)
            missile = json.loads((work / f"missile-{precision}.json").read_text()) if run.returncode == 0 else {
                "error": run.stderr[-2000:]}
            np.save(work / f"torch-{precision}.npy", reference)
            error = relative_error(np.load(work / f"out-{precision}.npy"), reference) if run.returncode == 0 else None
            tolerance = 1e-2 if half else 1e-3
            entry[precision] = {"max_relative_error": error, "tolerance": tolerance,
                                "passed": error is not None and error <= tolerance,
                                "missile": missile, "torch": torch_result}
            print(f"{name:16} {precision}: error {error} (tolerance {tolerance}) "
                  f"missile {missile.get('kernels', missile)} graph {missile.get('graph')} torch {torch_result}",
                  flush=True)
        if args.sanitizer:
            sanitized = subprocess.run([args.sanitizer, "--tool", "memcheck", "--error-exitcode", "3", args.bench,
                                        "--model", str(onnx_path), "--input", spec.input_name, "--batch1",
                                        str(work / "x1.npy"), "--json", str(work / "sanitized.json"),
                                        "--iterations", "1", "--warmup", "0"], capture_output=True, text=True,
                                       timeout=args.sanitizer_timeout)
            tail = (sanitized.stdout + sanitized.stderr)[-1500:]
            entry["sanitizer"] = {"exit": sanitized.returncode, "tail": tail}
            print(f"{name:16} compute-sanitizer exit {sanitized.returncode}: {tail.strip().splitlines()[-1:]}",
                  flush=True)
        if "fp32" in args.precisions:
            # TF32 rounds every product's inputs to 10 bits, so two correct TF32 engines can differ by ~1e-3 on a
            # deep random network. The same comparison without TF32 on either side isolates Missile's own error,
            # and PyTorch TF32 against PyTorch fp32 measures the TF32 noise itself.
            entry["fp32_without_tf32"] = strict_accuracy(model, x1, spec, work, args.bench, entry)
            print(f"{name:16} fp32 without TF32: {entry['fp32_without_tf32']}", flush=True)
        entry["total_s"] = time.perf_counter() - started
        (args.out / f"{name}.json").write_text(json.dumps(entry, indent=2))
        summary["models"][name] = entry
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
        if args.summary:
            args.summary.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
