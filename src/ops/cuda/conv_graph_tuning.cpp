#include "ops/cuda/conv_graph_tuning.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "device/cuda/cuda_status.h"
#include "device/cuda/device_memory.h"
#include "ops/conv_engine_policy.h"
#include "ops/conv_plan_store.h"
#include "ops/cuda/cudnn/variant_pack.h"
#include "ops/cuda/cudnn_descriptors.h"
#include "ops/cuda/epilogue.h"
#include "ops/cuda/trial_timer.h"

namespace missile::ops::cuda {
namespace {

constexpr int kWarmupRuns = 2;
constexpr int kTimedRuns = 5;

// MISSILE_CUDNN_VERBOSE=1 prints each shape's candidates and their times to stderr, read once.
bool Verbose() {
  static const bool verbose = [] {
    const char* value = std::getenv("MISSILE_CUDNN_VERBOSE");
    return value != nullptr && std::string_view(value) == "1";
  }();
  return verbose;
}

// cuDNN's graph API wants at least two spatial dims: a 1-D convolution is a 2-D one over [W, 1].
std::vector<int64_t> AtLeast4d(const std::vector<int64_t>& dims) {
  std::vector<int64_t> out = dims;
  while (out.size() < 4) out.push_back(1);
  return out;
}

Result<cudnn::ConvGraphShape> GraphShape(const ConvSetup& setup) {
  cudnn::ConvGraphShape shape;
  MISSILE_ASSIGN_OR_RETURN(shape.data_type, CudnnDataType(setup.dtype));
  shape.x_dims = AtLeast4d(setup.x_dims);
  shape.w_dims = AtLeast4d(setup.w_dims);
  shape.y_dims = AtLeast4d(setup.y_dims);
  shape.pre_pads = setup.CudnnPads();
  shape.post_pads = shape.pre_pads;  // asymmetric pads were applied by pre_pad
  shape.strides = setup.CudnnStrides();
  shape.dilations = setup.CudnnDilations();
  return shape;
}

struct Candidate {
  size_t variant = 0;
  cudnn::ExecutionPlan plan;
};

// The plans kept across processes, when MISSILE_CUDNN_PLAN_CACHE names a file; opened once. A file that
// cannot be read is reported and tuning goes on without it.
ConvPlanStore* PlanStore() {
  static const std::unique_ptr<ConvPlanStore> store = []() -> std::unique_ptr<ConvPlanStore> {
    const char* path = std::getenv("MISSILE_CUDNN_PLAN_CACHE");
    if (path == nullptr || *path == '\0') return nullptr;
    auto opened = ConvPlanStore::Open(path);
    if (!opened.ok()) {
      spdlog::warn("MISSILE_CUDNN_PLAN_CACHE: {}; convolutions are tuned without it",
                   opened.status().message());
      return nullptr;
    }
    return std::move(*opened);
  }();
  return store.get();
}

// A stored plan is valid for this GPU model, this cuDNN and this shape (whose key has the dtype, TF32 and the
// fusion settings).
Result<std::string> PlanStoreKey(const ConvSetup& setup) {
  int device = 0;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));
  cudaDeviceProp properties{};
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDeviceProperties(&properties, device));
  return fmt::format("{} sm{}{} cudnn{}/{}", properties.name, properties.major, properties.minor,
                     cudnnGetVersion(), setup.Key());
}

// Seeded values in [-1, 1) of the data type: what the winner is checked on. A block of 65521 values repeats
// over the buffer (a prime length, so no two images or filters see the same values): converting tens of
// millions of values to fp16 on the host would cost more than the check.
std::vector<std::byte> RandomValues(DataType dtype, size_t count, uint32_t seed) {
  const size_t element = DataTypeSize(dtype);
  const size_t block = std::min<size_t>(count, 65521);  // prime: no image or filter size is a multiple
  std::vector<std::byte> bytes(count * element);
  uint32_t state = seed * 2654435761u + 1;
  for (size_t i = 0; i < block; ++i) {
    state = state * 1664525u + 1013904223u;
    const float value = static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
    if (dtype == DataType::kFloat16) {
      const Float16 half = FloatToHalf(value);
      std::memcpy(bytes.data() + i * element, &half, element);
    } else {
      std::memcpy(bytes.data() + i * element, &value, element);
    }
  }
  for (size_t done = block; done < count; done += block) {
    std::memcpy(bytes.data() + done * element, bytes.data(), std::min(block, count - done) * element);
  }
  return bytes;
}

// At most 2^20 of the output's values, evenly strided over all of it (every image of the batch).
std::vector<float> SampledValues(DataType dtype, const std::vector<std::byte>& bytes) {
  const size_t count = bytes.size() / DataTypeSize(dtype);
  const size_t stride = std::max<size_t>(1, count >> 20);
  std::vector<float> values;
  values.reserve(count / stride + 1);
  for (size_t i = 0; i < count; i += stride) {
    if (dtype == DataType::kFloat16) {
      Float16 half;
      std::memcpy(&half, bytes.data() + i * sizeof(half), sizeof(half));
      values.push_back(HalfToFloat(half));
    } else {
      float value;
      std::memcpy(&value, bytes.data() + i * sizeof(value), sizeof(value));
      values.push_back(value);
    }
  }
  return values;
}

}  // namespace

std::vector<void*> BindPointers(std::span<const int64_t> uids, const ConvPointers& p) {
  std::vector<void*> pointers;
  for (int64_t uid : uids) {
    switch (uid) {
      case cudnn::kConvX:
        pointers.push_back(const_cast<void*>(p.x));
        break;
      case cudnn::kConvW:
        pointers.push_back(const_cast<void*>(p.w));
        break;
      case cudnn::kConvY:
        pointers.push_back(p.y);
        break;
      case cudnn::kConvBias:
        pointers.push_back(const_cast<void*>(p.bias));
        break;
      case cudnn::kConvResidual:
        pointers.push_back(const_cast<void*>(p.residual));
        break;
      default:
        pointers.push_back(nullptr);
    }
  }
  return pointers;
}

Status EnqueueEpilogueAfter(const ConvSetup& setup, const ConvPointers& p, cudaStream_t stream) {
  EpilogueShape shape;
  shape.elements = Elements(setup.y_dims);
  shape.channels = setup.y_dims[1];
  shape.inner = shape.elements / std::max<int64_t>(1, setup.y_dims[0] * setup.y_dims[1]);
  return EnqueueEpilogue(setup.dtype, shape, p.y, p.bias, p.residual, setup.activation, stream);
}

Result<std::shared_ptr<const TunedConv>> TuneGraphConv(const ConvSetup& setup, const BuildContext& build) {
  const LaunchContext& launch = *build.launch;
  MISSILE_ASSIGN_OR_RETURN(cudnn::ConvGraphShape shape, GraphShape(setup));

  // The graph variants: fused epilogue (when there is one cuDNN can express), and the bare convolution.
  struct Variant {
    std::vector<PointwiseStep> steps;
    bool epilogue_after = false;
  };
  std::vector<Variant> variants;
  if (setup.HasEpilogue() && ConvSetup::FusedCallEnabled()) {
    auto steps = GraphEpilogueSteps(setup.has_bias, setup.has_residual, setup.activation);
    if (steps && !steps->empty()) variants.push_back({*steps, false});
  }
  variants.push_back({{}, setup.HasEpilogue()});

  size_t free_bytes = 0, total_bytes = 0;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemGetInfo(&free_bytes, &total_bytes));
  cudnn::PlanSearchOptions options;
  options.float32_data = setup.dtype == DataType::kFloat32;
  options.allow_tf32 = setup.allow_tf32;
  // cuDNN's ranking is good: in the tuning logs of ResNet-50 and MobileNetV2 (docs/results/data) the winner
  // was always among the first 7 plans of its graph. Each plan costs a finalize and a few timed runs.
  const char* plans = std::getenv("MISSILE_CUDNN_PLANS");
  MISSILE_ASSIGN_OR_RETURN(options.max_plans, ParsePlansPerGraph(plans == nullptr ? "" : plans));
  options.max_workspace = static_cast<int64_t>(std::min(kMaxConvWorkspace, free_bytes / 4));
  const char* runtime_compilation = std::getenv("MISSILE_CUDNN_RUNTIME_COMPILATION");
  MISSILE_ASSIGN_OR_RETURN(
      options.allow_runtime_compiled,
      ParseRuntimeCompilation(runtime_compilation == nullptr ? "" : runtime_compilation));

  // A winner on file: finalize that plan alone. One the search would not accept now (runtime-compiled ones
  // excluded, say) or that no longer finalizes is tuned anew.
  ConvPlanStore* store = PlanStore();
  std::string store_key;
  if (store != nullptr) {
    MISSILE_ASSIGN_OR_RETURN(store_key, PlanStoreKey(setup));
    if (std::optional<StoredConvPlan> stored = store->Find(store_key)) {
      for (const Variant& variant : variants) {
        if (variant.steps.empty() == stored->fused) continue;
        auto graph = cudnn::BuildConvGraph(launch.cudnn, shape, variant.steps, setup.activation);
        if (!graph.ok()) break;
        cudnn::PlanSearchOptions only = options;
        only.only_plan = stored->plan;
        only.max_plans = 1;
        MISSILE_ASSIGN_OR_RETURN(auto plans, cudnn::BuildExecutionPlans(launch.cudnn, graph->graph, only));
        if (plans.empty()) break;
        if (Verbose())
          fmt::print(stderr, "cudnn graph: {}: {} from {}\n", setup.Key(), stored->plan, store->path());
        auto tuned = std::make_shared<TunedConv>();
        tuned->graph = std::make_shared<const cudnn::ConvGraph>(std::move(*graph));
        tuned->plan = std::move(plans.front());
        tuned->epilogue_after = variant.epilogue_after;
        return std::shared_ptr<const TunedConv>(std::move(tuned));
      }
      if (Verbose()) {
        fmt::print(stderr, "cudnn graph: {}: the stored {} no longer applies; tuning\n", setup.Key(),
                   stored->plan);
      }
    }
  }

  std::vector<std::shared_ptr<const cudnn::ConvGraph>> graphs(variants.size());
  std::vector<Candidate> candidates;
  std::string skipped;
  cudnn::PlanSearchCost search_cost;
  const auto tuning_started = std::chrono::steady_clock::now();
  for (size_t v = 0; v < variants.size(); ++v) {
    auto graph = cudnn::BuildConvGraph(launch.cudnn, shape, variants[v].steps, setup.activation);
    if (!graph.ok()) {
      skipped += fmt::format(" [variant {}: {}]", v, graph.status().message());
      continue;
    }
    graphs[v] = std::make_shared<const cudnn::ConvGraph>(std::move(*graph));
    MISSILE_ASSIGN_OR_RETURN(
        auto plans, cudnn::BuildExecutionPlans(launch.cudnn, graphs[v]->graph, options, &search_cost));
    for (auto& plan : plans) candidates.push_back({v, std::move(plan)});
  }
  if (candidates.empty()) {
    return Error(ErrorCode::kUnimplemented, "cuDNN's graph API has no engine for this convolution ({}){}",
                 setup.Key(), skipped);
  }

  // Scratch operands of the real sizes; zeros keep NaNs and denormals out of the timings.
  const size_t element = DataTypeSize(setup.dtype);
  int64_t max_workspace = 0;
  for (const Candidate& c : candidates) max_workspace = std::max(max_workspace, c.plan.workspace_bytes);
  MISSILE_ASSIGN_OR_RETURN(auto x, device::cuda::DeviceBuffer::Allocate(Elements(setup.x_dims) * element));
  MISSILE_ASSIGN_OR_RETURN(auto w, device::cuda::DeviceBuffer::Allocate(Elements(setup.w_dims) * element));
  MISSILE_ASSIGN_OR_RETURN(auto y, device::cuda::DeviceBuffer::Allocate(Elements(setup.y_dims) * element));
  MISSILE_ASSIGN_OR_RETURN(auto bias, device::cuda::DeviceBuffer::Allocate(setup.y_dims[1] * element));
  MISSILE_ASSIGN_OR_RETURN(auto residual,
                           device::cuda::DeviceBuffer::Allocate(Elements(setup.y_dims) * element));
  MISSILE_ASSIGN_OR_RETURN(auto workspace,
                           device::cuda::DeviceBuffer::Allocate(std::max<size_t>(1, max_workspace)));
  for (auto* buffer : {&x, &w, &y, &bias, &residual}) {
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(buffer->data(), 0, buffer->size(), launch.stream));
  }
  ConvPointers pointers{x.data(), w.data(), y.data(), setup.has_bias ? bias.data() : nullptr,
                        setup.has_residual ? residual.data() : nullptr};

  std::vector<std::vector<float>> trials(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    const std::vector<void*> bound = BindPointers(graphs[c.variant]->uids, pointers);
    MISSILE_ASSIGN_OR_RETURN(auto pack,
                             cudnn::MakeVariantPack(graphs[c.variant]->uids, bound,
                                                    c.plan.workspace_bytes > 0 ? workspace.data() : nullptr));
    const bool epilogue_after = variants[c.variant].epilogue_after;
    auto times = TimeTrials(launch.stream, kWarmupRuns, kTimedRuns, [&]() -> Status {
      MISSILE_RETURN_IF_ERROR(cudnn::Execute(launch.cudnn, c.plan.plan, pack));
      if (epilogue_after) return EnqueueEpilogueAfter(setup, pointers, launch.stream);
      return Status::Ok();
    });
    if (times.ok()) {
      trials[i] = std::move(*times);
    } else {
      // A plan that fails to run is not a candidate; anything it left on the stream must not linger.
      (void)cudaGetLastError();
      MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(launch.stream));
      if (Verbose())
        fmt::print(stderr, "cudnn graph: {} failed: {}\n", c.plan.name, times.status().message());
    }
  }
  // The timings ran on zeros; the winner's values are checked on seeded operands (CheckedFastest, which says
  // why): each candidate runs at most once more.
  for (auto [buffer, seed] : {std::pair{&x, 1u}, {&w, 2u}, {&bias, 3u}, {&residual, 4u}}) {
    if ((buffer == &bias && !setup.has_bias) || (buffer == &residual && !setup.has_residual)) continue;
    const std::vector<std::byte> values = RandomValues(setup.dtype, buffer->size() / element, seed);
    MISSILE_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(buffer->data(), values.data(), values.size(), cudaMemcpyHostToDevice, launch.stream));
  }
  // One run of candidate i on the seeded operands, sampled; a run that fails leaves nothing on the stream.
  auto run_once = [&](size_t i) -> Result<std::vector<float>> {
    const Candidate& c = candidates[i];
    const std::vector<void*> bound = BindPointers(graphs[c.variant]->uids, pointers);
    MISSILE_ASSIGN_OR_RETURN(auto pack,
                             cudnn::MakeVariantPack(graphs[c.variant]->uids, bound,
                                                    c.plan.workspace_bytes > 0 ? workspace.data() : nullptr));
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(y.data(), 0, y.size(), launch.stream));
    MISSILE_RETURN_IF_ERROR(cudnn::Execute(launch.cudnn, c.plan.plan, pack));
    if (variants[c.variant].epilogue_after) {
      MISSILE_RETURN_IF_ERROR(EnqueueEpilogueAfter(setup, pointers, launch.stream));
    }
    std::vector<std::byte> host(y.size());
    MISSILE_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(host.data(), y.data(), y.size(), cudaMemcpyDeviceToHost, launch.stream));
    MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(launch.stream));
    return SampledValues(setup.dtype, host);
  };
  std::vector<std::optional<std::vector<float>>> outputs(candidates.size());  // what the check reads
  auto output_of = [&](size_t i) -> const std::vector<float>* {
    Result<std::vector<float>> values = run_once(i);
    if (!values.ok()) {
      (void)cudaGetLastError();
      (void)cudaStreamSynchronize(launch.stream);
      return nullptr;
    }
    outputs[i] = std::move(*values);
    return &*outputs[i];
  };
  std::vector<bool> runtime_compiled(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i)
    runtime_compiled[i] = candidates[i].plan.name.ends_with("+rtc");
  const CheckedWinner checked = CheckedFastest(trials, runtime_compiled, output_of);
  for (const RejectedPlan& rejected : checked.rejected) {
    const std::string why =
        rejected.why +
        (rejected.disagreed_with ? " " + candidates[*rejected.disagreed_with].plan.name : std::string());
    static std::once_flag warned;
    std::call_once(warned, [&] {
      spdlog::warn(
          "cuDNN plan {} gave {} on a check; the next fastest plan is used (MISSILE_CUDNN_VERBOSE=1 "
          "lists every such plan)",
          candidates[rejected.candidate].plan.name, why);
    });
    if (Verbose()) {
      fmt::print(stderr, "cudnn graph: {}: {} dropped: {}\n", setup.Key(),
                 candidates[rejected.candidate].plan.name, why);
    }
    trials[rejected.candidate].clear();
  }
  const std::optional<size_t> best = checked.winner;
  if (!best) {
    return Error(ErrorCode::kUnimplemented,
                 "no cuDNN graph plan both ran this convolution and passed the check of its values ({})",
                 setup.Key());
  }
  if (Verbose()) {
    const double tuning_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - tuning_started).count();
    std::string line = fmt::format(
        "cudnn graph: {}: tuned in {:.1f} ms (heuristics {:.1f} ms, {} failed finalizes {:.1f} ms)\n",
        setup.Key(), tuning_ms, search_cost.heuristics_ms, search_cost.failed_finalizes,
        search_cost.failed_finalize_ms);
    for (size_t i = 0; i < candidates.size(); ++i) {
      line += fmt::format("  {} {} {} {}{:.4f} ms ws={} finalize {:.1f} ms\n", i == *best ? "*" : " ",
                          variants[candidates[i].variant].steps.empty() ? "bare " : "fused",
                          candidates[i].plan.name, trials[i].empty() ? "failed " : "", MedianMs(trials[i]),
                          candidates[i].plan.workspace_bytes, candidates[i].plan.finalize_ms);
    }
    fmt::print(stderr, "{}", line);
  }
  if (store != nullptr) {
    const StoredConvPlan winner{!variants[candidates[*best].variant].steps.empty(),
                                candidates[*best].plan.name};
    if (Status kept = store->Put(store_key, winner); !kept.ok()) {
      static std::once_flag warned;
      std::call_once(warned, [&] { spdlog::warn("MISSILE_CUDNN_PLAN_CACHE: {}", kept.message()); });
    }
  }
  auto tuned = std::make_shared<TunedConv>();
  tuned->graph = graphs[candidates[*best].variant];
  tuned->plan = std::move(candidates[*best].plan);
  tuned->epilogue_after = variants[candidates[*best].variant].epilogue_after;
  return std::shared_ptr<const TunedConv>(std::move(tuned));
}

}  // namespace missile::ops::cuda
