// Geometry of the remaining data-movement and generator operators (Transpose, Expand, Tile, ScatterND,
// Trilu, ConstantOfShape), shared by their schemas and kernels: each struct reads its node's attributes and
// constant operands once, and its From fails where the schema must refuse the node.
#pragma once

#include <vector>

#include "ops/node_context.h"

namespace missile::ops {

struct TransposeGeometry {
  std::vector<int64_t> perm;  // output dim i is input dim perm[i]
  Shape output;

  static Result<TransposeGeometry> From(const NodeContext& ctx);
};

struct ExpandGeometry {
  Shape input;  // the input's dims aligned to the output's trailing dims, with leading 1s
  Shape output;

  static Result<ExpandGeometry> From(const NodeContext& ctx);
};

struct TileGeometry {
  Shape repeats;  // per dim
  Shape output;

  static Result<TileGeometry> From(const NodeContext& ctx);
};

struct ScatterNDGeometry {
  enum class Reduction { kNone, kAdd, kMul };

  Reduction reduction = Reduction::kNone;
  int64_t tuples = 0;  // index tuples, each naming one slice of data
  int64_t depth = 0;   // leading data dims each tuple indexes

  static Result<ScatterNDGeometry> From(const NodeContext& ctx);
};

struct TriluGeometry {
  int64_t matrices = 1;  // the leading dims' product
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t k = 0;  // the diagonal's offset
  bool upper = true;

  static Result<TriluGeometry> From(const NodeContext& ctx);
};

struct ConstantOfShapeGeometry {
  Tensor value;  // one element, float32 0 by default
  Shape output;

  static Result<ConstantOfShapeGeometry> From(const NodeContext& ctx);
};

}  // namespace missile::ops
