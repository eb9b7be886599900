// What the CUDA data-movement kernels share: they copy bits, not values, so each is written once over an
// unsigned "unit" of 1 to 16 bytes (uint4 at 16: one 128-bit load or store per thread) and serves every
// dtype. A kernel picks the widest unit its sizes allow when it is built and checks at every Run that the
// buffers it is given are aligned to it, falling back to the element's own width when they are not.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <span>
#include <type_traits>

#include "core/status.h"

namespace missile::ops::cuda {

template <int kBytes>
struct UnitOf;
template <>
struct UnitOf<1> {
  using type = uint8_t;
};
template <>
struct UnitOf<2> {
  using type = uint16_t;
};
template <>
struct UnitOf<4> {
  using type = uint32_t;
};
template <>
struct UnitOf<8> {
  using type = uint64_t;
};
template <>
struct UnitOf<16> {
  using type = uint4;
};
template <int kBytes>
using Unit = typename UnitOf<kBytes>::type;

// Calls fn(Unit<bytes>{}) for bytes in {1, 2, 4, 8, 16}; bytes was chosen by the kernel's own planning, so
// another value is a bug, reported as such rather than launched.
template <typename Fn>
Status VisitUnit(int bytes, Fn&& fn) {
  switch (bytes) {
    case 1:
      return fn(Unit<1>{});
    case 2:
      return fn(Unit<2>{});
    case 4:
      return fn(Unit<4>{});
    case 8:
      return fn(Unit<8>{});
    case 16:
      return fn(Unit<16>{});
    default:
      return Error(ErrorCode::kInternal, "no data-movement unit of {} bytes", bytes);
  }
}

// VisitUnit for kernels that move whole elements only (1 to 8 bytes): no 16-byte instantiation.
template <typename Fn>
Status VisitElementUnit(int bytes, Fn&& fn) {
  switch (bytes) {
    case 1:
      return fn(Unit<1>{});
    case 2:
      return fn(Unit<2>{});
    case 4:
      return fn(Unit<4>{});
    case 8:
      return fn(Unit<8>{});
    default:
      return Error(ErrorCode::kInternal, "no element of {} bytes", bytes);
  }
}

// Whether every non-null pointer is aligned to `bytes` (a power of two).
inline bool AlignedTo(int bytes, std::span<const void* const> pointers) {
  for (const void* p : pointers) {
    if (p != nullptr && reinterpret_cast<uintptr_t>(p) % static_cast<uintptr_t>(bytes) != 0) return false;
  }
  return true;
}
inline bool AlignedTo(int bytes, const void* a, const void* b) {
  const void* const pointers[] = {a, b};
  return AlignedTo(bytes, pointers);
}

}  // namespace missile::ops::cuda
