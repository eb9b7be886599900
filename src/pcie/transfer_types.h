// Identifiers and units shared by the transfer scheduler's policy, its copy engines and the service.
#pragma once

#include <chrono>
#include <cstdint>

namespace missile::pcie {

using TenantId = uint32_t;
using TransferId = uint64_t;
// Durations, and instants since an arbitrary epoch, on a real or a virtual clock.
using Nanos = std::chrono::nanoseconds;

inline constexpr uint64_t kKiB = uint64_t{1} << 10;
inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kGiB = uint64_t{1} << 30;

// One scheduler, and one engine, serve each direction: the link carries both at once (DEVICE.md: 101 GB/s in
// total), but copies of the same direction share one ~55 GB/s pipe.
enum class Direction { kHostToDevice, kDeviceToHost };

constexpr const char* DirectionName(Direction direction) {
  return direction == Direction::kHostToDevice ? "host-to-device" : "device-to-host";
}

}  // namespace missile::pcie
