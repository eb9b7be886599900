// Software cache coloring: each tenant owns a set of classes (L2 home slices / memory channels) and receives
// only memory whose every granule maps into its set, so a memory-bound tenant cannot crowd the channels of
// another.
//
// Mechanism apart from policy: which classes a tenant gets is the caller's choice (ColorSet); this class
// enforces it. Units come from a PlacementBackend; each acquired unit is looked up in the hash model and
// either handed to the asking tenant (its classes lie in the tenant's colors) or parked for another tenant.
// Colored tenants must not share classes. For a backend whose units cannot be looked up (the CUDA VMM
// backend), a unit may touch any class a probed unit touched, so only a tenant holding all of them can be
// served; the refusal quotes the placement analysis.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "memory/color_set.h"
#include "memory/placement_analysis.h"
#include "memory/placement_backend.h"
#include "probe/hash_model.h"

namespace missile::memory {

struct ColoredAllocation {
  uint64_t id = 0;
  std::string tenant;
  std::vector<PlacementUnit> units;
  uint64_t bytes() const;
};

struct TenantColoring {
  std::string tenant;
  ColorSet colors;
  uint64_t held_bytes = 0;
  int64_t allocations = 0;
};

class ColoringAllocator {
 public:
  // `model` must be keyed on the backend's unit addresses (physical addresses for a physical backend).
  static Result<std::unique_ptr<ColoringAllocator>> Create(probe::HashModel model, PlacementBackend& backend);
  ~ColoringAllocator();  // releases every unit still held or parked

  // The isolation the backend's unit size allows under the model.
  const PlacementAnalysis& isolation() const { return isolation_; }

  // kInvalidArgument for a duplicate name or colors of another class count; kFailedPrecondition when the
  // colors overlap another tenant's or no unit could ever lie within them (with the analysis' numbers).
  Status AddTenant(const std::string& tenant, ColorSet colors);
  // kFailedPrecondition while the tenant holds memory.
  Status RemoveTenant(const std::string& tenant);

  // At least `bytes`, in whole units. kResourceExhausted when the backend ran out first (the units found are
  // kept for the next request, nothing is leaked).
  Result<ColoredAllocation> Allocate(const std::string& tenant, uint64_t bytes);
  Status Free(const ColoredAllocation& allocation);
  // Gives the parked units (acquired but fitting no request yet) back to the backend.
  void ReleaseParked();

  Result<TenantColoring> Usage(const std::string& tenant) const;
  int64_t parked_units() const { return static_cast<int64_t>(parked_.size()); }
  int64_t acquired_units() const { return acquired_; }

  // The classes a unit touches according to the model; nullopt when the model cannot tell (a unit of a
  // backend without known classes, or an address the model does not cover).
  std::optional<std::vector<int32_t>> ClassesOf(const PlacementUnit& unit) const;

 private:
  struct Parked {
    PlacementUnit unit;
    std::optional<std::vector<int32_t>> classes;
  };
  struct Tenant {
    ColorSet colors;
    uint64_t held_bytes = 0;
    int64_t allocations = 0;
  };

  ColoringAllocator(probe::HashModel model, PlacementBackend& backend)
      : model_(std::move(model)), backend_(backend) {}
  bool Fits(const Tenant& tenant, const std::optional<std::vector<int32_t>>& classes) const;

  probe::HashModel model_;
  PlacementBackend& backend_;
  PlacementAnalysis isolation_;
  std::vector<UnitClasses> model_units_;  // page models: the probed units, for feasibility checks
  ColorSet seen_classes_;                 // every class some unit touches
  std::map<std::string, Tenant> tenants_;
  std::map<uint64_t, ColoredAllocation> allocations_;
  std::vector<Parked> parked_;
  uint64_t next_id_ = 1;
  int64_t acquired_ = 0;
};

}  // namespace missile::memory
