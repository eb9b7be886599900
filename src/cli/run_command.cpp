// `missile run`: one inference (or a timed loop of them) on one model, inputs and outputs as .npy files.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "core/npy.h"
#include "core/parallel.h"
#include "runtime/session.h"

namespace missile::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string backend = "auto";
  std::string precision = "fp32";
  std::vector<std::string> inputs;
  std::string output_dir;
  int warmup = 0;
  int repeat = 1;
  bool profile = false;
  bool no_fusion = false;
  bool cuda_graph = false;
  bool no_tf32 = false;
  std::string json;
};

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t index =
      std::min(values.size() - 1, static_cast<size_t>(p / 100.0 * (values.size() - 1) + 0.5));
  return values[index];
}

// Prints the operators that took the most time, summed over all runs.
void PrintProfile(const runtime::Executable& executable, const std::vector<runtime::StepTiming>& timings,
                  int runs) {
  std::map<std::string, std::pair<double, int>> by_op;
  double total = 0;
  for (const auto& t : timings) {
    auto& entry = by_op[executable.graph().nodes()[static_cast<size_t>(t.node)].op_type];
    entry.first += t.milliseconds;
    ++entry.second;
    total += t.milliseconds;
  }
  std::vector<std::pair<std::string, std::pair<double, int>>> sorted(by_op.begin(), by_op.end());
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.second.first > b.second.first; });
  std::cout << fmt::format("profile (mean per run, {} runs):\n", runs);
  for (const auto& [op, entry] : sorted) {
    std::cout << fmt::format("  {:<22} {:>9.3f} ms  {:>5.1f}%  x{}\n", op, entry.first / runs,
                             100.0 * entry.first / total, entry.second / runs);
  }
}

int Run(const RunOptions& options) {
  runtime::SessionOptions session_options;
  session_options.backend = options.backend;
  session_options.pipeline.fuse = !options.no_fusion;
  session_options.cuda_graph = options.cuda_graph;
  session_options.allow_tf32 = !options.no_tf32;
  auto precision = runtime::ParsePrecision(options.precision);
  if (!precision.ok()) return ReportError(precision.status());
  session_options.precision = *precision;
  auto backend = runtime::ResolveBackend(options.backend);
  if (!backend.ok()) return ReportError(backend.status());

  const auto load_start = std::chrono::steady_clock::now();
  auto session = runtime::Session::Load(options.model, session_options);
  if (!session.ok()) return ReportError(session.status());
  auto inputs = ReadModelInputs((*session)->model(), options.inputs);
  if (!inputs.ok()) return ReportError(inputs.status());
  auto executable = (*session)->Prepare(*inputs);
  if (!executable.ok()) return ReportError(executable.status());
  const std::chrono::duration<double, std::milli> load_ms = std::chrono::steady_clock::now() - load_start;

  const auto& graph = (*executable)->graph();
  std::cout << fmt::format("model    {} (opset {})\n", options.model, graph.opset());
  std::cout << fmt::format("backend  {} ({}), {}, {} threads\n", backend->backend, backend->reason,
                           options.precision, ParallelThreadCount());
  for (const auto& [name, tensor] : *inputs) {
    std::cout << fmt::format("input    {} {} {}\n", name, DataTypeName(tensor.dtype()),
                             ShapeToString(tensor.shape()));
  }
  std::cout << fmt::format(
      "plan     {} kernels from {} imported nodes; arena {:.1f} MiB ({:.1f} MiB without reuse); "
      "loaded in {:.0f} ms\n",
      (*executable)->plan().steps().size(), (*session)->model().nodes().size(),
      (*executable)->plan().arena_bytes() / 1048576.0, (*executable)->plan().unshared_bytes() / 1048576.0,
      load_ms.count());

  runtime::NamedTensors outputs;
  for (int i = 0; i < options.warmup; ++i) {
    auto result = (*session)->Run(*inputs);
    if (!result.ok()) return ReportError(result.status());
  }
  std::vector<double> latencies;
  std::vector<runtime::StepTiming> timings;
  for (int i = 0; i < std::max(1, options.repeat); ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto result = (*session)->Run(*inputs, options.profile ? &timings : nullptr);
    const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    if (!result.ok()) return ReportError(result.status());
    latencies.push_back(elapsed.count());
    outputs = std::move(result).value();
  }
  std::cout << fmt::format(
      "latency  p50 {:.3f} ms, mean {:.3f} ms, min {:.3f} ms, max {:.3f} ms over {} runs\n",
      Percentile(latencies, 50), std::accumulate(latencies.begin(), latencies.end(), 0.0) / latencies.size(),
      *std::min_element(latencies.begin(), latencies.end()),
      *std::max_element(latencies.begin(), latencies.end()), latencies.size());
  if (options.profile) PrintProfile(**executable, timings, static_cast<int>(latencies.size()));

  if (!options.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.output_dir, ec);
    if (ec)
      return ReportError(
          Error(ErrorCode::kInvalidArgument, "cannot create '{}': {}", options.output_dir, ec.message()));
    for (const auto& [name, tensor] : outputs) {
      const std::string path = (std::filesystem::path(options.output_dir) / NpyFileName(name)).string();
      Status status = WriteNpy(path, tensor);
      if (!status.ok()) return ReportError(status);
      std::cout << fmt::format("output   {} {} {} -> {}\n", name, DataTypeName(tensor.dtype()),
                               ShapeToString(tensor.shape()), path);
    }
  }
  if (!options.json.empty()) {
    nlohmann::json report = {{"model", options.model},
                             {"backend", backend->backend},
                             {"device", backend->reason},
                             {"cuda_graph", options.cuda_graph},
                             {"precision", options.precision},
                             {"threads", ParallelThreadCount()},
                             {"kernels", (*executable)->plan().steps().size()},
                             {"arena_bytes", (*executable)->plan().arena_bytes()},
                             {"latency_ms", latencies},
                             {"p50_ms", Percentile(latencies, 50)},
                             {"p99_ms", Percentile(latencies, 99)}};
    std::ofstream(options.json) << report.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

Command AddRunCommand(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* run =
      app.add_subcommand("run", "Run one model on .npy inputs and write its outputs as .npy files");
  run->add_option("model", options->model, "ONNX model file")->required();
  run->add_option("--backend", options->backend,
                  "cpu, cuda or auto (cuda when built in and a GPU is present)")
      ->capture_default_str();
  run->add_option("--precision", options->precision, "fp32 or fp16")->capture_default_str();
  run->add_option("--input,-i", options->inputs, "NAME=FILE.npy, once per model input");
  run->add_option("--output-dir,-o", options->output_dir, "write each output as DIR/<output name>.npy");
  run->add_option("--warmup", options->warmup, "untimed runs first")->capture_default_str();
  run->add_option("--repeat", options->repeat, "timed runs")->capture_default_str();
  run->add_flag("--profile", options->profile, "print the time spent per operator type");
  run->add_flag("--no-fusion", options->no_fusion, "run the graph without fusing operators");
  run->add_flag("--cuda-graph", options->cuda_graph,
                "cuda: run each request as one CUDA graph (captured on the first run, replayed after)");
  run->add_flag("--no-tf32", options->no_tf32, "cuda: compute fp32 convolutions and GEMMs without TF32");
  run->add_option("--json", options->json, "write the run's summary (latencies) as JSON");
  return {run, [options] { return Run(*options); }};
}

}  // namespace missile::cli
