// Conv on cuDNN: through the graph (backend) API with per-shape autotuning (conv_graph_kernel.cpp), or the
// legacy API (conv_legacy.cpp) where the graph API has no engine for a convolution or
// MISSILE_CUDNN_API=legacy asks for it.
#include <fmt/format.h>

#include <cstdlib>
#include <string_view>

#include "ops/conv_engine_policy.h"
#include "ops/cuda/conv_setup.h"
#include "ops/cuda/cuda_kernels.h"

namespace missile::ops::cuda {
namespace {

Result<ConvApi> ConvApiFromEnvironment() {
  const char* value = std::getenv("MISSILE_CUDNN_API");
  return ParseConvApi(value == nullptr ? std::string_view() : std::string_view(value));
}

KernelResult CreateConv(const NodeContext& ctx, const BuildContext& build) {
  MISSILE_ASSIGN_OR_RETURN(ConvSetup setup, MakeConvSetup(ctx, build));
  MISSILE_ASSIGN_OR_RETURN(ConvApi api, ConvApiFromEnvironment());
  if (api == ConvApi::kLegacy) return CreateLegacyConv(setup, build);
  KernelResult graph = CreateGraphConv(setup, build);
  if (graph.ok() || graph.status().code() != ErrorCode::kUnimplemented) return graph;
  if (std::getenv("MISSILE_CUDNN_VERBOSE") != nullptr) {
    fmt::print(stderr, "cudnn graph: {}; using the legacy API\n", graph.status().message());
  }
  return CreateLegacyConv(setup, build);
}

constexpr KernelEntry kConvKernels[] = {{"Conv", CreateConv}};

}  // namespace

std::span<const KernelEntry> ConvKernels() {
  return kConvKernels;
}

}  // namespace missile::ops::cuda
