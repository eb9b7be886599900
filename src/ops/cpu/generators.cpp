// CPU kernels of the operators that write values rather than move them: the values folded from shapes
// (Constant, Shape, Size), ConstantOfShape, Range, and Trilu's zeros around the kept triangle.
#include <array>
#include <cstring>

#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/movement.h"
#include "ops/op_schema.h"
#include "ops/tensor_geometry.h"

namespace missile::ops::cpu {
namespace {

// Shape, Size and Constant: the schema's value, written out. Their results are folded at load, so this only
// runs when a graph is executed without folding.
class ValueKernel final : public Kernel {
 public:
  explicit ValueKernel(Tensor value) : value_(std::move(value)) {}
  Status Run(const KernelArgs& args) const override {
    if (value_.nbytes() > 0) std::memcpy(args.outputs[0], value_.raw_data(), value_.nbytes());
    return Status::Ok();
  }

 private:
  Tensor value_;
};

KernelResult CreateValue(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(Tensor value, FindSchema(ctx.op_type())->value_from_shapes(ctx));
  return MakeKernel<ValueKernel>(std::move(value));
}

class FillKernel final : public Kernel {
 public:
  FillKernel(int64_t count, std::array<std::byte, 8> value, size_t element_size)
      : count_(count), value_(value), element_size_(element_size) {}
  Status Run(const KernelArgs& args) const override {
    VisitElementBits(element_size_, [&](auto tag) {
      using T = decltype(tag);
      T value;
      std::memcpy(&value, value_.data(), sizeof(T));
      std::fill_n(static_cast<T*>(args.outputs[0]), count_, value);
    });
    return Status::Ok();
  }

 private:
  int64_t count_;
  std::array<std::byte, 8> value_;
  size_t element_size_;
};

KernelResult CreateConstantOfShape(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ConstantOfShapeGeometry g, ConstantOfShapeGeometry::From(ctx));
  std::array<std::byte, 8> value{};
  std::memcpy(value.data(), g.value.raw_data(), g.value.nbytes());
  return MakeKernel<FillKernel>(NumElements(g.output), value, DataTypeSize(g.value.dtype()));
}

// Range: start + i * delta, with start and delta read from the (constant) inputs when it runs.
template <typename T>
class RangeKernel final : public Kernel {
 public:
  explicit RangeKernel(int64_t count) : count_(count) {}
  Status Run(const KernelArgs& args) const override {
    const T start = *static_cast<const T*>(args.inputs[0]);
    const T delta = *static_cast<const T*>(args.inputs[2]);
    T* out = static_cast<T*>(args.outputs[0]);
    for (int64_t i = 0; i < count_; ++i) out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    return Status::Ok();
  }

 private:
  int64_t count_;
};

KernelResult CreateRange(const NodeContext& ctx) {
  const int64_t count = NumElements(ctx.output_shape(0));
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(),
                            [&](auto tag) { return MakeKernel<RangeKernel<decltype(tag)>>(count); });
}

// Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of each matrix; zero bits elsewhere are
// zero in every dtype.
class TriluKernel final : public Kernel {
 public:
  TriluKernel(const TriluGeometry& g, size_t element_size) : g_(g), element_size_(element_size) {}
  Status Run(const KernelArgs& args) const override {
    const auto* in = static_cast<const std::byte*>(args.inputs[0]);
    auto* out = static_cast<std::byte*>(args.outputs[0]);
    const int64_t cols = g_.cols, k = g_.k;
    const int64_t row_bytes = cols * static_cast<int64_t>(element_size_);
    ParallelFor(g_.matrices * g_.rows, MinChunk(row_bytes), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t i = r % g_.rows;
        // Columns [keep_begin, keep_end) of this row survive.
        const int64_t keep_begin = g_.upper ? std::clamp<int64_t>(i + k, 0, cols) : 0;
        const int64_t keep_end = g_.upper ? cols : std::clamp<int64_t>(i + k + 1, 0, cols);
        const auto bytes = [&](int64_t columns) { return static_cast<size_t>(columns) * element_size_; };
        std::byte* dst = out + r * row_bytes;
        std::memset(dst, 0, bytes(keep_begin));
        std::memcpy(dst + bytes(keep_begin), in + r * row_bytes + bytes(keep_begin),
                    bytes(keep_end - keep_begin));
        std::memset(dst + bytes(keep_end), 0, bytes(cols - keep_end));
      }
    });
    return Status::Ok();
  }

 private:
  TriluGeometry g_;
  size_t element_size_;
};

KernelResult CreateTrilu(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(TriluGeometry g, TriluGeometry::From(ctx));
  return MakeKernel<TriluKernel>(g, DataTypeSize(ctx.input_dtype(0)));
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

}  // namespace missile::ops::cpu
