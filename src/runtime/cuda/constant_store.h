// Model weights on the GPU, uploaded once per session: every executable of the session (one per input-shape
// set) finds its constants here by content, so a second shape set uploads only the constants that differ
// (a folded shape, say), not the weights.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "core/tensor.h"
#include "device/cuda/device_memory.h"
#include "runtime/transfer_route.h"

namespace missile::runtime::cuda {

class ConstantStore {
 public:
  // Uploads go through `route` when one is given (from the tensor's pageable memory, which the route
  // stages), else with cudaMemcpy. The route must outlive the store.
  explicit ConstantStore(TransferRoute* route = nullptr) : route_(route) {}

  // The device copy of `constant`, uploaded now if no identical one is stored.
  Result<const void*> DevicePointer(const Tensor& constant);
  size_t bytes() const { return bytes_; }

  // Where the weights lie, one region per stored constant in address order: what an L2 access-policy window
  // over a session's weights has to cover.
  struct Region {
    const void* data = nullptr;
    size_t bytes = 0;
  };
  std::vector<Region> regions() const;

 private:
  using Key = std::tuple<DataType, size_t, uint64_t>;  // dtype, bytes, content hash
  TransferRoute* route_ = nullptr;
  std::map<Key, device::cuda::DeviceBuffer> buffers_;
  size_t bytes_ = 0;
};

}  // namespace missile::runtime::cuda
