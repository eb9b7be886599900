// Times one model on the GPU through the engine, the way a user of the library would call it: a host tensor
// in, a host tensor out, per request (so the input and output copies are included, as they are in the
// PyTorch side of bench/gpu/models.py).
//
//   model_bench --model M.onnx --input NAME --batch1 x1.npy --batch32 x32.npy --precision fp16 \
//               --output out.npy --json result.json
//
// For each mode (kernel by kernel, CUDA graph): batch-1 p50/p99 over --iterations requests after warm-up, and
// batch-32 throughput over --throughput-iterations requests. The batch-1 output of the kernel-by-kernel
// mode is written for the accuracy check, and the CUDA graph's output is compared with it.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/npy.h"
#include "runtime/session.h"

namespace missile {
namespace {

struct Options {
  std::string model, input, batch1, batch32, precision = "fp32", output, json;
  int iterations = 200;
  int throughput_iterations = 20;
  int warmup = 20;
  bool no_tf32 = false;
};

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p / 100.0 * (values.size() - 1) + 0.5))];
}

using Clock = std::chrono::steady_clock;

// Milliseconds per request, `count` requests after `warmup` untimed ones. Every request, warm-up included,
// holds the previous one's outputs while it runs, as a caller does: the executable then hands out a second
// pinned output buffer (and captures its CUDA graph) during warm-up rather than inside the timed requests.
Result<std::vector<double>> Time(runtime::Session& session, const runtime::NamedTensors& inputs, int warmup,
                                 int count, runtime::NamedTensors* last) {
  runtime::NamedTensors held;
  for (int i = 0; i < warmup; ++i) {
    MISSILE_ASSIGN_OR_RETURN(held, session.Run(inputs));
  }
  std::vector<double> ms;
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    MISSILE_ASSIGN_OR_RETURN(auto outputs, session.Run(inputs));
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    held = std::move(outputs);
  }
  if (last != nullptr) *last = std::move(held);
  return ms;
}

Result<nlohmann::json> Measure(const Options& options, bool cuda_graph, runtime::NamedTensors* output) {
  runtime::SessionOptions session_options;
  session_options.backend = "cuda";
  MISSILE_ASSIGN_OR_RETURN(session_options.precision, runtime::ParsePrecision(options.precision));
  session_options.cuda_graph = cuda_graph;
  session_options.allow_tf32 = !options.no_tf32;
  const auto load_start = Clock::now();
  MISSILE_ASSIGN_OR_RETURN(auto session, runtime::Session::Load(options.model, session_options));
  MISSILE_ASSIGN_OR_RETURN(Tensor x1, ReadNpy(options.batch1));
  const runtime::NamedTensors inputs1{{options.input, std::move(x1)}};
  MISSILE_RETURN_IF_ERROR(session->Prepare(inputs1).status());
  const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();
  MISSILE_ASSIGN_OR_RETURN(auto latency, Time(*session, inputs1, options.warmup, options.iterations, output));
  nlohmann::json result = {
      {"load_ms", load_ms},
      {"batch1_p50_ms", Percentile(latency, 50)},
      {"batch1_p99_ms", Percentile(latency, 99)},
      {"batch1_mean_ms", std::accumulate(latency.begin(), latency.end(), 0.0) / latency.size()}};
  if (!options.batch32.empty()) {
    MISSILE_ASSIGN_OR_RETURN(Tensor x32, ReadNpy(options.batch32));
    const int64_t batch = x32.shape()[0];
    const runtime::NamedTensors inputs32{{options.input, std::move(x32)}};
    MISSILE_ASSIGN_OR_RETURN(auto big, Time(*session, inputs32, 3, options.throughput_iterations, nullptr));
    const double mean = std::accumulate(big.begin(), big.end(), 0.0) / big.size();
    result["batch32_mean_ms"] = mean;
    result["batch32_items_per_s"] = batch * 1000.0 / mean;
  }
  return result;
}

int Main(int argc, char** argv) {
  Options options;
  CLI::App app{"missile model benchmark on the GPU"};
  app.add_option("--model", options.model)->required();
  app.add_option("--input", options.input, "the model's input name")->required();
  app.add_option("--batch1", options.batch1, ".npy input at batch 1")->required();
  app.add_option("--batch32", options.batch32, ".npy input at batch 32 (throughput)");
  app.add_option("--precision", options.precision);
  app.add_option("--output", options.output, "write the batch-1 output here (.npy)");
  app.add_option("--json", options.json)->required();
  app.add_option("--iterations", options.iterations);
  app.add_option("--throughput-iterations", options.throughput_iterations);
  app.add_option("--warmup", options.warmup);
  app.add_flag("--no-tf32", options.no_tf32, "fp32 convolutions and GEMMs without TF32");
  CLI11_PARSE(app, argc, argv);

  nlohmann::json report = {{"model", options.model}, {"precision", options.precision}};
  runtime::NamedTensors kernel_output, graph_output;
  for (bool graph : {false, true}) {
    auto result = Measure(options, graph, graph ? &graph_output : &kernel_output);
    if (!result.ok()) {
      std::cerr << "model_bench: " << (graph ? "cuda graph: " : "kernels: ") << result.status().ToString()
                << "\n";
      report[graph ? "graph" : "kernels"] = {{"error", result.status().ToString()}};
      continue;
    }
    report[graph ? "graph" : "kernels"] = *result;
  }
  if (!kernel_output.empty() && !graph_output.empty()) {
    const Tensor& a = kernel_output.begin()->second;
    const Tensor& b = graph_output.begin()->second;
    report["graph_output_identical"] =
        a.nbytes() == b.nbytes() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
  }
  if (!options.output.empty() && !kernel_output.empty()) {
    Status written = WriteNpy(options.output, kernel_output.begin()->second);
    if (!written.ok()) std::cerr << "model_bench: " << written.ToString() << "\n";
  }
  std::ofstream(options.json) << report.dump(2) << "\n";
  std::cout << report.dump() << "\n";
  return report.contains("kernels") && !report["kernels"].contains("error") ? 0 : 1;
}

}  // namespace
}  // namespace missile

int main(int argc, char** argv) {
  return missile::Main(argc, argv);
}
