#include "server/l2_setaside_device.h"

#ifdef MISSILE_HAVE_CUDA
#include "server/cuda/cuda_l2_setaside_device.h"
#endif

namespace missile::server {

Result<std::unique_ptr<L2SetAsideDevice>> MakeL2SetAsideDevice() {
#ifdef MISSILE_HAVE_CUDA
  MISSILE_ASSIGN_OR_RETURN(auto device, CudaL2SetAsideDevice::Create());
  return std::unique_ptr<L2SetAsideDevice>(std::move(device));
#else
  return Error(ErrorCode::kUnavailable, "this build has no CUDA backend, so no L2 set-aside");
#endif
}

}  // namespace missile::server
