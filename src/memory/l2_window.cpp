#include "memory/l2_window.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace missile::memory {
namespace {

WindowChoice Evaluate(uint64_t base, uint64_t end, double heat_bytes, int64_t regions, uint64_t covered,
                      uint64_t budget) {
  WindowChoice choice;
  choice.base = base;
  choice.bytes = end - base;
  const double ratio = std::min(1.0, double(budget) / double(choice.bytes));
  choice.hit_ratio = static_cast<float>(ratio);
  choice.covered_regions = regions;
  choice.covered_bytes = covered;
  choice.served_bytes_per_request = heat_bytes * ratio;
  return choice;
}

bool Better(const WindowChoice& a, const WindowChoice& b) {
  const double scale = std::max(a.served_bytes_per_request, b.served_bytes_per_request);
  if (std::abs(a.served_bytes_per_request - b.served_bytes_per_request) > 1e-9 * scale) {
    return a.served_bytes_per_request > b.served_bytes_per_request;
  }
  if (a.bytes != b.bytes) return a.bytes < b.bytes;
  return a.base < b.base;
}

}  // namespace

WindowChoice ChooseAccessWindow(std::span<const HotRegion> regions, uint64_t budget_bytes,
                                uint64_t max_window_bytes) {
  std::vector<HotRegion> sorted;
  for (const HotRegion& r : regions) {
    if (r.bytes > 0 && r.accesses_per_request > 0) sorted.push_back(r);
  }
  WindowChoice best;
  if (sorted.empty() || budget_bytes == 0 || max_window_bytes == 0) return best;
  std::sort(sorted.begin(), sorted.end(),
            [](const HotRegion& a, const HotRegion& b) { return a.address < b.address; });
  for (size_t i = 0; i < sorted.size(); ++i) {
    const uint64_t base = sorted[i].address;
    if (sorted[i].bytes > max_window_bytes) {
      const WindowChoice clipped =
          Evaluate(base, base + max_window_bytes, sorted[i].accesses_per_request * double(max_window_bytes),
                   1, max_window_bytes, budget_bytes);
      if (best.bytes == 0 || Better(clipped, best)) best = clipped;
      continue;
    }
    double heat = 0;
    uint64_t covered = 0;
    for (size_t j = i; j < sorted.size(); ++j) {
      const uint64_t end = sorted[j].address + sorted[j].bytes;
      if (end - base > max_window_bytes) break;
      heat += sorted[j].accesses_per_request * double(sorted[j].bytes);
      covered += sorted[j].bytes;
      const WindowChoice candidate = Evaluate(base, end, heat, int64_t(j - i + 1), covered, budget_bytes);
      if (best.bytes == 0 || Better(candidate, best)) best = candidate;
    }
  }
  return best;
}

}  // namespace missile::memory
