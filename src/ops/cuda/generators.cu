// CUDA kernels of the operators that write values rather than move them, mirroring ops/cpu/generators.cpp:
// the values known from shapes (Constant, Shape, Size), ConstantOfShape, Range and Trilu. Constant, Shape,
// Size and ConstantOfShape are normally folded at load; their kernels run only when a graph is executed
// without folding.
#include <cstring>

#include "device/cuda/cuda_status.h"
#include "device/cuda/device_memory.h"
#include "ops/cuda/cuda_kernels.h"
#include "ops/cuda/device_types.cuh"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/movement_common.cuh"
#include "ops/movement_plan.h"
#include "ops/op_schema.h"
#include "ops/tensor_geometry.h"

namespace missile::ops::cuda {
namespace {

using device::cuda::DeviceBuffer;

// ---- Shape, Size, Constant --------------------------------------------------------------------------------

// The schema's value, uploaded when the kernel is built and copied device to device on the kernel's stream
// at every Run (Run never allocates nor reads host memory).
class DeviceValueKernel final : public Kernel {
 public:
  DeviceValueKernel(DeviceBuffer value, size_t bytes) : value_(std::move(value)), bytes_(bytes) {}
  Status Run(const KernelArgs& args) const override {
    if (bytes_ == 0) return Status::Ok();
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(args.outputs[0], value_.data(), bytes_,
                                                 cudaMemcpyDeviceToDevice, args.launch->stream));
    return Status::Ok();
  }

 private:
  DeviceBuffer value_;
  size_t bytes_;
};

// `value` in `dtype` (a float constant of a graph lowered to float16, say), or itself when it already is.
Tensor InDataType(Tensor value, DataType dtype) {
  if (value.dtype() == dtype) return value;
  Tensor converted(dtype, value.shape());
  ConvertElements(value.dtype(), value.raw_data(), dtype, converted.raw_data(), value.num_elements());
  return converted;
}

KernelResult CreateValue(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(Tensor schema_value, FindSchema(ctx.op_type())->value_from_shapes(ctx));
  const Tensor value = InDataType(std::move(schema_value), ctx.output(0).dtype);
  DeviceBuffer buffer;
  if (value.nbytes() > 0) {
    MISSILE_ASSIGN_OR_RETURN(buffer, DeviceBuffer::Allocate(value.nbytes()));
    MISSILE_CUDA_RETURN_IF_ERROR(
        cudaMemcpy(buffer.data(), value.raw_data(), value.nbytes(), cudaMemcpyHostToDevice));
  }
  return MakeKernel<DeviceValueKernel>(std::move(buffer), value.nbytes());
}

// ---- ConstantOfShape --------------------------------------------------------------------------------------

template <typename U>
__global__ void FillKernel(U* __restrict__ out, U value, int64_t n) {
  MISSILE_GRID_STRIDE_LOOP(i, n) {
    out[i] = value;
  }
}

// Writes one value everywhere, in 16-byte units holding several copies of it where the size allows.
class FillValueKernel final : public Kernel {
 public:
  FillValueKernel(int64_t count, const void* value, int element_bytes)
      : count_(count), element_bytes_(element_bytes) {
    const int64_t bytes[] = {count * element_bytes};
    unit_bytes_ = std::max(element_bytes, CommonVectorBytes(bytes));
    for (int offset = 0; offset < unit_bytes_; offset += element_bytes) {
      std::memcpy(pattern_ + offset, value, static_cast<size_t>(element_bytes));
    }
  }

  Status Run(const KernelArgs& args) const override {
    if (count_ == 0) return Status::Ok();
    void* out = args.outputs[0];
    const int unit_bytes = AlignedTo(unit_bytes_, out, nullptr) ? unit_bytes_ : element_bytes_;
    const int64_t n = count_ / (unit_bytes / element_bytes_);
    return VisitUnit(unit_bytes, [&](auto unit) -> Status {
      using U = decltype(unit);
      U value;
      std::memcpy(&value, pattern_, sizeof(U));
      FillKernel<U>
          <<<BlocksFor(n), kThreadsPerBlock, 0, args.launch->stream>>>(static_cast<U*>(out), value, n);
      MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
      return Status::Ok();
    });
  }

 private:
  int64_t count_;
  int element_bytes_;
  int unit_bytes_;
  alignas(16) unsigned char pattern_[16] = {};  // the value repeated over one unit
};

KernelResult CreateConstantOfShape(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(ConstantOfShapeGeometry g, ConstantOfShapeGeometry::From(ctx));
  const Tensor value = InDataType(std::move(g.value), ctx.output(0).dtype);
  return DispatchBySize(value.dtype(), [&](auto) {
    return MakeKernel<FillValueKernel>(NumElements(g.output), value.raw_data(),
                                       static_cast<int>(DataTypeSize(value.dtype())));
  });
}

// ---- Range ------------------------------------------------------------------------------------------------

// start + i * delta as the CPU computes it: in T, rounded after the multiply and after the add (no fused
// multiply-add); float16 in float32, rounded once.
template <typename T>
__device__ __forceinline__ T RangeValue(T start, T delta, int64_t i) {
  if constexpr (std::is_same_v<T, float>) {
    return __fadd_rn(start, __fmul_rn(static_cast<float>(i), delta));
  } else if constexpr (std::is_same_v<T, double>) {
    return __dadd_rn(start, __dmul_rn(static_cast<double>(i), delta));
  } else if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(
        __fadd_rn(__half2float(start), __fmul_rn(static_cast<float>(i), __half2float(delta))));
  } else {
    return static_cast<T>(start + static_cast<T>(i) * delta);
  }
}

// start and delta are read on the device, where they live (constants uploaded with the model, or values
// computed by earlier nodes), so Run never reads device memory from the host.
template <typename T>
__global__ void RangeKernel(const T* __restrict__ start, const T* __restrict__ delta, T* __restrict__ out,
                            int64_t n) {
  const T first = *start, step = *delta;
  MISSILE_GRID_STRIDE_LOOP(i, n) {
    out[i] = RangeValue(first, step, i);
  }
}

template <typename T>
class RangeKernelImpl final : public Kernel {
 public:
  explicit RangeKernelImpl(int64_t count) : count_(count) {}
  Status Run(const KernelArgs& args) const override {
    if (count_ == 0) return Status::Ok();
    RangeKernel<T><<<BlocksFor(count_), kThreadsPerBlock, 0, args.launch->stream>>>(
        static_cast<const T*>(args.inputs[0]), static_cast<const T*>(args.inputs[2]),
        static_cast<T*>(args.outputs[0]), count_);
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  int64_t count_;
};

KernelResult CreateRange(const NodeContext& ctx, const BuildContext&) {
  // The output's size was inferred from the constant bounds; only the values are left to write.
  const int64_t count = NumElements(ctx.output_shape(0));
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(),
                            [&](auto tag) { return MakeKernel<RangeKernelImpl<decltype(tag)>>(count); });
}

// ---- Trilu ------------------------------------------------------------------------------------------------

// Keeps the upper (j - i >= k) or lower (j - i <= k) triangle of each [rows, cols] matrix; zero bits, zero
// in every dtype, elsewhere.
template <typename U>
__global__ void TriluKernel(const U* __restrict__ in, U* __restrict__ out, int64_t rows, int64_t cols,
                            int64_t k, bool upper, int64_t n) {
  MISSILE_GRID_STRIDE_LOOP(e, n) {
    const int64_t r = e / cols;  // matrix * rows + i
    const int64_t j = e - r * cols;
    const int64_t i = r % rows;
    const bool keep = upper ? j - i >= k : j - i <= k;
    out[e] = keep ? in[e] : U{};
  }
}

class TriluMaskKernel final : public Kernel {
 public:
  TriluMaskKernel(const TriluGeometry& g, int element_bytes) : g_(g), element_bytes_(element_bytes) {}
  Status Run(const KernelArgs& args) const override {
    const int64_t n = g_.matrices * g_.rows * g_.cols;
    if (n == 0) return Status::Ok();
    return VisitElementUnit(element_bytes_, [&](auto unit) -> Status {
      using U = decltype(unit);
      TriluKernel<U><<<BlocksFor(n), kThreadsPerBlock, 0, args.launch->stream>>>(
          static_cast<const U*>(args.inputs[0]), static_cast<U*>(args.outputs[0]), g_.rows, g_.cols, g_.k,
          g_.upper, n);
      MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
      return Status::Ok();
    });
  }

 private:
  TriluGeometry g_;
  int element_bytes_;
};

KernelResult CreateTrilu(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(TriluGeometry g, TriluGeometry::From(ctx));
  return DispatchBySize(ctx.input_dtype(0), [&](auto) {
    return MakeKernel<TriluMaskKernel>(g, static_cast<int>(DataTypeSize(ctx.input_dtype(0))));
  });
}

const KernelEntry kKernels[] = {
    {"Constant", CreateValue}, {"Shape", CreateValue},
    {"Size", CreateValue},     {"ConstantOfShape", CreateConstantOfShape},
    {"Range", CreateRange},    {"Trilu", CreateTrilu},
};

}  // namespace

std::span<const KernelEntry> GeneratorKernels() {
  return kKernels;
}

}  // namespace missile::ops::cuda
