// What the channel solver hands on: which class (channel / L2 home slice) every granule of memory belongs to.
//
// Three forms, from most to least compact:
//  - kXor: class bit j = parity(address & rows[j]) — a linear hash over GF(2), for power-of-two class counts.
//  - kPageSwizzleMod: inside each page, class = ((in-page index XOR s) + t) mod C, where the in-page index
//  gathers
//    the bits of in_page_index_mask — the "swizzle then modulo" family that NVIDIA's patents describe for
//    non-power-of-two partition counts — with each page's numbering tied to a reference page's by a final XOR
//    of the class with a value x below the largest power of two dividing C. Three numbers per page, not a
//    table.
//  - kPageTable: one class per granule of each probed page, whatever the mapping is.
// Written as JSON by `missile probe channels`, read by the coloring allocator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "probe/gf2.h"
#include "probe/oracle.h"

namespace missile::probe {

// class = sum over j of parity(address & rows[j]) << j.
struct XorHash {
  std::vector<uint64_t> rows;

  int64_t class_count() const { return int64_t{1} << rows.size(); }
  int64_t ClassOf(Address address) const;
  // Two hashes induce the same partition of addresses exactly when their rows span the same space.
  gf2::Subspace RowSpace() const { return gf2::Subspace(rows); }
};

// class = (CompressBits(address, index_mask) XOR swizzle(address)) mod modulus, where bit j of
// swizzle(address) is parity(address & swizzle_rows[j]). With physical addresses this is a whole-memory hash;
// the solver sees virtual addresses only, so it recovers the per-page form below (and the rows when physical
// page numbers are known, see swizzle_fit.h).
struct SwizzleModHash {
  uint64_t index_mask = 0;
  std::vector<uint64_t> swizzle_rows;
  int64_t modulus = 1;

  int64_t ClassOf(Address address) const;
};

// One page of kPageSwizzleMod. Why the output XOR: the solver numbers classes after a reference page whose
// constant it knows only up to equivalents that renumber classes (swizzle_fit.h); in that numbering another
// page is ((index XOR s) + t) mod C only after undoing the renumbering, which the XOR does.
struct SwizzlePage {
  Address base = 0;
  uint64_t xor_constant = 0;  // s
  int64_t label_offset = 0;   // t
  uint64_t output_xor = 0;    // x

  int64_t ClassOfIndex(uint64_t index, int64_t class_count) const {
    const uint64_t c = static_cast<uint64_t>(class_count);
    return static_cast<int64_t>((((index ^ xor_constant) + static_cast<uint64_t>(label_offset)) % c) ^
                                output_xor);
  }
};

// One page of kPageTable: classes[i] is the class of the granule at base + i * granule_bytes.
struct PageClassTable {
  Address base = 0;
  std::vector<int32_t> classes;
};

enum class HashKind { kXor, kPageSwizzleMod, kPageTable };

struct HashModel {
  HashKind kind = HashKind::kXor;
  uint64_t granule_bytes = 256;
  int64_t class_count = 1;
  // Whether a class number names the same class on every page. Pages classified one by one get their own
  // numbering until they are aligned with a reference page.
  bool labels_aligned_across_pages = true;

  XorHash xor_hash;  // kXor

  uint64_t page_bytes = 0;                 // kPageSwizzleMod, kPageTable
  uint64_t in_page_index_mask = 0;         // kPageSwizzleMod
  std::vector<SwizzlePage> swizzle_pages;  // kPageSwizzleMod
  std::vector<PageClassTable> tables;      // kPageTable

  // The class of the granule holding `address`, or nullopt when the model does not cover it (a page that was
  // not probed).
  std::optional<int64_t> ClassOf(Address address) const;
};

// Checks the invariants ClassOf relies on (sizes, ranges, alignment) and says which one fails.
Status Validate(const HashModel& model);

std::string HashModelToJson(const HashModel& model);
Result<HashModel> HashModelFromJson(std::string_view json);

}  // namespace missile::probe
