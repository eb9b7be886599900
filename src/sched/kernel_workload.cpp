#include "sched/kernel_workload.h"

#include "ops/activation.h"

namespace missile::sched {
namespace {

const graph::TensorSpec* SpecOf(const graph::Graph& graph, graph::ValueId value) {
  if (value == graph::kNoValue) return nullptr;
  const auto& spec = graph.value(value).spec;
  return spec.has_value() ? &*spec : nullptr;
}

double BytesOf(const graph::TensorSpec& spec, int float_bytes) {
  const double element =
      IsFloatingPoint(spec.dtype) ? float_bytes : static_cast<double>(DataTypeSize(spec.dtype));
  return static_cast<double>(NumElements(spec.shape)) * element;
}

std::string OpName(const graph::Node& node) {
  std::string name = node.op_type;
  // A convolution with a 4th input has the residual addition fused into its epilogue.
  if (node.op_type == "Conv" && node.inputs.size() > 3 && node.inputs[3] != graph::kNoValue) name += "+Add";
  const std::string activation = ops::ActivationName(ops::ActivationFromAttributes(node.attributes).kind);
  if (!activation.empty()) name += "+" + activation;
  return name;
}

Status DescribeConv(const graph::Graph& graph, const graph::Node& node, KernelWorkload& work) {
  const graph::TensorSpec* x = SpecOf(graph, node.inputs[0]);
  const graph::TensorSpec* w = node.inputs.size() > 1 ? SpecOf(graph, node.inputs[1]) : nullptr;
  const graph::TensorSpec* y = SpecOf(graph, node.outputs[0]);
  if (x == nullptr || w == nullptr || y == nullptr || w->shape.size() < 3 || y->shape.size() < 3) {
    return Error(ErrorCode::kInvalidArgument, "convolution without input, weight and output shapes");
  }
  const int64_t groups = node.attributes.Int("group", 1);
  const int64_t out_channels = w->shape[0];
  int64_t window = 1;  // input channels per group times the kernel's spatial size
  for (size_t d = 1; d < w->shape.size(); ++d) window *= w->shape[d];
  const int64_t output_positions = NumElements(y->shape) / out_channels;  // batch x spatial
  work.flops = 2.0 * static_cast<double>(output_positions) * static_cast<double>(out_channels) *
               static_cast<double>(window);
  // Depthwise convolutions (one input channel per group) have no reduction worth a tensor core.
  const bool depthwise = groups > 1 && w->shape[1] == 1;
  if (!depthwise) {
    work.tensor_core = true;
    work.gemm_batch = groups;
    work.gemm_m = output_positions;
    work.gemm_n = out_channels / groups;
    work.gemm_k = window;
  }
  return Status::Ok();
}

Status DescribeGemm(const graph::Graph& graph, const graph::Node& node, KernelWorkload& work) {
  const graph::TensorSpec* a = SpecOf(graph, node.inputs[0]);
  const graph::TensorSpec* y = SpecOf(graph, node.outputs[0]);
  if (a == nullptr || y == nullptr || a->shape.empty() || y->shape.empty()) {
    return Error(ErrorCode::kInvalidArgument, "{} without input and output shapes", node.op_type);
  }
  int64_t k = 0;
  if (node.op_type == "Gemm") {
    if (a->shape.size() != 2) return Error(ErrorCode::kInvalidArgument, "Gemm input must be 2-D");
    k = node.attributes.Int("transA", 0) != 0 ? a->shape[0] : a->shape[1];
  } else {
    k = a->shape.back();  // MatMul: [..., M, K] x [..., K, N]
  }
  const int64_t n = y->shape.back();
  const int64_t m = y->shape.size() >= 2 ? y->shape[y->shape.size() - 2] : 1;
  const int64_t batch = NumElements(y->shape) / std::max<int64_t>(1, m * n);
  work.flops = 2.0 * static_cast<double>(NumElements(y->shape)) * static_cast<double>(k);
  work.tensor_core = true;
  work.gemm_batch = batch;
  work.gemm_m = m;
  work.gemm_n = n;
  work.gemm_k = k;
  return Status::Ok();
}

// Kernels without a reduction worth counting: one operation per output element, or per window element for
// pooling and per input element for global reductions.
void DescribeElementwise(const graph::Graph& graph, const graph::Node& node, KernelWorkload& work) {
  double per_output = 1;
  if (node.op_type == "MaxPool" || node.op_type == "AveragePool") {
    for (int64_t d : node.attributes.Ints("kernel_shape", {})) per_output *= static_cast<double>(d);
  }
  work.flops = per_output * static_cast<double>(work.output_elements);
  if (node.op_type.rfind("Global", 0) == 0 || node.op_type.rfind("Reduce", 0) == 0) {
    if (const graph::TensorSpec* x = SpecOf(graph, node.inputs[0])) {
      work.flops = static_cast<double>(NumElements(x->shape));
    }
  }
}

}  // namespace

Result<KernelWorkload> DescribeKernelWork(const graph::Graph& graph, const graph::Node& node,
                                          int float_bytes) {
  if (node.outputs.empty() || SpecOf(graph, node.outputs[0]) == nullptr) {
    return Error(ErrorCode::kInvalidArgument, "{}: output shape unknown", node.Describe());
  }
  KernelWorkload work;
  work.op = OpName(node);
  for (graph::ValueId in : node.inputs) {
    if (const graph::TensorSpec* spec = SpecOf(graph, in)) work.bytes += BytesOf(*spec, float_bytes);
  }
  for (graph::ValueId out : node.outputs) {
    if (const graph::TensorSpec* spec = SpecOf(graph, out)) {
      work.bytes += BytesOf(*spec, float_bytes);
      work.output_elements += NumElements(spec->shape);
    }
  }
  Status status;
  if (node.op_type == "Conv") {
    status = DescribeConv(graph, node, work);
  } else if (node.op_type == "Gemm" || node.op_type == "MatMul") {
    status = DescribeGemm(graph, node, work);
  } else {
    DescribeElementwise(graph, node, work);
  }
  if (!status.ok()) return status.WithContext(node.Describe());
  return work;
}

}  // namespace missile::sched
