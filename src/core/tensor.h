// A host tensor: dtype, shape and a shared, 64-byte aligned byte buffer.
//
// Tensors carry model weights, constants folded at import, and request inputs/outputs at the program's edges.
// Kernels never see Tensor: they receive raw pointers into buffers the plan laid out ahead of time.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "core/dtype.h"
#include "core/shape.h"

namespace missile {

class Tensor {
 public:
  Tensor() = default;
  // Allocates a zero-filled tensor.
  Tensor(DataType dtype, Shape shape);

  template <typename T>
  static Tensor FromVector(Shape shape, std::span<const T> values) {
    Tensor t(DataTypeOf<T>(), std::move(shape));
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
  }
  static Tensor Scalar(float value) { return FromVector<float>({}, std::span<const float>(&value, 1)); }
  // A tensor over bytes someone else filled (at least nbytes of them), shared rather than copied: the
  // CUDA backend hands out the pinned buffers its output copies landed in.
  static Tensor FromBuffer(DataType dtype, Shape shape, std::shared_ptr<std::byte[]> buffer);

  bool empty() const { return buffer_ == nullptr; }
  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  size_t rank() const { return shape_.size(); }
  int64_t num_elements() const { return NumElements(shape_); }
  size_t nbytes() const { return static_cast<size_t>(num_elements()) * DataTypeSize(dtype_); }

  void* raw_data() { return buffer_.get(); }
  const void* raw_data() const { return buffer_.get(); }
  template <typename T>
  T* data() {
    return static_cast<T*>(raw_data());
  }
  template <typename T>
  const T* data() const {
    return static_cast<const T*>(raw_data());
  }

  // Same bytes, another shape with as many elements (the buffer is shared, not copied).
  Result<Tensor> Reshaped(Shape shape) const;
  // Integer tensor (int64/int32) as int64 values; used for shape-like operands.
  Result<std::vector<int64_t>> ToInt64Vector() const;
  // A copy converted to another dtype (float<->int<->bool, fp16 storage).
  Tensor CastTo(DataType dtype) const;
  Tensor Clone() const;

 private:
  DataType dtype_ = DataType::kFloat32;
  Shape shape_;
  std::shared_ptr<std::byte[]> buffer_;
};

// One aligned host allocation, zero-filled unless `zero` is false (for bytes about to be overwritten); also
// used for the CPU backend's activation arena.
std::shared_ptr<std::byte[]> AllocateHostBytes(size_t bytes, bool zero = true);

}  // namespace missile
