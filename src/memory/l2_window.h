// Which address range an LS stream's L2 access-policy window should cover, given where the tenant's hot data
// lies and how much persisting L2 it was granted.
//
// A stream has one window. Lines in it are persisting with probability hit_ratio (chosen per line by
// address), so a window larger than the budget gets hit_ratio = budget / window and its persisting lines
// just fill the budget; more would evict each other. What the window buys is the traffic of the covered data
// that the set-aside serves: sum of (accesses per request x bytes) of the regions inside, times hit_ratio.
// Gaps between regions cost window bytes and serve nothing, so the choice favours dense runs of hot tensors
// ("the hottest tensors that fit", by size and density).
#pragma once

#include <cstdint>
#include <span>

namespace missile::memory {

struct HotRegion {
  uint64_t address = 0;
  uint64_t bytes = 0;
  double accesses_per_request = 1;  // weights: read once per request
};

struct WindowChoice {
  uint64_t base = 0;
  uint64_t bytes = 0;  // 0: no window
  float hit_ratio = 0;
  int64_t covered_regions = 0;
  uint64_t covered_bytes = 0;
  double served_bytes_per_request = 0;  // expected traffic served from persisting lines
};

// Windows start at a region's start and end at a region's end, whole regions only, at most max_window_bytes
// (a region larger than that alone gets a window over its first max_window_bytes). Among windows serving the
// same traffic, the smallest, then the lowest. Regions must not overlap.
WindowChoice ChooseAccessWindow(std::span<const HotRegion> regions, uint64_t budget_bytes,
                                uint64_t max_window_bytes);

}  // namespace missile::memory
