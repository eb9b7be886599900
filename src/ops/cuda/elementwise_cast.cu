// Cast between every pair of the dtypes the CPU's ConvertElements converts (float32, float16, float64, int64,
// int32, int8, uint8, bool), with its semantics (CastOp); a cast to the same dtype is a copy.
#include "ops/cuda/elementwise_functors.cuh"
#include "ops/cuda/elementwise_launch.cuh"
#include "ops/cuda/elementwise_parts.h"

namespace missile::ops::cuda::elementwise {
namespace {

// Calls fn(T{}) with the device storage type of any dtype: core's VisitDataType, with the GPU's __half where
// the host uses Float16.
template <typename Fn>
KernelResult VisitStorageType(DataType dtype, Fn&& fn) {
  return VisitDataType(dtype, [&](auto host_tag) -> KernelResult {
    if constexpr (std::is_same_v<decltype(host_tag), Float16>) {
      return fn(__half{});
    } else {
      return fn(host_tag);
    }
  });
}

KernelResult CreateCast(const NodeContext& ctx, const BuildContext&) {
  // The output's dtype rather than the `to` attribute: precision lowering may have retyped the output.
  return VisitStorageType(ctx.input_dtype(0), [&](auto from_tag) {
    using From = decltype(from_tag);
    return VisitStorageType(ctx.output(0).dtype, [&](auto to_tag) -> KernelResult {
      using To = decltype(to_tag);
      if constexpr (std::is_same_v<From, To>) {
        return MakeCopy(ctx);
      } else {
        return MakeMap<To, From>(ctx, CastOp<To>{});
      }
    });
  });
}

const KernelEntry kKernels[] = {
    {"Cast", CreateCast},
};

}  // namespace

std::span<const KernelEntry> CastKernels() {
  return kKernels;
}

}  // namespace missile::ops::cuda::elementwise
