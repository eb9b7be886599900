#include "pcie/host_allocator.h"

#include <new>

namespace missile::pcie {

Result<std::byte*> AlignedHostAllocator::Allocate(size_t bytes, size_t alignment) {
  void* data = ::operator new(bytes, std::align_val_t(alignment), std::nothrow);
  if (data == nullptr) {
    return Error(ErrorCode::kResourceExhausted, "cannot allocate {} bytes of host memory", bytes);
  }
  return static_cast<std::byte*>(data);
}

void AlignedHostAllocator::Free(std::byte* data, size_t bytes, size_t alignment) {
  ::operator delete(data, bytes, std::align_val_t(alignment));
}

}  // namespace missile::pcie
