// Explains a classified page as "swizzle, then modulo C", the form NVIDIA's patents give for non-power-of-two
// partition counts: class = ((index XOR s) + t) mod C, where index gathers the page-offset bits that matter
// (bit 8 and bits 10..20 of a 2 MiB page on the H200) and s, t are constants of the page (functions of its
// physical page number, which the solver cannot see).
//
// What a page's partition determines: t only renumbers classes, and so do two changes of s — XOR with any x
// below 2^z, where 2^z is the largest power of two dividing C ((v XOR x) mod C = (v mod C) XOR x), and XOR
// with all ones (v -> 2^w - 1 - v mirrors the classes). So a page fixes s up to those 2^(z+1) equivalent
// constants; measuring it against a second page (swizzle_identify.h) fixes the rest.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "probe/oracle.h"

namespace missile::probe {

struct SwizzleModFamily {
  uint64_t granule_bytes = 256;
  uint64_t page_bytes = uint64_t{2} << 20;
  uint64_t in_page_index_mask = 0;  // offset bits forming the index, lowest first
  int64_t modulus = 1;

  int index_bits() const;
  uint64_t granules() const { return page_bytes / granule_bytes; }
  // The representative of s's equivalent constants (those giving the same partition): low z bits clear, top
  // index bit clear.
  uint64_t Canonical(uint64_t xor_constant) const;
  // The equivalent constants of s, canonical first.
  std::vector<uint64_t> Equivalents(uint64_t xor_constant) const;
  uint64_t Index(uint64_t offset) const;
  // The class of a granule in the numbering (index XOR s) mod C.
  int64_t Predict(uint64_t offset, uint64_t xor_constant) const;
};

Status Validate(const SwizzleModFamily& family);

struct PageSwizzleFit {
  uint64_t xor_constant = 0;  // canonical
  // All constants explaining the page as well as xor_constant: its equivalents when the page fits the family,
  // more when it does not.
  std::vector<uint64_t> equally_good;
  double agreement = 0;  // fraction of granules whose class the fit predicts, under the best renumbering
};

// Tries every constant (2^index_bits of them, each checked against the whole page: ~0.1 s for a 2 MiB page on
// one core). Fails when the best explains fewer than min_agreement of the granules.
Result<PageSwizzleFit> FitPageSwizzle(std::span<const int32_t> page_labels, const SwizzleModFamily& family,
                                      double min_agreement = 0.99);

// A page whose physical address is known (through a patched driver, as FGPU and the Missile paper did) and
// its constant, aligned with the other pages' (AlignSwizzlePage).
struct PhysicalPageConstant {
  Address physical_base = 0;
  uint64_t xor_constant = 0;
};

// s(page) = F · page address XOR constant over GF(2): row j of F, a mask over the page address bits, gives
// bit j of s. The constant absorbs the reference page's arbitrary choice among its equivalents. The z low
// bits of s are not determined (rows and constant bits left 0): on pages where t is a multiple of 2^z,
// flipping them is indistinguishable from the output XOR, so alignment cannot pin them down.
struct SwizzleRows {
  std::vector<uint64_t> rows;
  uint64_t constant = 0;
  uint64_t determined_bits = 0;  // bits of s that rows and constant give
};

// Solves for F from aligned pages. Fails when the pages contradict an affine F or do not span
// page_address_bits (which must not include bit 63).
Result<SwizzleRows> FitSwizzleRows(std::span<const PhysicalPageConstant> pages, uint64_t page_address_bits,
                                   const SwizzleModFamily& family);

}  // namespace missile::probe
