// NumPy .npy files: the tensor format at every command-line boundary (easy to produce and check from any
// tool).
#pragma once

#include <string>

#include "core/tensor.h"

namespace missile {

// Reads a C-order .npy file (format versions 1-3) of a dtype Missile knows; any other content is a clear
// error.
Result<Tensor> ReadNpy(const std::string& path);
Result<Tensor> ParseNpy(std::string_view bytes, const std::string& what);

// The file name a tensor is stored under: its name with every character outside [A-Za-z0-9._-] replaced by
// '_', plus ".npy" (docs/test-cases.md).
std::string NpyFileName(std::string_view tensor_name);

Status WriteNpy(const std::string& path, const Tensor& tensor);
std::string SerializeNpy(const Tensor& tensor);

}  // namespace missile
