// Pad's mode, pads and constant value resolved once, for its schema and its kernels: for every output index,
// the input index it reads or the fill.
#pragma once

#include <array>
#include <cstddef>

#include "ops/node_context.h"

namespace missile::ops {

struct PadGeometry {
  enum class Mode { kConstant, kReflect, kEdge };

  Mode mode = Mode::kConstant;
  Shape input;
  Shape output;
  Shape begin;  // per dim: elements added before the input's first (negative pads crop)
  // Constant mode's fill: constant_value converted to the input's dtype, as raw bits (zero when omitted).
  std::array<std::byte, 8> fill{};

  // The input index that output index j along dim d reads, or -1 where it reads the fill.
  int64_t SourceIndex(size_t d, int64_t j) const;

  static Result<PadGeometry> From(const NodeContext& ctx);
};

}  // namespace missile::ops
