// GELU as exporters before ONNX opset 20 write it, recognized and replaced by one Gelu node (which
// FuseActivation then moves into the GEMM before it):
//   exact: x * (1 + erf(x / sqrt 2)) * 0.5                         (Div or Mul by 1/sqrt 2, Erf, Add, Mul,
//   Mul) tanh:  x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) * 0.5   (x^3 as Pow(x, 3) or Mul(x, Mul(x,
//   x)))
// The product x * a * 0.5 may be associated either way. Every intermediate value must be read by the pattern
// alone, so nothing outside it loses a value.
#include <cmath>
#include <optional>

#include "passes/fusions.h"
#include "passes/pattern.h"

namespace missile::passes {
namespace {

class GeluMatcher {
 public:
  explicit GeluMatcher(graph::Graph& graph) : graph_(graph), consumers_(graph) {}

  // Tries the pattern around the Erf or Tanh node `n`; on success rewrites it and marks the rest removed.
  void TryAt(graph::NodeId n, std::vector<bool>& removed) {
    const graph::Node& core = node(n);
    std::vector<graph::NodeId> absorbed{n};
    std::optional<graph::ValueId> x = core.op_type == "Erf" ? MatchErfArgument(core.inputs[0], absorbed)
                                                            : MatchTanhArgument(core.inputs[0], absorbed);
    if (!x) return;
    // a = 1 + core(...)
    const graph::NodeId add = consumers_.Sole(core.outputs[0]);
    if (add < 0 || node(add).op_type != "Add" || !IsScalar(Other(node(add), core.outputs[0]), 1.0)) return;
    absorbed.push_back(add);
    const std::optional<graph::NodeId> last = MatchHalfProduct(node(add).outputs[0], *x, absorbed);
    if (!last) return;
    for (graph::NodeId a : absorbed) {
      if (removed[static_cast<size_t>(a)]) return;
    }
    graph::Node& gelu = graph_.nodes()[static_cast<size_t>(*last)];
    gelu.op_type = "Gelu";
    gelu.domain.clear();
    gelu.inputs = {*x};
    gelu.attributes = {};
    gelu.attributes.Set("approximate", std::string(core.op_type == "Erf" ? "none" : "tanh"));
    for (graph::NodeId a : absorbed) {
      if (a != *last) removed[static_cast<size_t>(a)] = true;
    }
  }

 private:
  const graph::Node& node(graph::NodeId id) const { return graph_.nodes()[static_cast<size_t>(id)]; }

  // The node producing `value` when only `reader` reads it (so the pattern may absorb it), else -1.
  graph::NodeId Private(graph::ValueId value) const {
    if (value == graph::kNoValue || consumers_.Sole(value) < 0) return -1;
    return graph_.value(value).producer;
  }

  static graph::ValueId Other(const graph::Node& binary, graph::ValueId one) {
    if (binary.inputs.size() != 2) return graph::kNoValue;
    return binary.inputs[0] == one ? binary.inputs[1] : binary.inputs[0];
  }

  bool IsScalar(graph::ValueId value, double want) const {
    if (!IsConstant(graph_, value)) return false;
    const Tensor& t = *graph_.value(value).constant;
    if (t.dtype() != DataType::kFloat32 || t.num_elements() != 1) return false;
    return std::abs(static_cast<double>(t.data<float>()[0]) - want) <= 1e-6 * std::abs(want);
  }

  // For a binary `op` node with a scalar constant operand equal to `want`: its other operand.
  std::optional<graph::ValueId> ScaledOperand(const graph::Node& binary, const char* op, double want) const {
    if (binary.op_type != op || binary.inputs.size() != 2) return std::nullopt;
    for (int i = 0; i < 2; ++i) {
      if (IsScalar(binary.inputs[static_cast<size_t>(i)], want))
        return binary.inputs[static_cast<size_t>(1 - i)];
    }
    return std::nullopt;
  }

  // erf's argument x / sqrt 2 (or x * (1 / sqrt 2)): returns x.
  std::optional<graph::ValueId> MatchErfArgument(graph::ValueId argument,
                                                 std::vector<graph::NodeId>& absorbed) {
    const graph::NodeId p = Private(argument);
    if (p < 0) return std::nullopt;
    const graph::Node& scale = node(p);
    std::optional<graph::ValueId> x;
    if (scale.op_type == "Div" && IsScalar(scale.inputs[1], std::sqrt(2.0))) x = scale.inputs[0];
    if (!x) x = ScaledOperand(scale, "Mul", 1.0 / std::sqrt(2.0));
    if (!x || IsConstant(graph_, *x)) return std::nullopt;
    absorbed.push_back(p);
    return x;
  }

  // tanh's argument sqrt(2/pi) * (x + 0.044715 * x^3): returns x.
  std::optional<graph::ValueId> MatchTanhArgument(graph::ValueId argument,
                                                  std::vector<graph::NodeId>& absorbed) {
    const graph::NodeId scale = Private(argument);
    if (scale < 0) return std::nullopt;
    const auto inner = ScaledOperand(node(scale), "Mul", std::sqrt(2.0 / M_PI));
    if (!inner) return std::nullopt;
    const graph::NodeId sum = Private(*inner);
    if (sum < 0 || node(sum).op_type != "Add" || node(sum).inputs.size() != 2) return std::nullopt;
    for (int i = 0; i < 2; ++i) {
      const graph::ValueId x = node(sum).inputs[static_cast<size_t>(i)];
      const graph::NodeId cubic = Private(node(sum).inputs[static_cast<size_t>(1 - i)]);
      if (cubic < 0 || IsConstant(graph_, x)) continue;
      const auto cube = ScaledOperand(node(cubic), "Mul", 0.044715);
      if (!cube) continue;
      std::vector<graph::NodeId> cube_nodes;
      if (!IsCube(*cube, x, cube_nodes)) continue;
      absorbed.insert(absorbed.end(), {scale, sum, cubic});
      absorbed.insert(absorbed.end(), cube_nodes.begin(), cube_nodes.end());
      return x;
    }
    return std::nullopt;
  }

  // `value` is x^3: Pow(x, 3), or x * (x * x) in either order.
  bool IsCube(graph::ValueId value, graph::ValueId x, std::vector<graph::NodeId>& nodes) const {
    const graph::NodeId p = Private(value);
    if (p < 0) return false;
    const graph::Node& n = node(p);
    if (n.op_type == "Pow") {
      if (n.inputs[0] != x || !IsScalar(n.inputs[1], 3.0)) return false;
      nodes.push_back(p);
      return true;
    }
    if (n.op_type != "Mul" || n.inputs.size() != 2) return false;
    for (int i = 0; i < 2; ++i) {
      if (n.inputs[static_cast<size_t>(i)] != x) continue;
      const graph::NodeId square = Private(n.inputs[static_cast<size_t>(1 - i)]);
      if (square < 0) continue;
      const graph::Node& s = node(square);
      if (s.op_type == "Mul" && s.inputs.size() == 2 && s.inputs[0] == x && s.inputs[1] == x) {
        nodes.insert(nodes.end(), {p, square});
        return true;
      }
    }
    return false;
  }

  // x * a * 0.5 in any association, starting from a's reader; returns the node that writes the result.
  std::optional<graph::NodeId> MatchHalfProduct(graph::ValueId a, graph::ValueId x,
                                                std::vector<graph::NodeId>& absorbed) {
    const graph::NodeId first = consumers_.Sole(a);
    if (first < 0 || node(first).op_type != "Mul") return std::nullopt;
    const graph::ValueId partner = Other(node(first), a);
    absorbed.push_back(first);
    if (partner == x || IsScalar(partner, 0.5)) {  // (x * a) * 0.5 or (a * 0.5) * x
      const graph::NodeId second = consumers_.Sole(node(first).outputs[0]);
      if (second < 0 || node(second).op_type != "Mul") return std::nullopt;
      const graph::ValueId last = Other(node(second), node(first).outputs[0]);
      if (partner == x ? !IsScalar(last, 0.5) : last != x) return std::nullopt;
      absorbed.push_back(second);
      return second;
    }
    const graph::NodeId half = Private(partner);  // (x * 0.5) * a
    if (half < 0 || ScaledOperand(node(half), "Mul", 0.5) != std::optional(x)) return std::nullopt;
    absorbed.push_back(half);
    return first;
  }

  graph::Graph& graph_;
  const Consumers consumers_;
};

}  // namespace

Status FuseGelu(graph::Graph& graph) {
  GeluMatcher matcher(graph);
  std::vector<bool> removed(graph.nodes().size(), false);
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const std::string& op = graph.nodes()[n].op_type;
    if (removed[n] || (op != "Erf" && op != "Tanh")) continue;
    if (graph.value(graph.nodes()[n].outputs[0]).spec->dtype != DataType::kFloat32) continue;
    matcher.TryAt(static_cast<graph::NodeId>(n), removed);
  }
  graph.RemoveNodes(removed);
  return graph.Finalize();
}

}  // namespace missile::passes
