#include "memory/cuda/cuda_vmm_page_source.h"

namespace missile::memory::cuda {

Result<CudaVmmPageSource> CudaVmmPageSource::Create(int device) {
  CudaVmmPageSource source;
  source.device_ = device;
  MISSILE_ASSIGN_OR_RETURN(source.page_bytes_, device::cuda::VmmGranularity(device));
  return source;
}

Result<uint64_t> CudaVmmPageSource::MapPage() {
  MISSILE_ASSIGN_OR_RETURN(device::cuda::VmmPages page, device::cuda::VmmPages::Map(device_, 1));
  const uint64_t address = page.page(0);
  pages_.emplace(address, std::move(page));
  return address;
}

}  // namespace missile::memory::cuda
