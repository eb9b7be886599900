// Reading a model's inputs from `NAME=FILE.npy` arguments, shared by the subcommands that run models.
#pragma once

#include <string>
#include <vector>

#include "runtime/input_binding.h"

namespace missile::cli {

// Each argument is NAME=FILE.npy; a bare FILE.npy is accepted when the model has exactly one input.
Result<runtime::NamedTensors> ReadModelInputs(const graph::Graph& model,
                                              const std::vector<std::string>& arguments);

// Zero-filled inputs at the declared shapes, for models whose input dims are all known.
Result<runtime::NamedTensors> DeclaredInputs(const graph::Graph& model);

}  // namespace missile::cli
