#include "core/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace missile {

std::shared_ptr<std::byte[]> AllocateHostBytes(size_t bytes, bool zero) {
  constexpr size_t kAlignment = 64;
  const size_t rounded = (std::max<size_t>(bytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  void* memory = std::aligned_alloc(kAlignment, rounded);
  if (memory == nullptr) throw std::bad_alloc();
  if (zero) std::memset(memory, 0, rounded);
  return std::shared_ptr<std::byte[]>(static_cast<std::byte*>(memory), [](std::byte* p) { std::free(p); });
}

Tensor::Tensor(DataType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  buffer_ = AllocateHostBytes(nbytes());
}

Tensor Tensor::FromBuffer(DataType dtype, Shape shape, std::shared_ptr<std::byte[]> buffer) {
  Tensor tensor;
  tensor.dtype_ = dtype;
  tensor.shape_ = std::move(shape);
  tensor.buffer_ = std::move(buffer);
  return tensor;
}

Result<Tensor> Tensor::Reshaped(Shape shape) const {
  if (NumElements(shape) != num_elements()) {
    return Error(ErrorCode::kInvalidArgument, "cannot reshape {} elements {} to {}", num_elements(),
                 ShapeToString(shape_), ShapeToString(shape));
  }
  Tensor view = *this;
  view.shape_ = std::move(shape);
  return view;
}

Result<std::vector<int64_t>> Tensor::ToInt64Vector() const {
  std::vector<int64_t> values(static_cast<size_t>(num_elements()));
  if (dtype_ == DataType::kInt64) {
    std::copy_n(data<int64_t>(), values.size(), values.begin());
  } else if (dtype_ == DataType::kInt32) {
    std::copy_n(data<int32_t>(), values.size(), values.begin());
  } else {
    return Error(ErrorCode::kInvalidArgument, "expected an int64 or int32 tensor, got {}",
                 DataTypeName(dtype_));
  }
  return values;
}

Tensor Tensor::CastTo(DataType dtype) const {
  Tensor out(dtype, shape_);
  ConvertElements(dtype_, raw_data(), dtype, out.raw_data(), num_elements());
  return out;
}

Tensor Tensor::Clone() const {
  Tensor out(dtype_, shape_);
  if (nbytes() > 0) std::memcpy(out.raw_data(), raw_data(), nbytes());
  return out;
}

}  // namespace missile
