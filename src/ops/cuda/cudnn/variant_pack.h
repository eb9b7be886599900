// Running an execution plan: the variant pack binds each graph tensor's unique id to a device pointer, plus
// the plan's workspace.
#pragma once

#include <cudnn.h>

#include <cstdint>
#include <span>

#include "core/status.h"
#include "ops/cuda/cudnn/backend_descriptor.h"

namespace missile::ops::cuda::cudnn {

Result<BackendDescriptor> MakeVariantPack(std::span<const int64_t> uids, std::span<void* const> pointers,
                                          void* workspace);
// Enqueues the plan on the stream `handle` is bound to.
Status Execute(cudnnHandle_t handle, const BackendDescriptor& plan, const BackendDescriptor& variant_pack);

}  // namespace missile::ops::cuda::cudnn
