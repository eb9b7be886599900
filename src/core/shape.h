// Tensor shapes and the index arithmetic every operator needs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace missile {

using Shape = std::vector<int64_t>;

int64_t NumElements(std::span<const int64_t> shape);
std::string ShapeToString(std::span<const int64_t> shape);  // "[1,3,224,224]"

// Row-major (C order) strides in elements.
std::vector<int64_t> ContiguousStrides(std::span<const int64_t> shape);

// Resolves a possibly negative axis against a rank, or says why it is out of range.
Result<int> NormalizeAxis(int64_t axis, size_t rank);

// NumPy broadcasting of two shapes: the rule ONNX uses for every multidirectional-broadcast operator.
Result<Shape> BroadcastShapes(std::span<const int64_t> a, std::span<const int64_t> b);

// Product of dims [begin, end).
int64_t DimProduct(std::span<const int64_t> shape, size_t begin, size_t end);

}  // namespace missile
