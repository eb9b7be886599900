#include "ops/cuda/conv_setup.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <span>
#include <string_view>

namespace missile::ops::cuda {
namespace {

// Window3d right-aligns the spatial dims in three slots; cuDNN takes them left-aligned, at least two.
std::vector<int64_t> SpatialForCudnn(const ConvSetup& setup, const std::array<int64_t, 3>& values,
                                     int64_t filler) {
  const size_t rank = setup.x_dims.size() - 2;
  std::vector<int64_t> out(std::max<size_t>(2, rank), filler);
  const size_t used = std::min<size_t>(rank, 3);
  const size_t first = 3 - used;
  for (size_t a = 0; a < used; ++a) out[a] = values[first + a];
  return out;
}

}  // namespace

bool ConvSetup::FusedCallEnabled() {
  static const bool enabled = [] {
    const char* value = std::getenv("MISSILE_CUDNN_FUSED");
    return value == nullptr || std::string_view(value) != "0";
  }();
  return enabled;
}

std::string ConvSetup::Key() const {
  std::string key = fmt::format("{}/{}/{}/{}/{}/{}", static_cast<int>(dtype), groups, allow_tf32, pre_pad,
                                WantsFusedCall(), FusedCallEnabled());
  auto append = [&key](std::span<const int64_t> values) {
    key += '/';
    for (int64_t v : values) key += std::to_string(v) + ',';
  };
  append(x_dims);
  append(w_dims);
  append(y_dims);
  append(window.strides);
  append(window.dilations);
  append(window.pad_begin);
  key += fmt::format("/{}{}{}/{},{}", has_bias, has_residual, static_cast<int>(activation.kind),
                     activation.min, activation.max);
  return key;
}

size_t ConvSetup::PadBytes() const {
  if (!pre_pad) return 0;
  const size_t bytes = static_cast<size_t>(Elements(x_dims)) * DataTypeSize(dtype);
  return (bytes + 255) / 256 * 256;
}

std::vector<int64_t> ConvSetup::CudnnPads() const {
  if (pre_pad) return std::vector<int64_t>(std::max<size_t>(2, x_dims.size() - 2), 0);
  return SpatialForCudnn(*this, window.pad_begin, 0);
}

std::vector<int64_t> ConvSetup::CudnnStrides() const {
  return SpatialForCudnn(*this, window.strides, 1);
}

std::vector<int64_t> ConvSetup::CudnnDilations() const {
  return SpatialForCudnn(*this, window.dilations, 1);
}

int64_t Elements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

Result<ConvSetup> MakeConvSetup(const NodeContext& ctx, const BuildContext& build) {
  const Shape& x = ctx.input_shape(0);
  const Shape& w = ctx.input_shape(1);
  const std::span<const int64_t> x_spatial(x.begin() + 2, x.end());
  const std::span<const int64_t> w_spatial(w.begin() + 2, w.end());
  MISSILE_ASSIGN_OR_RETURN(WindowGeometry geometry,
                           ParseWindowGeometry(ctx.attributes(), x_spatial, w_spatial));
  ConvSetup setup;
  setup.dtype = ctx.input_dtype(0);
  MISSILE_ASSIGN_OR_RETURN(setup.window, ToWindow3d(geometry));
  setup.groups = ctx.attributes().Int("group", 1);
  setup.has_bias = ctx.has_input(2);
  setup.has_residual = ctx.has_input(3);
  setup.activation = ActivationFromAttributes(ctx.attributes());
  setup.allow_tf32 = build.allow_tf32;
  setup.pre_pad = geometry.pad_begin != geometry.pad_end;
  setup.x_dims.assign(x.begin(), x.end());
  if (setup.pre_pad) {
    for (size_t a = 0; a < x_spatial.size(); ++a) {
      setup.x_dims[2 + a] = x_spatial[a] + geometry.pad_begin[a] + geometry.pad_end[a];
    }
  }
  setup.w_dims.assign(w.begin(), w.end());
  setup.y_dims.assign(ctx.output_shape(0).begin(), ctx.output_shape(0).end());
  if (Elements(setup.y_dims) == 0) {
    return Error(ErrorCode::kUnimplemented,
                 "an empty convolution output is not supported by the CUDA backend");
  }
  return setup;
}

}  // namespace missile::ops::cuda
