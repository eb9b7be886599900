#include "loadgen/request_inputs.h"

#include <random>

namespace missile::loadgen {

std::vector<server::NamedTensor> MakeRequestInputs(const std::vector<server::TensorSignature>& inputs,
                                                   uint64_t seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<server::NamedTensor> tensors;
  for (const server::TensorSignature& input : inputs) {
    Tensor tensor(input.dtype, input.shape);  // zero-filled
    if (input.dtype == DataType::kFloat32) {
      float* values = tensor.data<float>();
      for (int64_t i = 0; i < tensor.num_elements(); ++i) values[i] = uniform(random);
    } else if (input.dtype == DataType::kFloat16) {
      Float16* values = tensor.data<Float16>();
      for (int64_t i = 0; i < tensor.num_elements(); ++i) values[i] = FloatToHalf(uniform(random));
    } else if (input.dtype == DataType::kFloat64) {
      double* values = tensor.data<double>();
      for (int64_t i = 0; i < tensor.num_elements(); ++i) values[i] = uniform(random);
    }
    tensors.push_back({input.name, std::move(tensor)});
  }
  return tensors;
}

}  // namespace missile::loadgen
