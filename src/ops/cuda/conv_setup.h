// What both convolution paths (cuDNN's graph API and its legacy API) know about one Conv node once its shapes
// are fixed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "ops/activation.h"
#include "ops/cuda/cuda_kernels.h"
#include "ops/window_geometry.h"

namespace missile::ops::cuda {

// The most scratch one convolution may take; cuDNN's fastest algorithms rarely want more.
inline constexpr size_t kMaxConvWorkspace = size_t{512} << 20;

struct ConvSetup {
  DataType dtype;
  Window3d window;
  bool pre_pad = false;         // asymmetric pads: copy X into a padded workspace, convolve without pads
  std::vector<int64_t> x_dims;  // as cuDNN sees X (padded when pre_pad)
  std::vector<int64_t> w_dims;
  std::vector<int64_t> y_dims;
  int64_t groups = 1;
  bool has_bias = false;
  bool has_residual = false;
  Activation activation;
  bool allow_tf32 = true;

  bool WantsFusedCall() const {
    return has_bias && activation.kind == Activation::Kind::kRelu && FusedCallEnabled();
  }
  bool HasEpilogue() const { return has_bias || has_residual || !activation.none(); }

  // MISSILE_CUDNN_FUSED=0 turns cuDNN's fused epilogue off (the convolution, then Missile's epilogue kernel):
  // a diagnostic switch for comparing the two on one GPU, read once. It applies to both APIs.
  static bool FusedCallEnabled();

  // Everything the choice of algorithm or plan depends on.
  std::string Key() const;
  // The bytes of the zero-padded copy of X (pre_pad), rounded so what follows it in the workspace stays
  // aligned.
  size_t PadBytes() const;
  // Spatial pads, strides and dilations as cuDNN takes them: left-aligned, at least two dims (a 1-D
  // convolution is a 2-D one over [W, 1]); pads are zero when pre_pad already applied them.
  std::vector<int64_t> CudnnPads() const;
  std::vector<int64_t> CudnnStrides() const;
  std::vector<int64_t> CudnnDilations() const;
};

int64_t Elements(const std::vector<int64_t>& dims);

// The setup of a Conv node; kUnimplemented for what the CUDA backend cannot run.
Result<ConvSetup> MakeConvSetup(const NodeContext& ctx, const BuildContext& build);

// The two implementations. The graph path fails (kUnimplemented) when no cuDNN engine takes the convolution.
KernelResult CreateGraphConv(const ConvSetup& setup, const BuildContext& build);
KernelResult CreateLegacyConv(const ConvSetup& setup, const BuildContext& build);

}  // namespace missile::ops::cuda
