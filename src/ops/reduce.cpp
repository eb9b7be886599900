// Schemas of the reductions (ReduceSum, ReduceMean, ...) and of Softmax / LogSoftmax; their geometry is in
// reduce_geometry.h.
#include "ops/op_schema.h"
#include "ops/reduce_geometry.h"

namespace missile::ops {
namespace {

constexpr OpSchema Reduce(std::string_view op) {
  return OpSchema{
      .op_type = op, .min_inputs = 1, .max_inputs = 2, .infer = InferFromGeometry<ReduceGeometry>};
}

constexpr OpSchema kSchemas[] = {
    Reduce("ReduceSum"),
    Reduce("ReduceMean"),
    Reduce("ReduceMax"),
    Reduce("ReduceMin"),
    Reduce("ReduceProd"),
    Reduce("ReduceSumSquare"),
    Reduce("ReduceL2"),
    Reduce("ReduceL1"),
    OpSchema{.op_type = "Softmax", .infer = InferLikeInput<SoftmaxGeometry>},
    OpSchema{.op_type = "LogSoftmax", .infer = InferLikeInput<SoftmaxGeometry>},
};

}  // namespace

std::span<const OpSchema> ReduceSchemas() {
  return kSchemas;
}

}  // namespace missile::ops
