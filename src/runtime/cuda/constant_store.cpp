#include "runtime/cuda/constant_store.h"

#include <algorithm>

#include "device/cuda/cuda_status.h"

namespace missile::runtime::cuda {
namespace {

// FNV-1a over the bytes, 8 at a time: fast enough for hundreds of MB at load, and a collision would also
// need equal dtype and size.
uint64_t ContentHash(const std::byte* data, size_t size) {
  uint64_t hash = 1469598103934665603ull;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    hash = (hash ^ word) * 1099511628211ull;
  }
  for (; i < size; ++i) hash = (hash ^ static_cast<uint64_t>(data[i])) * 1099511628211ull;
  return hash;
}

}  // namespace

Result<const void*> ConstantStore::DevicePointer(const Tensor& constant) {
  const auto* data = static_cast<const std::byte*>(constant.raw_data());
  const Key key{constant.dtype(), constant.nbytes(), ContentHash(data, constant.nbytes())};
  auto it = buffers_.find(key);
  if (it != buffers_.end()) return static_cast<const void*>(it->second.data());
  // Even an empty constant gets a distinct, valid (1-byte) allocation so kernels never see null.
  MISSILE_ASSIGN_OR_RETURN(auto buffer,
                           device::cuda::DeviceBuffer::Allocate(std::max<size_t>(1, constant.nbytes())));
  if (constant.nbytes() > 0 && route_ != nullptr) {
    const HostDeviceCopy upload{data, buffer.data(), constant.nbytes(), /*host_pageable=*/true};
    MISSILE_RETURN_IF_ERROR(route_->Copy(pcie::Direction::kHostToDevice, {&upload, 1}));
  } else if (constant.nbytes() > 0) {
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpy(buffer.data(), data, constant.nbytes(), cudaMemcpyHostToDevice));
  }
  bytes_ += buffer.size();
  const void* pointer = buffer.data();
  buffers_.emplace(key, std::move(buffer));
  return pointer;
}

std::vector<ConstantStore::Region> ConstantStore::regions() const {
  std::vector<Region> regions;
  for (const auto& [key, buffer] : buffers_) regions.push_back({buffer.data(), buffer.size()});
  std::sort(regions.begin(), regions.end(), [](const Region& a, const Region& b) {
    return reinterpret_cast<uintptr_t>(a.data) < reinterpret_cast<uintptr_t>(b.data);
  });
  return regions;
}

}  // namespace missile::runtime::cuda
