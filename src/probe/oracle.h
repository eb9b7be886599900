// The question the channel solver asks the hardware: do these granules map to the same class (L2 home slice,
// memory channel)?
//
// On the GPU the answer comes from timing (atomic throughput over a few lines: 1.0 unit for one home slice,
// 2.0 for two, ~1.5 ms per test, see shared/CHANNELS.md), so answers are noisy and every answer is expensive:
// the solver is judged by how few questions it asks. Every call is one measurement; asking again gives an
// independent answer, which is what the solver's votes rely on.
#pragma once

#include <cstdint>
#include <span>

namespace missile::probe {

// A byte address inside a granule; the solver only asks about granule-aligned addresses but any address of
// the granule works, since all lines of a granule behave alike.
using Address = uint64_t;

class SameClassOracle {
 public:
  virtual ~SameClassOracle() = default;

  // One measurement: do a and b share a class? May be wrong.
  virtual bool Same(Address a, Address b) = 0;

  // The largest group SameAsAny accepts; 1 when only pairs can be measured.
  virtual int max_group_size() const { return 1; }

  // One measurement: does `a` share a class with any member of `group`, whose members are in pairwise
  // distinct classes? On the GPU: hammer {a} ∪ group and read the number of distinct slices from the
  // throughput, which is |group| on a match and |group| + 1 otherwise. Only called with 1 <= group.size() <=
  // max_group_size().
  virtual bool SameAsAny(Address a, std::span<const Address> group) { return Same(a, group.front()); }
};

}  // namespace missile::probe
