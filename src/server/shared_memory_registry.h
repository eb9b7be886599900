// The system shared-memory extension's server state: the regions clients registered (a name for bytes
// [offset, offset + byte_size) of a POSIX shared-memory object), and the reads and writes of tensors that
// requests place in them (their parameters shared_memory_region / _offset / _byte_size).
//
// A region stays mapped while a request uses it: unregistering drops the name at once, the mapping goes
// with the last tensor that refers to it. Trust: a registered client can make the server read and write
// any object the server's user may open, and an object shrunk after registration makes the server fault on
// access (SIGBUS), as with Triton's extension. So the extension is off unless the configuration turns it on
// (server.allow_client_shared_memory), for clients on the same host that the operator trusts.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "server/infer_codec.h"
#include "server/shared_memory_mapping.h"

namespace missile::server {

struct SharedMemoryRegionStatus {
  std::string name;
  std::string key;
  uint64_t offset = 0;
  uint64_t byte_size = 0;
};

class SharedMemoryRegistry {
 public:
  // kFailedPrecondition when `name` is registered already; the mapping's errors otherwise.
  Status Register(const std::string& name, const std::string& key, uint64_t offset, uint64_t byte_size);
  // kNotFound when no region has that name.
  Status Unregister(const std::string& name);
  void UnregisterAll();
  // Every region, or the one named (kNotFound when there is none).
  Result<std::vector<SharedMemoryRegionStatus>> List(const std::optional<std::string>& name) const;

  // `where` names a registered region and lies inside it.
  Status CheckRange(const SharedMemoryRef& where) const { return Locate(where).status(); }
  // The tensor at `where` (its byte_size must equal the shape's bytes), in place when 64-byte aligned.
  Result<Tensor> Read(const SharedMemoryRef& where, DataType dtype, const Shape& shape) const;
  // Copies `tensor` to `where`, whose byte_size must hold it.
  Status Write(const SharedMemoryRef& where, const Tensor& tensor) const;

 private:
  struct Region {
    SharedMemoryRegionStatus status;
    std::shared_ptr<SharedMemoryMapping> mapping;
  };
  // The bytes [where.offset, where.offset + where.byte_size) of the named region, and what keeps them mapped.
  Result<std::pair<std::shared_ptr<SharedMemoryMapping>, std::span<std::byte>>> Locate(
      const SharedMemoryRef& where) const;

  mutable std::mutex mutex_;
  std::map<std::string, Region> regions_;
};

}  // namespace missile::server
