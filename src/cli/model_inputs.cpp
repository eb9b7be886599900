#include "cli/model_inputs.h"

#include "core/npy.h"

namespace missile::cli {

Result<runtime::NamedTensors> ReadModelInputs(const graph::Graph& model,
                                              const std::vector<std::string>& arguments) {
  runtime::NamedTensors inputs;
  for (const std::string& argument : arguments) {
    const size_t eq = argument.find('=');
    std::string name;
    std::string path;
    if (eq == std::string::npos) {
      if (model.inputs().size() != 1) {
        return Error(ErrorCode::kInvalidArgument,
                     "--input '{}': write NAME=FILE.npy (the model has {} inputs)", argument,
                     model.inputs().size());
      }
      name = model.value(model.inputs()[0]).name;
      path = argument;
    } else {
      name = argument.substr(0, eq);
      path = argument.substr(eq + 1);
    }
    if (inputs.contains(name)) return Error(ErrorCode::kInvalidArgument, "input '{}' is given twice", name);
    auto tensor = ReadNpy(path);
    if (!tensor.ok()) return tensor.status().WithContext(fmt::format("input '{}'", name));
    inputs.emplace(name, std::move(tensor).value());
  }
  return inputs;
}

Result<runtime::NamedTensors> DeclaredInputs(const graph::Graph& model) {
  runtime::NamedTensors inputs;
  for (size_t i = 0; i < model.inputs().size(); ++i) {
    const auto& signature = model.input_signatures()[i];
    Shape shape;
    for (const auto& dim : signature.dims) {
      if (!dim.known()) {
        return Error(ErrorCode::kInvalidArgument,
                     "input '{}' has symbolic dims {}: give --input NAME=FILE.npy",
                     model.value(model.inputs()[i]).name, signature.ShapeString());
      }
      shape.push_back(dim.value);
    }
    inputs.emplace(model.value(model.inputs()[i]).name, Tensor(signature.dtype, shape));
  }
  return inputs;
}

}  // namespace missile::cli
