#include "passes/lower_precision.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/node_context.h"
#include "ops/op_schema.h"

namespace missile::passes {
namespace {

constexpr int64_t kOnnxFloat = 1;
constexpr int64_t kOnnxFloat16 = 10;
constexpr float kHalfMax = 65504.0f;

Tensor ToHalfSaturating(const Tensor& source) {
  Tensor clamped(DataType::kFloat32, source.shape());
  const float* in = source.data<float>();
  float* out = clamped.data<float>();
  for (int64_t i = 0; i < source.num_elements(); ++i) {
    out[i] = std::isfinite(in[i]) ? std::clamp(in[i], -kHalfMax, kHalfMax) : in[i];
  }
  Tensor half(DataType::kFloat16, source.shape());
  ConvertElements(DataType::kFloat32, clamped.raw_data(), DataType::kFloat16, half.raw_data(),
                  source.num_elements());
  return half;
}

bool IsFloat32(const graph::Value& value) {
  return value.spec && value.spec->dtype == DataType::kFloat32;
}

graph::Node MakeCast(std::string name, graph::ValueId from, graph::ValueId to, int64_t onnx_type) {
  graph::Node cast;
  cast.name = std::move(name);
  cast.op_type = "Cast";
  cast.inputs = {from};
  cast.outputs = {to};
  cast.attributes.Set("to", onnx_type);
  return cast;
}

}  // namespace

Status LowerFloat32ToFloat16(graph::Graph& graph) {
  std::vector<graph::Node> input_casts;
  std::vector<graph::Node> output_casts;

  // Boundary inputs: a half copy feeds the graph; the declared float32 value stays the input.
  for (graph::ValueId input : graph.inputs()) {
    if (!IsFloat32(graph.value(input))) continue;
    const graph::ValueId half = graph.AddValue(graph.value(input).name + "/fp16");
    graph.value(half).spec = graph::TensorSpec{DataType::kFloat16, graph.value(input).spec->shape};
    for (graph::Node& node : graph.nodes()) {
      std::replace(node.inputs.begin(), node.inputs.end(), input, half);
    }
    for (graph::ValueId& output : graph.outputs()) {
      if (output == input) output = half;  // an input returned as is: cast back below like any output
    }
    input_casts.push_back(MakeCast(graph.value(input).name + "/to_fp16", input, half, kOnnxFloat16));
  }

  // Everything inside: constants converted, computed values retyped, casts to float32 retargeted.
  const std::vector<graph::ValueId> boundary_inputs = graph.inputs();
  for (graph::ValueId id = 0; id < static_cast<graph::ValueId>(graph.value_count()); ++id) {
    graph::Value& value = graph.value(id);
    if (!IsFloat32(value)) continue;
    if (std::find(boundary_inputs.begin(), boundary_inputs.end(), id) != boundary_inputs.end()) continue;
    if (value.constant) value.constant = ToHalfSaturating(*value.constant);
    value.spec->dtype = DataType::kFloat16;
  }
  for (graph::Node& node : graph.nodes()) {
    if (node.op_type == "Cast" && node.attributes.Int("to", 0) == kOnnxFloat) {
      node.attributes.Set("to", kOnnxFloat16);
    }
  }

  // Boundary outputs: the graph's result is cast back to float32 into a fresh value.
  for (size_t i = 0; i < graph.outputs().size(); ++i) {
    const graph::ValueId half = graph.outputs()[i];
    const graph::Value& value = graph.value(half);
    if (!value.spec || value.spec->dtype != DataType::kFloat16) continue;
    if (value.constant) {
      // A constant output needs no cast: give the caller its float32 value.
      const Shape shape = value.spec->shape;
      Tensor full(DataType::kFloat32, value.constant->shape());
      ConvertElements(DataType::kFloat16, value.constant->raw_data(), DataType::kFloat32, full.raw_data(),
                      full.num_elements());
      graph.outputs()[i] = graph.AddConstant(graph.output_names()[i] + "/fp32", std::move(full));
      graph.value(graph.outputs()[i]).spec = graph::TensorSpec{DataType::kFloat32, shape};
      continue;
    }
    const graph::ValueId full = graph.AddValue(graph.output_names()[i] + "/fp32");
    graph.value(full).spec = graph::TensorSpec{DataType::kFloat32, graph.value(half).spec->shape};
    output_casts.push_back(MakeCast(graph.output_names()[i] + "/to_fp32", half, full, kOnnxFloat));
    graph.outputs()[i] = full;
  }

  std::vector<graph::Node>& nodes = graph.nodes();
  nodes.insert(nodes.begin(), input_casts.begin(), input_casts.end());
  nodes.insert(nodes.end(), output_casts.begin(), output_casts.end());
  MISSILE_RETURN_IF_ERROR(graph.Finalize());

  // The safety net: every operator must agree with the dtypes it now sees.
  for (const graph::Node& node : graph.nodes()) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<graph::TensorSpec> specs,
                             ops::InferNode(ops::NodeContext(graph, node)));
    for (size_t o = 0; o < node.outputs.size() && o < specs.size(); ++o) {
      if (node.outputs[o] == graph::kNoValue) continue;
      const graph::TensorSpec& planned = *graph.value(node.outputs[o]).spec;
      if (specs[o].dtype != planned.dtype) {
        return Error(ErrorCode::kUnimplemented,
                     "{} cannot run in float16: it infers {} for output {} where {} was planned",
                     node.Describe(), DataTypeName(specs[o].dtype), o, DataTypeName(planned.dtype));
      }
    }
  }
  return Status::Ok();
}

}  // namespace missile::passes
