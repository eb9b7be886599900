#include "ops/cuda/cudnn/variant_pack.h"

#include "device/cuda/cuda_status.h"

namespace missile::ops::cuda::cudnn {

Result<BackendDescriptor> MakeVariantPack(std::span<const int64_t> uids, std::span<void* const> pointers,
                                          void* workspace) {
  if (uids.size() != pointers.size()) {
    return Error(ErrorCode::kInternal, "variant pack: {} unique ids for {} pointers", uids.size(),
                 pointers.size());
  }
  MISSILE_ASSIGN_OR_RETURN(BackendDescriptor pack,
                           BackendDescriptor::Create(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR));
  MISSILE_RETURN_IF_ERROR(pack.SetInt64s(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, uids));
  MISSILE_RETURN_IF_ERROR(pack.Set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR,
                                   static_cast<int64_t>(pointers.size()), pointers.data()));
  MISSILE_RETURN_IF_ERROR(pack.Set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &workspace));
  MISSILE_RETURN_IF_ERROR(pack.Finalize());
  return pack;
}

Status Execute(cudnnHandle_t handle, const BackendDescriptor& plan, const BackendDescriptor& variant_pack) {
  MISSILE_CUDNN_RETURN_IF_ERROR(cudnnBackendExecute(handle, plan.get(), variant_pack.get()));
  return Status::Ok();
}

}  // namespace missile::ops::cuda::cudnn
