#include "plan/memory_planner.h"

#include <algorithm>
#include <numeric>

namespace missile::plan {
namespace {

size_t AlignUp(size_t bytes) {
  return (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

bool LifetimesOverlap(const BufferRequest& a, const BufferRequest& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

}  // namespace

MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });

  struct Placed {
    size_t offset, end;
    size_t request;
  };
  std::vector<Placed> placed;  // kept sorted by offset
  for (size_t index : order) {
    const BufferRequest& request = requests[index];
    const size_t size = AlignUp(request.bytes);
    if (size == 0) continue;
    // Walk the live-at-the-same-time buffers in offset order and take the first gap that fits.
    size_t candidate = 0;
    for (const Placed& p : placed) {
      if (!LifetimesOverlap(requests[p.request], request)) continue;
      if (p.offset >= candidate + size) break;
      candidate = std::max(candidate, p.end);
    }
    plan.offsets[index] = candidate;
    plan.arena_bytes = std::max(plan.arena_bytes, candidate + size);
    const Placed entry{candidate, candidate + size, index};
    placed.insert(std::upper_bound(placed.begin(), placed.end(), entry,
                                   [](const Placed& a, const Placed& b) { return a.offset < b.offset; }),
                  entry);
  }
  return plan;
}

}  // namespace missile::plan
