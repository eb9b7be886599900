#include "sim/sm_pool.h"

#include <algorithm>
#include <numeric>

namespace missile::sim {
namespace {

// The groups of `partition` that exist in `size` groups.
std::pair<size_t, size_t> Bounds(const sched::GroupRange& partition, size_t size) {
  const size_t begin = static_cast<size_t>(std::clamp(partition.begin, 0, static_cast<int>(size)));
  const size_t end =
      static_cast<size_t>(std::clamp(partition.end, static_cast<int>(begin), static_cast<int>(size)));
  return {begin, end};
}

}  // namespace

SmPool::SmPool(const sched::GpuLayout& layout) : free_(static_cast<size_t>(layout.groups())) {
  for (int g = 0; g < layout.groups(); ++g) free_[static_cast<size_t>(g)] = layout.SmsInGroup(g);
}

int SmPool::FreeIn(const sched::GroupRange& partition) const {
  const auto [begin, end] = Bounds(partition, free_.size());
  return std::accumulate(free_.begin() + begin, free_.begin() + end, 0);
}

int SmPool::TakeFree(const sched::GroupRange& partition, int want, SmHoldings& holdings) {
  const auto [begin, end] = Bounds(partition, free_.size());
  int granted = 0;
  for (size_t g = begin; g < end && granted < want; ++g) {
    const int take = std::min(want - granted, free_[g]);
    free_[g] -= take;
    holdings[g] += take;
    granted += take;
  }
  return granted;
}

void SmPool::Release(SmHoldings& holdings) {
  for (size_t g = 0; g < holdings.size(); ++g) {
    free_[g] += holdings[g];
    holdings[g] = 0;
  }
}

int SmPool::Move(const sched::GroupRange& partition, int want, SmHoldings& from, SmHoldings& to) {
  const auto [begin, end] = Bounds(partition, from.size());
  int moved = 0;
  for (size_t g = begin; g < end && moved < want; ++g) {
    const int take = std::min(want - moved, from[g]);
    from[g] -= take;
    to[g] += take;
    moved += take;
  }
  return moved;
}

int SmPool::Count(const SmHoldings& holdings) {
  return std::accumulate(holdings.begin(), holdings.end(), 0);
}

int SmPool::CountIn(const sched::GroupRange& partition, const SmHoldings& holdings) {
  const auto [begin, end] = Bounds(partition, holdings.size());
  return std::accumulate(holdings.begin() + begin, holdings.begin() + end, 0);
}

}  // namespace missile::sim
