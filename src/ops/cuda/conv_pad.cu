#include "device/cuda/cuda_status.h"
#include "ops/cuda/conv_pad.h"
#include "ops/cuda/device_types.cuh"
#include "ops/cuda/launch_geometry.cuh"

namespace missile::ops::cuda {
namespace {

struct PadDims {
  int64_t in[3];
  int64_t out[3];
  int64_t begin[3];
  int64_t total;  // output elements
};

template <typename T>
__global__ void ZeroPadKernel(PadDims dims, const T* x, T* padded) {
  MISSILE_GRID_STRIDE_LOOP(i, dims.total) {
    const int64_t w = i % dims.out[2];
    const int64_t h = (i / dims.out[2]) % dims.out[1];
    const int64_t d = (i / (dims.out[2] * dims.out[1])) % dims.out[0];
    const int64_t plane = i / (dims.out[2] * dims.out[1] * dims.out[0]);
    const int64_t sd = d - dims.begin[0];
    const int64_t sh = h - dims.begin[1];
    const int64_t sw = w - dims.begin[2];
    const bool inside =
        sd >= 0 && sd < dims.in[0] && sh >= 0 && sh < dims.in[1] && sw >= 0 && sw < dims.in[2];
    padded[i] = inside ? x[((plane * dims.in[0] + sd) * dims.in[1] + sh) * dims.in[2] + sw] : T{};
  }
}

}  // namespace

std::array<int64_t, 3> PaddedInputDims(const Window3d& window) {
  std::array<int64_t, 3> dims{};
  for (int a = 0; a < 3; ++a) dims[a] = window.input[a] + window.pad_begin[a] + window.pad_end[a];
  return dims;
}

Status EnqueueZeroPad(DataType dtype, const Window3d& window, int64_t planes, const void* x, void* padded,
                      cudaStream_t stream) {
  PadDims dims{};
  const std::array<int64_t, 3> out = PaddedInputDims(window);
  for (int a = 0; a < 3; ++a) {
    dims.in[a] = window.input[a];
    dims.out[a] = out[a];
    dims.begin[a] = window.pad_begin[a];
  }
  dims.total = planes * out[0] * out[1] * out[2];
  if (dims.total == 0) return Status::Ok();
  // Only the element width matters for a copy.
  return DispatchBySize(dtype, [&](auto unit) -> Status {
    using Unit = decltype(unit);
    ZeroPadKernel<Unit><<<BlocksFor(dims.total), kThreadsPerBlock, 0, stream>>>(
        dims, static_cast<const Unit*>(x), static_cast<Unit*>(padded));
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  });
}

}  // namespace missile::ops::cuda
