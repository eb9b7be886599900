// What reading a request's input in place costs and saves on the GPU (server/body_memory.h,
// runtime/cuda/cuda_executable.h): one model, one request at a time through Session::Run, with its input
//   - in ordinary memory (the executable copies it into its pinned staging buffer first),
//   - in page-locked memory at one address (read in place; the graph's copy node points there already),
//   - in page-locked memory alternating between two addresses (the copy node is re-pointed every request),
// and, as a server's request bodies are, with the input's bytes written by the CPU just before each request
// (ordinary memory, staged; page-locked, in place), in rounds that rotate the cases so that drift falls on
// each alike. Also the primitives alone: the
// page-locked check per input, and the host copy into staging that reading in place saves.
//
//   missile_input_copy_bench --model resnet50.onnx --precision fp16 [--graph 1] [--iterations 1000]
//                            [--rounds 5] [--json out.json]
#include <cuda_runtime.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "device/cuda/device_memory.h"
#include "runtime/session.h"

namespace missile {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string model, precision = "fp16", json;
  bool graph = true;
  int iterations = 1000;
  int rounds = 5;
};

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p / 100.0 * (values.size() - 1) + 0.5))];
}

nlohmann::json Summary(const std::vector<double>& us) {
  double sum = 0;
  for (double v : us) sum += v;
  return {{"p50_us", Percentile(us, 50)},
          {"p90_us", Percentile(us, 90)},
          {"p99_us", Percentile(us, 99)},
          {"mean_us", sum / us.size()},
          {"count", us.size()}};
}

double MicrosecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// The same values as `tensor`, in page-locked memory, `offset` bytes into the allocation (a body's binary
// part starts 64-byte aligned after its JSON header, not on a page).
Tensor PinnedCopy(const Tensor& tensor, size_t offset = 0) {
  void* pinned = nullptr;
  if (!device::cuda::PinnedMemory::Allocate(&pinned, tensor.nbytes() + offset).ok()) throw std::bad_alloc();
  std::shared_ptr<std::byte[]> block(static_cast<std::byte*>(pinned),
                                     [](std::byte* p) { device::cuda::PinnedMemory::Free(p); });
  std::memcpy(block.get() + offset, tensor.raw_data(), tensor.nbytes());
  return Tensor::Wrap(tensor.dtype(), tensor.shape(),
                      std::shared_ptr<std::byte[]>(block, block.get() + offset));
}

int Main(int argc, char** argv) {
  Options options;
  CLI::App app("Reading a request's input in place vs staging it, on the GPU");
  app.add_option("--model", options.model)->required();
  app.add_option("--precision", options.precision);
  app.add_option("--graph", options.graph, "replay a CUDA graph (1) or launch kernel by kernel (0)");
  app.add_option("--iterations", options.iterations, "requests per case per round");
  app.add_option("--rounds", options.rounds);
  app.add_option("--json", options.json);
  CLI11_PARSE(app, argc, argv);

  runtime::SessionOptions session_options;
  session_options.backend = "cuda";
  session_options.cuda_graph = options.graph;
  auto precision = runtime::ParsePrecision(options.precision);
  if (!precision.ok()) return std::cerr << precision.status().ToString() << "\n", 2;
  session_options.precision = *precision;
  auto session = runtime::Session::Load(options.model, session_options);
  if (!session.ok()) return std::cerr << session.status().ToString() << "\n", 1;
  const graph::Graph& model = (*session)->model();
  const std::string input_name = model.value(model.inputs()[0]).name;
  Shape shape;
  for (const graph::Dim& dim : model.input_signatures()[0].dims)
    shape.push_back(dim.value > 0 ? dim.value : 1);
  Tensor pageable(DataType::kFloat32, shape);
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  for (int64_t i = 0; i < pageable.num_elements(); ++i) pageable.data<float>()[i] = uniform(random);
  const Tensor pinned = PinnedCopy(pageable);
  const Tensor pinned_other = PinnedCopy(pageable);
  const Tensor pinned_in_body = PinnedCopy(pageable, 192);

  const auto run = [&](const Tensor& input) {
    runtime::NamedTensors inputs{{input_name, input}};
    auto outputs = (*session)->Run(inputs);
    if (!outputs.ok()) {
      std::cerr << outputs.status().ToString() << "\n";
      std::exit(1);
    }
  };
  for (int i = 0; i < 50; ++i) run(i % 3 == 0 ? pageable : i % 3 == 1 ? pinned : pinned_other);  // warm-up

  // A request as the server sees one: its bytes just written by the CPU (recv() copying them in), timed from
  // then on. `wire` stands for the socket's buffers.
  const Tensor wire = PinnedCopy(pageable);
  struct Case {
    std::string name;
    bool pinned;
    bool alternate;        // two page-locked inputs at different addresses, one after the other
    bool written;          // the input's bytes rewritten by the CPU before each request (not timed)
    bool in_body = false;  // 64-byte aligned, 192 bytes into its allocation
  };
  const std::vector<Case> cases = {
      {"pageable (staged)", false, false, false},
      {"page-locked, one address (in place)", true, false, false},
      {"page-locked, two addresses alternating (re-pointed)", true, true, false},
      {"pageable, just written (staged)", false, false, true},
      {"page-locked, just written (in place)", true, false, true},
      {"page-locked, just written, 64-byte aligned (in place)", true, false, true, true},
  };
  std::vector<std::vector<double>> us(cases.size());
  for (int round = 0; round < options.rounds; ++round) {
    for (size_t k = 0; k < cases.size(); ++k) {
      const size_t c = (k + static_cast<size_t>(round)) % cases.size();
      for (int i = 0; i < options.iterations; ++i) {
        const Tensor& input = !cases[c].pinned                    ? pageable
                              : cases[c].in_body                  ? pinned_in_body
                              : !cases[c].alternate || i % 2 == 0 ? pinned
                                                                  : pinned_other;
        if (cases[c].written)
          std::memcpy(const_cast<void*>(input.raw_data()), wire.raw_data(), input.nbytes());
        const auto start = Clock::now();
        run(input);
        us[c].push_back(MicrosecondsSince(start));
      }
    }
  }

  // The primitives: the page-locked check (both ends of the input) and the staging copy it saves.
  std::vector<double> check_pageable, check_pinned, staging_copy;
  void* staging = nullptr;
  if (!device::cuda::PinnedMemory::Allocate(&staging, pageable.nbytes()).ok()) return 1;
  for (int i = 0; i < 2000; ++i) {
    auto start = Clock::now();
    const bool a = device::cuda::PinnedMemory::Holds(pageable.raw_data(), pageable.nbytes());
    check_pageable.push_back(MicrosecondsSince(start));
    start = Clock::now();
    const bool b = device::cuda::PinnedMemory::Holds(pinned.raw_data(), pinned.nbytes());
    check_pinned.push_back(MicrosecondsSince(start));
    if (a || !b) return std::cerr << "page-locked check wrong\n", 1;
    start = Clock::now();
    std::memcpy(staging, pageable.raw_data(), pageable.nbytes());
    staging_copy.push_back(MicrosecondsSince(start));
  }
  device::cuda::PinnedMemory::Free(staging);

  nlohmann::json result = {{"model", options.model},      {"precision", options.precision},
                           {"cuda_graph", options.graph}, {"input_bytes", pageable.nbytes()},
                           {"rounds", options.rounds},    {"iterations_per_round", options.iterations}};
  std::cout << fmt::format("{} ({}, {}), input {} bytes, {} rounds x {} requests per case\n", options.model,
                           options.precision, options.graph ? "CUDA graph" : "kernel by kernel",
                           pageable.nbytes(), options.rounds, options.iterations);
  for (size_t c = 0; c < cases.size(); ++c) {
    const nlohmann::json summary = Summary(us[c]);
    result["requests"][cases[c].name] = summary;
    std::cout << fmt::format("{:55} p50 {:8.1f} us  mean {:8.1f} us  p99 {:8.1f} us\n", cases[c].name,
                             summary["p50_us"].get<double>(), summary["mean_us"].get<double>(),
                             summary["p99_us"].get<double>());
  }
  result["page_locked_check_pageable"] = Summary(check_pageable);
  result["page_locked_check_pinned"] = Summary(check_pinned);
  result["staging_copy"] = Summary(staging_copy);
  std::cout << fmt::format(
      "page-locked check: pageable {:.2f} us, pinned {:.2f} us; staging copy {:.1f} us (p50)\n",
      Percentile(check_pageable, 50), Percentile(check_pinned, 50), Percentile(staging_copy, 50));
  if (!options.json.empty()) std::ofstream(options.json) << result.dump(1) << "\n";
  return 0;
}

}  // namespace
}  // namespace missile

int main(int argc, char** argv) {
  return missile::Main(argc, argv);
}
