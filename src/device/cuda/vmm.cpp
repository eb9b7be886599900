#include "device/cuda/vmm.h"

#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include <utility>

#include "device/cuda/cuda_status.h"
#include "device/cuda/driver_entry.h"

namespace missile::device::cuda {
namespace {

// The driver functions this file calls, fetched once. 12000: the ABI version requested; these entry points
// have not changed since CUDA 10.2.
struct VmmDriver {
  PFN_cuMemGetAllocationGranularity_v10020 granularity = nullptr;
  PFN_cuMemAddressReserve_v10020 reserve = nullptr;
  PFN_cuMemAddressFree_v10020 address_free = nullptr;
  PFN_cuMemCreate_v10020 create = nullptr;
  PFN_cuMemRelease_v10020 release = nullptr;
  PFN_cuMemMap_v10020 map = nullptr;
  PFN_cuMemUnmap_v10020 unmap = nullptr;
  PFN_cuMemSetAccess_v10020 set_access = nullptr;
  Status loaded;
};

const VmmDriver& Driver() {
  static const VmmDriver driver = [] {
    VmmDriver d;
    d.loaded = [&]() -> Status {
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuMemGetAllocationGranularity", 12000, d.granularity));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuMemAddressReserve", 12000, d.reserve));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuMemAddressFree", 12000, d.address_free));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuMemCreate", 12000, d.create));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuMemRelease", 12000, d.release));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuMemMap", 12000, d.map));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuMemUnmap", 12000, d.unmap));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuMemSetAccess", 12000, d.set_access));
      return Status::Ok();
    }();
    return d;
  }();
  return driver;
}

// The driver calls act on the current context: make the runtime's primary context of `device` current.
Status UseDevice(int device) {
  MISSILE_CUDA_RETURN_IF_ERROR(cudaSetDevice(device));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaFree(nullptr));
  return Driver().loaded;
}

CUmemAllocationProp DeviceMemory(int device) {
  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = device;
  return prop;
}

}  // namespace

Result<uint64_t> VmmGranularity(int device) {
  MISSILE_RETURN_IF_ERROR(UseDevice(device));
  const CUmemAllocationProp prop = DeviceMemory(device);
  size_t granularity = 0;
  MISSILE_CU_RETURN_IF_ERROR(Driver().granularity(&granularity, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM));
  return static_cast<uint64_t>(granularity);
}

Result<VmmPages> VmmPages::Map(int device, int64_t count) {
  if (count <= 0) return Error(ErrorCode::kInvalidArgument, "cannot map {} pages", count);
  MISSILE_ASSIGN_OR_RETURN(const uint64_t granularity, VmmGranularity(device));
  const VmmDriver& driver = Driver();
  const CUmemAllocationProp prop = DeviceMemory(device);
  VmmPages pages;
  pages.page_bytes_ = granularity;
  const uint64_t bytes = granularity * static_cast<uint64_t>(count);
  CUdeviceptr base = 0;
  MISSILE_CU_RETURN_IF_ERROR(driver.reserve(&base, bytes, granularity, 0, 0));
  pages.base_ = base;
  pages.reserved_bytes_ = bytes;
  // From here on, the destructor undoes whatever succeeded.
  for (int64_t i = 0; i < count; ++i) {
    CUmemGenericAllocationHandle handle = 0;
    MISSILE_CU_RETURN_IF_ERROR(driver.create(&handle, granularity, &prop, 0));
    pages.handles_.push_back(handle);
    MISSILE_CU_RETURN_IF_ERROR(driver.map(pages.page(i), granularity, 0, handle, 0));
    ++pages.mapped_;
  }
  CUmemAccessDesc access{};
  access.location = prop.location;
  access.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
  MISSILE_CU_RETURN_IF_ERROR(driver.set_access(base, bytes, &access, 1));
  return pages;
}

VmmPages::VmmPages(VmmPages&& other) noexcept
    : base_(std::exchange(other.base_, 0)),
      reserved_bytes_(std::exchange(other.reserved_bytes_, 0)),
      page_bytes_(std::exchange(other.page_bytes_, 0)),
      handles_(std::exchange(other.handles_, {})),
      mapped_(std::exchange(other.mapped_, 0)) {}

VmmPages& VmmPages::operator=(VmmPages&& other) noexcept {
  if (this != &other) {
    Release();
    base_ = std::exchange(other.base_, 0);
    reserved_bytes_ = std::exchange(other.reserved_bytes_, 0);
    page_bytes_ = std::exchange(other.page_bytes_, 0);
    handles_ = std::exchange(other.handles_, {});
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

VmmPages::~VmmPages() {
  Release();
}

void VmmPages::Release() {
  if (reserved_bytes_ == 0) return;
  const VmmDriver& driver = Driver();
  // Kernels may still read these pages: unmapping under them would fault.
  cudaDeviceSynchronize();
  for (int64_t i = 0; i < mapped_; ++i) driver.unmap(page(i), page_bytes_);
  for (uint64_t handle : handles_) driver.release(handle);
  driver.address_free(base_, reserved_bytes_);
  base_ = 0;
  reserved_bytes_ = 0;
  handles_.clear();
  mapped_ = 0;
}

}  // namespace missile::device::cuda
