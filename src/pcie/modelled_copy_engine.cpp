#include "pcie/modelled_copy_engine.h"

#include <algorithm>
#include <cmath>

namespace missile::pcie {

Nanos CopyEngineModel::Occupancy(uint64_t bytes) const {
  return per_copy_overhead + Nanos(std::llround(static_cast<double>(bytes) * 1e9 / bytes_per_second));
}

void ModelledCopyEngine::Issue(ChunkCopy& copy, CopyListener& listener) {
  const Nanos occupancy = model_.Occupancy(copy.bytes);
  free_at_ = std::max(free_at_, clock_.Now()) + occupancy;
  ++copies_;
  bytes_ += copy.bytes;
  busy_time_ += occupancy;
  clock_.At(free_at_, [&copy, &listener] { listener.OnChunkCopied(copy, Status::Ok()); });
}

}  // namespace missile::pcie
