#include "core/shape.h"

#include <fmt/ranges.h>

#include <algorithm>

namespace missile {

int64_t NumElements(std::span<const int64_t> shape) {
  return DimProduct(shape, 0, shape.size());
}

int64_t DimProduct(std::span<const int64_t> shape, size_t begin, size_t end) {
  int64_t product = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i) product *= shape[i];
  return product;
}

std::string ShapeToString(std::span<const int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

std::vector<int64_t> ContiguousStrides(std::span<const int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

Result<int> NormalizeAxis(int64_t axis, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= std::max<int64_t>(r, 1)) {
    return Error(ErrorCode::kInvalidArgument, "axis {} is out of range for rank {}", axis, rank);
  }
  return static_cast<int>(axis < 0 ? axis + r : axis);
}

Result<Shape> BroadcastShapes(std::span<const int64_t> a, std::span<const int64_t> b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      return Error(ErrorCode::kInvalidArgument, "shapes {} and {} cannot be broadcast together",
                   ShapeToString(a), ShapeToString(b));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace missile
