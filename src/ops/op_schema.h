// Backend-independent knowledge of an operator: its arity and how its outputs' dtypes and shapes follow from
// its inputs. Backends implement the computation (ops/cpu, ops/cuda); the schema is the one place that
// validates a node.
#pragma once

#include <optional>
#include <string_view>

#include "ops/node_context.h"

namespace missile::ops {

struct OpSchema {
  std::string_view op_type;
  int min_inputs = 1;
  int max_inputs = 1;
  int min_outputs = 1;
  int max_outputs = 1;
  Result<std::vector<TensorSpec>> (*infer)(const NodeContext&) = nullptr;
  // Output 0 holds exactly input 0's bytes under another shape (Reshape, Squeeze, Identity...): the planner
  // aliases the two buffers and emits no kernel.
  bool is_view = false;
  // For operators whose result is known from shapes alone (Shape, Size): the value, folded at load time.
  Result<Tensor> (*value_from_shapes)(const NodeContext&) = nullptr;
};

// The schema of a default-domain ONNX operator (or of a fused operator Missile's passes create), or nullptr.
const OpSchema* FindSchema(std::string_view op_type);

// Every operator Missile implements (default domain and its own fused forms).
std::vector<const OpSchema*> AllSchemas();

// Checks arity and runs the schema's inference; errors name the node.
Result<std::vector<TensorSpec>> InferNode(const NodeContext& ctx);

// `infer` for an operator whose geometry struct (SliceGeometry, PadGeometry, ...) validates the node in its
// From and holds the `output` shape: one output, of input 0's dtype.
template <typename Geometry>
Result<std::vector<TensorSpec>> InferFromGeometry(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(Geometry geometry, Geometry::From(ctx));
  return std::vector{TensorSpec{ctx.input_dtype(0), std::move(geometry.output)}};
}

// `infer` for an operator whose output is like input 0 once its geometry struct has accepted the node.
template <typename Geometry>
Result<std::vector<TensorSpec>> InferLikeInput(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(Geometry::From(ctx).status());
  return std::vector{ctx.input(0)};
}

// Per-family tables, collected by FindSchema.
std::span<const OpSchema> ElementwiseSchemas();
std::span<const OpSchema> ConvSchemas();
std::span<const OpSchema> MatMulSchemas();
std::span<const OpSchema> NormalizationSchemas();
std::span<const OpSchema> PoolSchemas();
std::span<const OpSchema> ReduceSchemas();
std::span<const OpSchema> TensorSchemas();

}  // namespace missile::ops
