#include "server/shared_memory_registry.h"

#include <cstring>

#include "server/oip_datatype.h"
#include "server/server_config.h"

namespace missile::server {

Status SharedMemoryRegistry::Register(const std::string& name, const std::string& key, uint64_t offset,
                                      uint64_t byte_size) {
  MISSILE_RETURN_IF_ERROR(CheckName(name, "shared-memory region"));
  {
    std::lock_guard lock(mutex_);
    if (regions_.count(name) != 0) {
      return Error(ErrorCode::kFailedPrecondition, "shared-memory region '{}' is registered already", name);
    }
  }
  // Mapped outside the lock: a slow mmap must not hold up requests reading other regions.
  MISSILE_ASSIGN_OR_RETURN(auto mapping, SharedMemoryMapping::Open(key, offset, byte_size));
  std::lock_guard lock(mutex_);
  const bool added =
      regions_.emplace(name, Region{{name, key, offset, byte_size}, std::move(mapping)}).second;
  if (!added) {
    return Error(ErrorCode::kFailedPrecondition, "shared-memory region '{}' is registered already", name);
  }
  return Status::Ok();
}

Status SharedMemoryRegistry::Unregister(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (regions_.erase(name) == 0) {
    return Error(ErrorCode::kNotFound, "no shared-memory region '{}' is registered", name);
  }
  return Status::Ok();
}

void SharedMemoryRegistry::UnregisterAll() {
  std::lock_guard lock(mutex_);
  regions_.clear();
}

Result<std::vector<SharedMemoryRegionStatus>> SharedMemoryRegistry::List(
    const std::optional<std::string>& name) const {
  std::lock_guard lock(mutex_);
  std::vector<SharedMemoryRegionStatus> statuses;
  if (name.has_value()) {
    auto it = regions_.find(*name);
    if (it == regions_.end()) {
      return Error(ErrorCode::kNotFound, "no shared-memory region '{}' is registered", *name);
    }
    statuses.push_back(it->second.status);
    return statuses;
  }
  for (const auto& [region_name, region] : regions_) statuses.push_back(region.status);
  return statuses;
}

Result<std::pair<std::shared_ptr<SharedMemoryMapping>, std::span<std::byte>>> SharedMemoryRegistry::Locate(
    const SharedMemoryRef& where) const {
  std::shared_ptr<SharedMemoryMapping> mapping;
  {
    std::lock_guard lock(mutex_);
    auto it = regions_.find(where.region);
    if (it == regions_.end()) {
      return Error(ErrorCode::kInvalidArgument, "no shared-memory region '{}' is registered", where.region);
    }
    mapping = it->second.mapping;
  }
  const std::span<std::byte> region = mapping->bytes();
  uint64_t end = 0;
  if (__builtin_add_overflow(where.offset, where.byte_size, &end) || end > region.size()) {
    return Error(ErrorCode::kInvalidArgument,
                 "shared-memory region '{}' holds {} bytes: offset {} + byte_size {} lies past its end",
                 where.region, region.size(), where.offset, where.byte_size);
  }
  return std::make_pair(std::move(mapping), region.subspan(where.offset, where.byte_size));
}

Result<Tensor> SharedMemoryRegistry::Read(const SharedMemoryRef& where, DataType dtype,
                                          const Shape& shape) const {
  const uint64_t bytes = TensorByteSize(dtype, shape);
  if (bytes != where.byte_size) {
    return Error(ErrorCode::kInvalidArgument, "shared_memory_byte_size is {} bytes, the tensor has {}",
                 where.byte_size, bytes);
  }
  MISSILE_ASSIGN_OR_RETURN(auto located, Locate(where));
  auto& [mapping, span] = located;
  if (reinterpret_cast<uintptr_t>(span.data()) % 64 == 0) {
    // The tensor keeps the mapping alive (aliasing): an unregister meanwhile does not pull it away.
    std::shared_ptr<SharedMemoryMapping> keep = std::move(mapping);
    std::shared_ptr<std::byte[]> data(std::move(keep), span.data());
    return Tensor::Wrap(dtype, shape, std::move(data));
  }
  Tensor tensor(dtype, shape);
  if (!span.empty()) std::memcpy(tensor.raw_data(), span.data(), span.size());
  return tensor;
}

Status SharedMemoryRegistry::Write(const SharedMemoryRef& where, const Tensor& tensor) const {
  if (tensor.nbytes() > where.byte_size) {
    return Error(ErrorCode::kInvalidArgument,
                 "shared_memory_byte_size is {} bytes, too small for the output's {} bytes", where.byte_size,
                 tensor.nbytes());
  }
  MISSILE_ASSIGN_OR_RETURN(auto located, Locate(where));
  if (tensor.nbytes() > 0) std::memcpy(located.second.data(), tensor.raw_data(), tensor.nbytes());
  return Status::Ok();
}

}  // namespace missile::server
