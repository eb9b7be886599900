// Does setting L2 aside for an LS tenant's weights protect its latency from a BE tenant streaming memory?
//
//   missile_l2_setaside_bench --model resnet50/model.onnx --json l2-setaside.json [--requests 300] [--rounds
//   3]
//                             [--be-gib 4] [--be-blocks 66] [--share 1.0] [--cuda-graph]
//
// LS: one session (CUDA backend, fp16) answering batch-1 requests back to back, latency measured per request
// on the host (input and output copies included). BE: a thread enqueueing passes of a read-modify-write
// kernel over a large buffer on its own stream (memory/cuda/streaming_tenant.h). Four configurations —
// {LS alone, LS + BE} x {no set-aside, set-aside} — run in every round, in an order that alternates between
// rounds so slow drifts hit all of them alike. The set-aside covers the session's weights (ConstantStore
// regions) with one access-policy window on the LS stream, hit ratio = budget / window. Output: p50/p99 per
// configuration and round, BE bandwidth, the window, and the policy decision (memory/l2_setaside_decision.h)
// from the LS + BE rounds.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <thread>

#include "device/cuda/access_policy.h"
#include "device/cuda/cuda_status.h"
#include "device/cuda/device_memory.h"
#include "device/cuda/stream.h"
#include "memory/cuda/l2_setaside.h"
#include "memory/cuda/streaming_tenant.h"
#include "memory/l2_setaside_decision.h"
#include "memory/l2_setaside_plan.h"
#include "runtime/cuda/cuda_backend.h"
#include "runtime/cuda/cuda_executable.h"
#include "runtime/session.h"

namespace missile {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
  std::string model, json_path;
  int requests = 300;
  int warmup = 30;
  int rounds = 3;
  double be_gib = 4;
  int be_blocks = 66;
  double share = 1.0;
  bool cuda_graph = false;
};

struct Config {
  bool be = false;
  bool set_aside = false;
  std::string name() const {
    return std::string(be ? "ls+be" : "ls") + (set_aside ? ", set-aside" : ", no set-aside");
  }
};

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p / 100.0 * (values.size() - 1) + 0.5))];
}

double Median(std::vector<double> values) {
  return Percentile(std::move(values), 50);
}

// Seeded random inputs at the model's declared shapes (symbolic dimensions: 1).
Result<runtime::NamedTensors> MakeInputs(const graph::Graph& model) {
  runtime::NamedTensors inputs;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (size_t i = 0; i < model.inputs().size(); ++i) {
    const graph::InputSignature& signature = model.input_signatures()[i];
    Shape shape;
    for (const graph::Dim& d : signature.dims) shape.push_back(d.known() ? d.value : 1);
    Tensor tensor(signature.dtype, shape);
    if (signature.dtype == DataType::kFloat32) {
      for (int64_t k = 0; k < tensor.num_elements(); ++k) tensor.data<float>()[k] = uniform(rng);
    }
    inputs.emplace(model.value(model.inputs()[i]).name, std::move(tensor));
  }
  return inputs;
}

// The BE tenant: passes over its buffer, back to back, until stopped.
class BeLoad {
 public:
  BeLoad(const memory::cuda::StreamingTenant& tenant, cudaStream_t stream)
      : tenant_(tenant), stream_(stream) {}

  void Start() {
    stop_ = false;
    passes_ = 0;
    status_ = Status::Ok();
    start_ = Clock::now();
    thread_ = std::thread([this] {
      while (!stop_.load(std::memory_order_relaxed)) {
        Status s = tenant_.EnqueuePass(stream_);
        if (s.ok() && cudaStreamSynchronize(stream_) != cudaSuccess)
          s = Error(ErrorCode::kInternal, "BE pass failed");
        if (!s.ok()) {
          status_ = s;
          return;
        }
        ++passes_;
      }
    });
  }
  // Stops and returns the BE bandwidth in GB/s.
  Result<double> Stop() {
    stop_ = true;
    thread_.join();
    MISSILE_RETURN_IF_ERROR(status_);
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    return double(passes_) * double(tenant_.bytes_per_pass()) / seconds / 1e9;
  }

 private:
  const memory::cuda::StreamingTenant& tenant_;
  cudaStream_t stream_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  int64_t passes_ = 0;
  Status status_;
  Clock::time_point start_;
};

// Whether a kernel captured from a stream that has a window carries it without help (the runtime copies it
// explicitly anyway: CudaExecutable::CaptureGraph).
Result<bool> CaptureInheritsWindow(const memory::cuda::StreamingTenant& tiny,
                                   const device::cuda::AccessWindow& window) {
  MISSILE_ASSIGN_OR_RETURN(device::cuda::Stream stream, device::cuda::Stream::Create());
  MISSILE_RETURN_IF_ERROR(device::cuda::SetStreamWindow(stream.get(), window));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamBeginCapture(stream.get(), cudaStreamCaptureModeThreadLocal));
  const Status enqueued = tiny.EnqueuePass(stream.get());
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(stream.get(), &graph);
  MISSILE_RETURN_IF_ERROR(enqueued);
  MISSILE_CUDA_RETURN_IF_ERROR(ended);
  Result<device::cuda::AccessWindow> captured = device::cuda::GetGraphWindow(graph);
  cudaGraphDestroy(graph);
  MISSILE_RETURN_IF_ERROR(captured.status());
  return captured->bytes == window.bytes && captured->base == window.base;
}

Result<json> Run(const Options& options) {
  MISSILE_ASSIGN_OR_RETURN(const memory::cuda::L2DeviceFacts facts, memory::cuda::QueryL2Facts(0));
  // The BE buffer first, so that it does not land among the LS weights' addresses.
  const uint64_t be_bytes = static_cast<uint64_t>(options.be_gib * double(uint64_t{1} << 30)) / 16 * 16;
  MISSILE_ASSIGN_OR_RETURN(device::cuda::DeviceBuffer be_buffer,
                           device::cuda::DeviceBuffer::Allocate(be_bytes));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemset(be_buffer.data(), 0, be_bytes));
  MISSILE_ASSIGN_OR_RETURN(device::cuda::Stream be_stream, device::cuda::Stream::Create());
  MISSILE_ASSIGN_OR_RETURN(
      const memory::cuda::StreamingTenant be,
      memory::cuda::StreamingTenant::Create(0, be_buffer.data(), be_bytes, options.be_blocks));

  runtime::SessionOptions session_options;
  session_options.backend = "cuda";
  session_options.precision = runtime::Precision::kFp16;
  session_options.cuda_graph = options.cuda_graph;
  MISSILE_ASSIGN_OR_RETURN(auto session, runtime::Session::Load(options.model, session_options));
  MISSILE_ASSIGN_OR_RETURN(const runtime::NamedTensors inputs, MakeInputs(session->model()));
  MISSILE_ASSIGN_OR_RETURN(runtime::Executable * executable, session->Prepare(inputs));
  auto* backend = dynamic_cast<runtime::cuda::CudaBackend*>(&session->backend());
  if (backend == nullptr) return Error(ErrorCode::kInternal, "the session does not run on the CUDA backend");
  auto* cuda_executable = dynamic_cast<runtime::cuda::CudaExecutable*>(executable);

  memory::cuda::TenantStream ls{"ls", backend->context().stream(), {}};
  uint64_t weight_bytes = 0;
  for (const auto& region : backend->constants().regions()) {
    ls.regions.push_back({reinterpret_cast<uint64_t>(region.data), region.bytes, 1.0});
    weight_bytes += region.bytes;
  }
  const std::vector<memory::L2Tenant> tenants = {{"ls", true, weight_bytes}, {"be", false, be_bytes}};
  const memory::L2SetAsidePlan plan =
      memory::PlanL2SetAside(tenants, {facts.persisting_max_bytes, facts.max_window_bytes}, options.share);
  memory::cuda::L2SetAsideController controller;
  const std::vector<memory::cuda::TenantStream> streams = {ls};

  auto apply = [&](bool set_aside) -> Result<json> {
    MISSILE_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
    json applied;
    if (set_aside) {
      MISSILE_ASSIGN_OR_RETURN(auto windows, controller.Apply(plan, streams, facts));
      const memory::WindowChoice& w = windows.at("ls");
      MISSILE_ASSIGN_OR_RETURN(uint64_t limit, memory::cuda::PersistingL2Limit());
      applied = {{"limit_bytes", limit},
                 {"window_base", fmt::format("{:#x}", w.base)},
                 {"window_bytes", w.bytes},
                 {"hit_ratio", w.hit_ratio},
                 {"covered_regions", w.covered_regions},
                 {"covered_bytes", w.covered_bytes}};
    } else {
      MISSILE_RETURN_IF_ERROR(controller.Clear(streams));
    }
    // A captured request keeps the window it was captured with: capture again.
    if (cuda_executable != nullptr) cuda_executable->DropGraph();
    return applied;
  };

  auto measure = [&](const Config& config) -> Result<json> {
    MISSILE_ASSIGN_OR_RETURN(json applied, apply(config.set_aside));
    for (int i = 0; i < 5; ++i)
      MISSILE_RETURN_IF_ERROR(session->Run(inputs).status());  // re-capture, refill L2
    BeLoad load(be, be_stream.get());
    if (config.be) load.Start();
    std::vector<double> ms;
    Status failed;
    for (int i = 0; i < options.requests && failed.ok(); ++i) {
      const auto start = Clock::now();
      failed = session->Run(inputs).status();
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    double be_gbps = 0;
    if (config.be) {
      Result<double> stopped = load.Stop();
      MISSILE_RETURN_IF_ERROR(stopped.status());
      be_gbps = *stopped;
    }
    MISSILE_RETURN_IF_ERROR(failed);
    json phase = {{"config", config.name()},
                  {"p50_ms", Percentile(ms, 50)},
                  {"p99_ms", Percentile(ms, 99)},
                  {"mean_ms", std::accumulate(ms.begin(), ms.end(), 0.0) / ms.size()},
                  {"max_ms", *std::max_element(ms.begin(), ms.end())}};
    if (config.be) phase["be_gb_per_s"] = be_gbps;
    if (!applied.is_null()) phase["set_aside"] = applied;
    return phase;
  };

  // Warm-up (cuDNN algorithm choice happened in Prepare; this fills caches and, in graph mode, captures).
  for (int i = 0; i < options.warmup; ++i) MISSILE_RETURN_IF_ERROR(session->Run(inputs).status());

  const std::vector<Config> configs = {{false, false}, {false, true}, {true, false}, {true, true}};
  json rounds = json::array();
  std::map<std::string, std::vector<double>> p50, p99, be_gbps;
  for (int r = 0; r < options.rounds; ++r) {
    std::vector<Config> order = configs;
    if (r % 2 == 1) std::reverse(order.begin(), order.end());
    for (const Config& config : order) {
      MISSILE_ASSIGN_OR_RETURN(json phase, measure(config));
      phase["round"] = r;
      std::cerr << "l2_setaside_bench: " << phase.dump() << std::endl;
      p50[config.name()].push_back(phase["p50_ms"]);
      p99[config.name()].push_back(phase["p99_ms"]);
      if (config.be) be_gbps[config.name()].push_back(phase["be_gb_per_s"]);
      rounds.push_back(phase);
    }
  }
  MISSILE_RETURN_IF_ERROR(controller.Clear(streams));

  json summary = json::object();
  for (const Config& config : configs) {
    json entry = {{"p50_ms_median", Median(p50[config.name()])},
                  {"p99_ms_median", Median(p99[config.name()])},
                  {"p99_ms_rounds", p99[config.name()]}};
    if (config.be) entry["be_gb_per_s_median"] = Median(be_gbps[config.name()]);
    summary[config.name()] = entry;
  }
  const memory::SetAsideDecision decision =
      memory::DecideL2SetAside({p99[Config{true, false}.name()], p99[Config{true, true}.name()]});
  json result = {{"model", options.model},
                 {"precision", "fp16"},
                 {"batch", 1},
                 {"mode", options.cuda_graph ? "cuda graph" : "kernel by kernel"},
                 {"requests_per_phase", options.requests},
                 {"rounds", options.rounds},
                 {"l2",
                  {{"l2_bytes", facts.l2_bytes},
                   {"persisting_max_bytes", facts.persisting_max_bytes},
                   {"max_window_bytes", facts.max_window_bytes}}},
                 {"ls_weights_bytes", weight_bytes},
                 {"ls_weight_regions", ls.regions.size()},
                 {"plan_ls_budget_bytes", plan.budgets.contains("ls") ? plan.budgets.at("ls") : 0},
                 {"be", {{"buffer_bytes", be_bytes}, {"blocks", options.be_blocks}}},
                 {"phases", rounds},
                 {"summary", summary},
                 {"decision",
                  {{"use_set_aside", decision.use},
                   {"gain", decision.gain},
                   {"confidence", decision.confidence},
                   {"reason", decision.reason}}}};
  // The graph-capture question, answered on a small pass (first 1 MiB of the BE buffer).
  MISSILE_ASSIGN_OR_RETURN(const memory::cuda::StreamingTenant tiny,
                           memory::cuda::StreamingTenant::Create(0, be_buffer.data(), uint64_t{1} << 20, 1));
  Result<bool> inherits =
      CaptureInheritsWindow(tiny, {reinterpret_cast<uint64_t>(be_buffer.data()), uint64_t{1} << 20, 0.5f});
  result["capture_copies_stream_window"] =
      inherits.ok() ? json(*inherits) : json(inherits.status().message());
  return result;
}

int Main(int argc, char** argv) {
  Options options;
  CLI::App app{"LS latency under a memory-streaming BE tenant, with and without an L2 set-aside"};
  app.add_option("--model", options.model, "LS model (ONNX), e.g. ResNet-50")->required();
  app.add_option("--json", options.json_path, "write the results here")->required();
  app.add_option("--requests", options.requests, "requests per phase")->check(CLI::Range(10, 100000));
  app.add_option("--warmup", options.warmup, "untimed requests before the first phase");
  app.add_option("--rounds", options.rounds, "rounds of the four configurations")->check(CLI::Range(1, 50));
  app.add_option("--be-gib", options.be_gib, "BE buffer size in GiB")->check(CLI::Range(0.125, 64.0));
  app.add_option("--be-blocks", options.be_blocks, "BE blocks (one per SM at most)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--share", options.share, "share of the maximum persisting L2 to set aside")
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--cuda-graph", options.cuda_graph, "run LS requests as CUDA graphs");
  CLI11_PARSE(app, argc, argv);
  Result<json> result = Run(options);
  if (!result.ok()) {
    std::cerr << "l2_setaside_bench: " << result.status().ToString() << "\n";
    return 1;
  }
  std::ofstream(options.json_path) << result->dump(2) << "\n";
  std::cout << (*result)["summary"].dump(2) << "\n" << (*result)["decision"].dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace missile

int main(int argc, char** argv) {
  return missile::Main(argc, argv);
}
