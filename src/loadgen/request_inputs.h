// The tensors a load-generator request carries: seeded random values of the model's input shapes (floats
// uniform in [-1, 1), integers and booleans zero, which is a valid token id and mask for the zoo's
// transformers), the same for every request of a stream.
#pragma once

#include <cstdint>
#include <vector>

#include "server/infer_codec.h"
#include "server/served_model.h"

namespace missile::loadgen {

std::vector<server::NamedTensor> MakeRequestInputs(const std::vector<server::TensorSignature>& inputs,
                                                   uint64_t seed);

}  // namespace missile::loadgen
