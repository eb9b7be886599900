// `missile inspect`: what a model becomes in Missile: its inputs, outputs and the planned kernels.
#include <iostream>

#include "cli/commands.h"
#include "cli/model_inputs.h"
#include "ops/activation.h"
#include "runtime/session.h"

namespace missile::cli {
namespace {

struct InspectOptions {
  std::string model;
  std::vector<std::string> inputs;
  bool no_fusion = false;
};

int Inspect(const InspectOptions& options) {
  runtime::SessionOptions session_options;
  session_options.backend = "cpu";
  session_options.pipeline.fuse = !options.no_fusion;
  auto session = runtime::Session::Load(options.model, session_options);
  if (!session.ok()) return ReportError(session.status());
  const graph::Graph& model = (*session)->model();
  auto inputs = options.inputs.empty() ? DeclaredInputs(model) : ReadModelInputs(model, options.inputs);
  if (!inputs.ok()) return ReportError(inputs.status());
  auto executable = (*session)->Prepare(*inputs);
  if (!executable.ok()) return ReportError(executable.status());

  for (size_t i = 0; i < model.inputs().size(); ++i) {
    std::cout << fmt::format("input  {} {} {}\n", model.value(model.inputs()[i]).name,
                             DataTypeName(model.input_signatures()[i].dtype),
                             model.input_signatures()[i].ShapeString());
  }
  const graph::Graph& graph = (*executable)->graph();
  for (size_t i = 0; i < graph.outputs().size(); ++i) {
    const auto& spec = *graph.value(graph.outputs()[i]).spec;
    std::cout << fmt::format("output {} {} {}\n", graph.output_names()[i], DataTypeName(spec.dtype),
                             ShapeToString(spec.shape));
  }
  std::cout << fmt::format("{} kernels, arena {:.2f} MiB\n", (*executable)->plan().steps().size(),
                           (*executable)->plan().arena_bytes() / 1048576.0);
  for (size_t s = 0; s < (*executable)->plan().steps().size(); ++s) {
    const auto& step = (*executable)->plan().steps()[s];
    const graph::Node& node = graph.nodes()[static_cast<size_t>(step.node)];
    const std::string activation = ops::ActivationName(ops::ActivationFromAttributes(node.attributes).kind);
    const auto& out = *graph.value(node.outputs[0]).spec;
    std::cout << fmt::format(
        "{:5} {:<20} {:<28} -> {} {}{}\n", s, node.op_type + (activation.empty() ? "" : "+" + activation),
        node.name.substr(0, 28), DataTypeName(out.dtype), ShapeToString(out.shape),
        step.workspace_bytes > 0 ? fmt::format("  (workspace {} KiB)", step.workspace_bytes / 1024) : "");
  }
  return 0;
}

}  // namespace

Command AddInspectCommand(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* inspect = app.add_subcommand("inspect", "Show a model's inputs, outputs and planned kernels");
  inspect->add_option("model", options->model, "ONNX model file")->required();
  inspect->add_option("--input,-i", options->inputs, "NAME=FILE.npy, for models with symbolic input dims");
  inspect->add_flag("--no-fusion", options->no_fusion, "plan the graph without fusing operators");
  return {inspect, [options] { return Inspect(*options); }};
}

}  // namespace missile::cli
