#include "memory/placement_analysis.h"

#include <algorithm>
#include <bit>
#include <map>
#include <numeric>
#include <set>

#include "probe/gf2.h"

namespace missile::memory {
namespace {

// Twins of a line through equivalent bits are expanded only up to this many bits.
constexpr int kMaxEquivalentBits = 4;

std::string Bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0)
    return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

class UnionFind {
 public:
  explicit UnionFind(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  size_t Find(size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void Join(size_t a, size_t b) { parent_[Find(a)] = Find(b); }

 private:
  std::vector<size_t> parent_;
};

using Bits = std::vector<uint64_t>;

Bits ToBits(const std::vector<int32_t>& classes, int64_t class_count) {
  Bits bits(static_cast<size_t>((class_count + 63) / 64), 0);
  for (int32_t c : classes) bits[static_cast<size_t>(c) / 64] |= uint64_t{1} << (c % 64);
  return bits;
}

bool Disjoint(const Bits& a, const Bits& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] & b[i]) return false;
  }
  return true;
}

// Whether two of the class sets are disjoint; identical sets are compared once.
bool AnyDisjointPair(std::span<const UnitClasses> units, int64_t class_count) {
  std::set<std::vector<int32_t>> distinct;
  for (const UnitClasses& unit : units) {
    if (!unit.classes.empty()) distinct.insert(unit.classes);
  }
  std::vector<Bits> sets;
  for (const auto& classes : distinct) sets.push_back(ToBits(classes, class_count));
  for (size_t i = 0; i < sets.size(); ++i) {
    for (size_t j = i + 1; j < sets.size(); ++j) {
      if (Disjoint(sets[i], sets[j])) return true;
    }
  }
  return false;
}

void SortUnique(std::vector<int32_t>& classes) {
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
}

Result<PlacementAnalysis> AnalyzeXor(const probe::HashModel& model, uint64_t unit_bytes) {
  const std::vector<uint64_t>& rows = model.xor_hash.rows;
  const int k = static_cast<int>(rows.size());
  if (k > 20)
    return Error(ErrorCode::kUnimplemented, "an XOR model with {} output bits is too large to list", k);
  // The classes one unit reaches from its first address: the span of the columns of its in-unit bits.
  probe::gf2::Subspace reach;
  for (int bit = 0; bit < std::countr_zero(unit_bytes); ++bit) {
    uint64_t column = 0;
    for (int j = 0; j < k; ++j) column |= uint64_t((rows[j] >> bit) & 1) << j;
    reach.Insert(column);
  }
  PlacementAnalysis analysis;
  analysis.unit_bytes = unit_bytes;
  analysis.class_count = model.class_count;
  analysis.min_classes_per_unit = analysis.max_classes_per_unit = int64_t{1} << reach.dim();
  analysis.mean_classes_per_unit = static_cast<double>(analysis.min_classes_per_unit);
  // Colors are the cosets of that span: classes with the same reduced form.
  std::map<uint64_t, std::vector<int32_t>> cosets;
  for (int64_t c = 0; c < model.class_count; ++c)
    cosets[reach.Reduce(static_cast<uint64_t>(c))].push_back(int32_t(c));
  for (auto& [representative, classes] : cosets) analysis.colors.push_back(std::move(classes));
  std::sort(analysis.colors.begin(), analysis.colors.end());
  analysis.disjoint_units_exist = analysis.colors.size() > 1;
  analysis.isolation = analysis.colors.size() > 1 ? Isolation::kColors : Isolation::kNone;
  return analysis;
}

}  // namespace

const char* IsolationName(Isolation isolation) {
  switch (isolation) {
    case Isolation::kNone:
      return "none";
    case Isolation::kWithWaste:
      return "with_waste";
    case Isolation::kColors:
      return "colors";
    case Isolation::kUndetermined:
      return "undetermined";
  }
  return "?";
}

std::string PlacementAnalysis::Summary() const {
  std::string text;
  if (complete_units == units) {
    const std::string scope = units > 0 ? fmt::format("the {} analysed units", units) : "every unit";
    text = fmt::format("{} units: {} touch {}..{} of {} classes each (at least {:.1f}%, mean {:.1f})",
                       Bytes(unit_bytes), scope, min_classes_per_unit, max_classes_per_unit, class_count,
                       100 * min_fraction_per_unit(), mean_classes_per_unit);
  } else {
    // Partial observations give lower bounds only: say how many units were seen touching everything.
    text = fmt::format(
        "{} units: {} analysed, {} of them observed only in part (classes seen: {}..{} of {}, lower "
        "bounds); {} seen to touch all {} classes",
        Bytes(unit_bytes), units, units - complete_units, min_classes_per_unit, max_classes_per_unit,
        class_count, units_touching_all, class_count);
  }
  if (unseen_classes > 0) text += fmt::format("; {} classes were never observed", unseen_classes);
  switch (isolation) {
    case Isolation::kNone:
      if (units_touching_all == units) {
        text += fmt::format(
            ". Every analysed unit touches all {} classes: no channel subset can be isolated at this "
            "granularity.",
            class_count);
      } else if (units_touching_all > 0) {
        text +=
            ". No unit observed in full touches fewer than all classes: no channel subset can be isolated at "
            "this granularity.";
      } else {
        text +=
            ". No two units have disjoint class sets: no channel subset can be isolated at this granularity.";
      }
      break;
    case Isolation::kColors:
      text += fmt::format(
          ". The classes split into {} zero-waste colors (every unit lies in one): up to {} "
          "tenants can be isolated with all memory usable.",
          colors.size(), colors.size());
      break;
    case Isolation::kWithWaste:
      text +=
          ". Some units have disjoint class sets, but co-occurrence links all classes into one color: "
          "tenants "
          "can be kept apart only by leaving the units that straddle their colors unused.";
      break;
    case Isolation::kUndetermined:
      text += ". The observations do not settle whether tenants can be isolated: observe whole units.";
      break;
  }
  return text;
}

PlacementAnalysis AnalyzeUnits(std::span<const UnitClasses> units, int64_t class_count, uint64_t unit_bytes) {
  PlacementAnalysis analysis;
  analysis.unit_bytes = unit_bytes;
  analysis.class_count = class_count;
  UnionFind links(static_cast<size_t>(std::max<int64_t>(0, class_count)));
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(0, class_count)), false);
  int64_t total = 0;
  analysis.min_classes_per_unit = class_count;
  for (const UnitClasses& unit : units) {
    if (unit.classes.empty()) continue;
    ++analysis.units;
    analysis.complete_units += unit.complete;
    const int64_t n = static_cast<int64_t>(unit.classes.size());
    analysis.min_classes_per_unit = std::min(analysis.min_classes_per_unit, n);
    analysis.max_classes_per_unit = std::max(analysis.max_classes_per_unit, n);
    total += n;
    for (int32_t c : unit.classes) {
      seen[static_cast<size_t>(c)] = true;
      links.Join(static_cast<size_t>(c), static_cast<size_t>(unit.classes.front()));
    }
  }
  if (analysis.units == 0) {
    analysis.min_classes_per_unit = 0;
    analysis.unseen_classes = class_count;
    return analysis;  // kUndetermined
  }
  analysis.mean_classes_per_unit = double(total) / double(analysis.units);
  std::map<size_t, std::vector<int32_t>> groups;
  for (int64_t c = 0; c < class_count; ++c) {
    if (seen[static_cast<size_t>(c)]) {
      groups[links.Find(static_cast<size_t>(c))].push_back(static_cast<int32_t>(c));
    } else {
      ++analysis.unseen_classes;
    }
  }
  for (auto& [root, classes] : groups) analysis.colors.push_back(std::move(classes));
  std::sort(analysis.colors.begin(), analysis.colors.end());

  analysis.disjoint_units_exist = AnyDisjointPair(units, class_count);
  int64_t complete_but_not_all = 0;
  for (const UnitClasses& unit : units) {
    if (unit.classes.empty()) continue;
    const bool all = static_cast<int64_t>(unit.classes.size()) == class_count;
    analysis.units_touching_all += all;
    complete_but_not_all += unit.complete && !all;
  }
  if (analysis.units_touching_all > 0 && complete_but_not_all == 0) {
    // Every unit known in full touches every class, and some partial ones were seen to: none can be colored.
    analysis.isolation = Isolation::kNone;
  } else if (analysis.complete_units < analysis.units || analysis.units < 2) {
    analysis.isolation = Isolation::kUndetermined;
  } else if (analysis.colors.size() > 1) {
    analysis.isolation = Isolation::kColors;
  } else {
    analysis.isolation = analysis.disjoint_units_exist ? Isolation::kWithWaste : Isolation::kNone;
  }
  return analysis;
}

Result<std::vector<UnitClasses>> ModelUnits(const probe::HashModel& model, uint64_t unit_bytes) {
  MISSILE_RETURN_IF_ERROR(probe::Validate(model));
  if (model.kind == probe::HashKind::kXor) {
    return Error(ErrorCode::kInvalidArgument,
                 "an XOR model covers all memory: analyse it with AnalyzePlacement");
  }
  if (!std::has_single_bit(unit_bytes)) {
    return Error(ErrorCode::kInvalidArgument, "unit of {} bytes is not a power of two", unit_bytes);
  }
  std::vector<uint64_t> bases;
  if (model.kind == probe::HashKind::kPageTable) {
    for (const probe::PageClassTable& page : model.tables) bases.push_back(page.base);
  } else {
    for (const probe::SwizzlePage& page : model.swizzle_pages) bases.push_back(page.base);
  }
  const uint64_t page = model.page_bytes;
  const uint64_t step = std::min(unit_bytes, model.granule_bytes);
  std::vector<UnitClasses> units;
  if (unit_bytes <= page) {
    for (uint64_t base : bases) {
      for (uint64_t offset = 0; offset < page; offset += unit_bytes) {
        UnitClasses unit{base + offset, {}, true};
        for (uint64_t a = base + offset; a < base + offset + unit_bytes; a += step) {
          unit.classes.push_back(static_cast<int32_t>(*model.ClassOf(a)));
        }
        SortUnique(unit.classes);
        units.push_back(std::move(unit));
      }
    }
    return units;
  }
  // Units spanning several pages: only those whose every page is in the model.
  std::map<uint64_t, std::vector<uint64_t>> pages_of_unit;
  for (uint64_t base : bases) pages_of_unit[base & ~(unit_bytes - 1)].push_back(base);
  for (const auto& [unit_base, pages] : pages_of_unit) {
    if (pages.size() != unit_bytes / page) continue;
    UnitClasses unit{unit_base, {}, true};
    for (uint64_t base : pages) {
      for (uint64_t a = base; a < base + page; a += model.granule_bytes) {
        unit.classes.push_back(static_cast<int32_t>(*model.ClassOf(a)));
      }
    }
    SortUnique(unit.classes);
    units.push_back(std::move(unit));
  }
  return units;
}

Result<PlacementAnalysis> AnalyzePlacement(const probe::HashModel& model, uint64_t unit_bytes) {
  MISSILE_RETURN_IF_ERROR(probe::Validate(model));
  if (!std::has_single_bit(unit_bytes)) {
    return Error(ErrorCode::kInvalidArgument, "unit of {} bytes is not a power of two", unit_bytes);
  }
  if (model.kind == probe::HashKind::kXor) return AnalyzeXor(model, unit_bytes);
  MISSILE_ASSIGN_OR_RETURN(std::vector<UnitClasses> units, ModelUnits(model, unit_bytes));
  if (units.empty()) {
    return Error(ErrorCode::kFailedPrecondition, "the model covers no whole unit of {}", Bytes(unit_bytes));
  }
  return AnalyzeUnits(units, model.class_count, unit_bytes);
}

std::vector<UnitClasses> UnitsFromLines(std::span<const ClassifiedLine> lines, uint64_t granule_bytes,
                                        uint64_t unit_bytes, uint64_t equivalent_bits) {
  equivalent_bits &= ~(granule_bytes - 1);
  if (std::popcount(equivalent_bits) > kMaxEquivalentBits) equivalent_bits = 0;
  const uint64_t granules_per_unit = std::max<uint64_t>(1, unit_bytes / granule_bytes);
  std::map<uint64_t, std::pair<std::vector<int32_t>, std::set<uint64_t>>> by_unit;  // classes, granules
  for (const ClassifiedLine& line : lines) {
    for (uint64_t k = 0; k < (uint64_t{1} << std::popcount(equivalent_bits)); ++k) {
      const uint64_t twin = line.address ^ probe::gf2::ExpandBits(k, equivalent_bits);
      auto& [classes, granules] = by_unit[twin & ~(unit_bytes - 1)];
      classes.push_back(line.label);
      granules.insert(twin & ~(granule_bytes - 1));
    }
  }
  std::vector<UnitClasses> units;
  for (auto& [base, entry] : by_unit) {
    UnitClasses unit{base, std::move(entry.first), entry.second.size() >= granules_per_unit};
    SortUnique(unit.classes);
    units.push_back(std::move(unit));
  }
  return units;
}

double UsableFraction(std::span<const UnitClasses> units, const ColorSet& colors) {
  int64_t counted = 0, usable = 0;
  for (const UnitClasses& unit : units) {
    if (unit.classes.empty()) continue;
    ++counted;
    usable += colors.ContainsAll(unit.classes);
  }
  return counted > 0 ? double(usable) / double(counted) : 0;
}

}  // namespace missile::memory
