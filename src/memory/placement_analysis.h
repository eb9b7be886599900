// What isolation a placement granularity allows, given which classes (channels / L2 home slices) each unit of
// memory touches.
//
// A tenant colored with class set S may only receive units whose classes all lie in S. So:
//  - a unit touching every class can go to no colored tenant; when every unit does, no channel subset can be
//    isolated at this granularity (Isolation::kNone) — the H200's 2 MiB VMM pages;
//  - classes linked by co-occurring in some unit must share a color; when the classes split into several
//    such groups ("zero-waste colors"), tenants given different groups are isolated and every unit is usable
//    by someone (kColors);
//  - in between, some tenants can be kept apart only by leaving the units that straddle their colors unused
//    (kWithWaste).
// Observations may be partial (a sample of a unit's lines) and are then subsets of the truth: a partial unit
// seen touching every class proves it does, anything else it shows proves nothing. The verdict uses only what
// the observations prove and says "undetermined" otherwise.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "memory/color_set.h"
#include "probe/hash_model.h"

namespace missile::memory {

struct UnitClasses {
  uint64_t base = 0;
  std::vector<int32_t> classes;  // sorted, distinct
  bool complete = true;          // every line of the unit was observed
};

enum class Isolation { kNone, kWithWaste, kColors, kUndetermined };
const char* IsolationName(Isolation isolation);

struct PlacementAnalysis {
  uint64_t unit_bytes = 0;
  int64_t class_count = 0;
  int64_t units = 0;  // analysed units (for an XOR model: every unit, all alike)
  int64_t complete_units = 0;
  int64_t min_classes_per_unit = 0;
  int64_t max_classes_per_unit = 0;
  double mean_classes_per_unit = 0;
  int64_t unseen_classes = 0;      // classes no unit was seen to touch
  int64_t units_touching_all = 0;  // units seen to touch every class (a proof even for partial ones)
  // Zero-waste colors: the classes linked by co-occurrence, each sorted, ordered by their smallest class.
  std::vector<std::vector<int32_t>> colors;
  bool disjoint_units_exist = false;  // two units with disjoint observed class sets
  Isolation isolation = Isolation::kUndetermined;

  double min_fraction_per_unit() const {
    return class_count > 0 ? double(min_classes_per_unit) / double(class_count) : 0;
  }
  // One paragraph with the numbers, for reports and error messages.
  std::string Summary() const;
};

// Analyses observed units (any number; a unit with no observed class is ignored).
PlacementAnalysis AnalyzeUnits(std::span<const UnitClasses> units, int64_t class_count, uint64_t unit_bytes);

// The units of `unit_bytes` covered by a page model (kPageTable, kPageSwizzleMod), complete. The unit must
// divide the page or be a multiple of it (a unit spanning pages is included only when all its pages are in
// the model).
Result<std::vector<UnitClasses>> ModelUnits(const probe::HashModel& model, uint64_t unit_bytes);

// For any model: an XOR model analytically (every unit is a coset of the same subspace), page models over
// their probed pages.
Result<PlacementAnalysis> AnalyzePlacement(const probe::HashModel& model, uint64_t unit_bytes);

// Classified lines (address, class) grouped into units. `equivalent_bits` are address bits known not to
// change the class (bit 9 on the H200): a line stands for its twins. A unit is complete when every line of it
// is a classified line or a twin of one.
struct ClassifiedLine {
  uint64_t address = 0;
  int32_t label = 0;
};
std::vector<UnitClasses> UnitsFromLines(std::span<const ClassifiedLine> lines, uint64_t granule_bytes,
                                        uint64_t unit_bytes, uint64_t equivalent_bits);

// The share of units whose classes all lie in `colors`: how much of the memory a tenant with these colors
// could use.
double UsableFraction(std::span<const UnitClasses> units, const ColorSet& colors);

}  // namespace missile::memory
