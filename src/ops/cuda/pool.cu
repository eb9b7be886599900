// The CUDA pooling family's table.
#include "ops/cuda/pool_family.h"

namespace missile::ops::cuda {
namespace {

const KernelEntry kKernels[] = {
    {"MaxPool", CreateMaxPool},
    {"AveragePool", CreateAveragePool},
    {"GlobalMaxPool", CreateGlobalMaxPool},
    {"GlobalAveragePool", CreateGlobalAveragePool},
};

}  // namespace

std::span<const KernelEntry> PoolKernels() {
  return kKernels;
}

}  // namespace missile::ops::cuda
