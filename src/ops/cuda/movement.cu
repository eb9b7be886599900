// The data-movement operators of the CUDA backend, mirroring ops/cpu's strided_copy, concat_split,
// gather_scatter and pad_resize. The view operators (Reshape, Flatten, Squeeze, Unsqueeze) normally alias
// their input and run nothing (plan::IsAliasingView); their kernel is a plain copy for when they cannot.
#include "ops/cuda/cuda_kernels.h"
#include "ops/cuda/movement_factories.h"

namespace missile::ops::cuda {
namespace {

const KernelEntry kKernels[] = {
    {"Reshape", movement::CreateViewCopy},
    {"Flatten", movement::CreateViewCopy},
    {"Squeeze", movement::CreateViewCopy},
    {"Unsqueeze", movement::CreateViewCopy},
    {"Transpose", movement::CreateTranspose},
    {"Slice", movement::CreateSlice},
    {"Expand", movement::CreateExpand},
    {"Tile", movement::CreateTile},
    {"Concat", movement::CreateConcat},
    {"Split", movement::CreateSplit},
    {"Gather", movement::CreateGather},
    {"ScatterND", movement::CreateScatterND},
    {"Pad", movement::CreatePad},
    {"Resize", movement::CreateResize},
};

}  // namespace

std::span<const KernelEntry> MovementKernels() {
  return kKernels;
}

}  // namespace missile::ops::cuda
