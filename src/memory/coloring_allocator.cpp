#include "memory/coloring_allocator.h"

#include <algorithm>

namespace missile::memory {

uint64_t ColoredAllocation::bytes() const {
  uint64_t total = 0;
  for (const PlacementUnit& unit : units) total += unit.bytes;
  return total;
}

Result<std::unique_ptr<ColoringAllocator>> ColoringAllocator::Create(probe::HashModel model,
                                                                     PlacementBackend& backend) {
  MISSILE_ASSIGN_OR_RETURN(PlacementAnalysis isolation, AnalyzePlacement(model, backend.unit_bytes()));
  std::unique_ptr<ColoringAllocator> allocator(new ColoringAllocator(std::move(model), backend));
  allocator->isolation_ = std::move(isolation);
  allocator->seen_classes_ = ColorSet(allocator->model_.class_count);
  for (const std::vector<int32_t>& color : allocator->isolation_.colors) {
    for (int32_t c : color) allocator->seen_classes_.Add(c);
  }
  if (allocator->model_.kind != probe::HashKind::kXor) {
    MISSILE_ASSIGN_OR_RETURN(allocator->model_units_, ModelUnits(allocator->model_, backend.unit_bytes()));
  }
  return allocator;
}

ColoringAllocator::~ColoringAllocator() {
  for (const auto& [id, allocation] : allocations_) {
    for (const PlacementUnit& unit : allocation.units) backend_.Release(unit);
  }
  ReleaseParked();
}

std::optional<std::vector<int32_t>> ColoringAllocator::ClassesOf(const PlacementUnit& unit) const {
  if (!backend_.classes_known()) return std::nullopt;
  const uint64_t step = std::min(unit.bytes, model_.granule_bytes);
  std::vector<int32_t> classes;
  for (uint64_t a = unit.address; a < unit.address + unit.bytes; a += step) {
    const std::optional<int64_t> c = model_.ClassOf(a);
    if (!c) return std::nullopt;
    classes.push_back(static_cast<int32_t>(*c));
  }
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  return classes;
}

bool ColoringAllocator::Fits(const Tenant& tenant, const std::optional<std::vector<int32_t>>& classes) const {
  if (classes) return tenant.colors.ContainsAll(*classes);
  // Unknown placement: the unit may touch any class a probed unit touched.
  for (int64_t c : seen_classes_.Members()) {
    if (!tenant.colors.Contains(c)) return false;
  }
  return true;
}

Status ColoringAllocator::AddTenant(const std::string& tenant, ColorSet colors) {
  if (tenants_.contains(tenant))
    return Error(ErrorCode::kInvalidArgument, "tenant '{}' already has colors", tenant);
  if (colors.class_count() != model_.class_count) {
    return Error(ErrorCode::kInvalidArgument, "tenant '{}': colors over {} classes, the model has {}", tenant,
                 colors.class_count(), model_.class_count);
  }
  if (colors.empty()) return Error(ErrorCode::kInvalidArgument, "tenant '{}': no colors", tenant);
  for (const auto& [name, other] : tenants_) {
    if (colors.Intersects(other.colors)) {
      return Error(ErrorCode::kFailedPrecondition,
                   "tenant '{}': colors {} overlap tenant '{}''s {}: colored tenants must not share classes",
                   tenant, colors.ToString(), name, other.colors.ToString());
    }
  }
  bool feasible = false;
  if (!backend_.classes_known()) {
    feasible = Fits(Tenant{colors}, std::nullopt);
    if (!feasible) {
      return Error(
          ErrorCode::kFailedPrecondition,
          "tenant '{}': {} units cannot be looked up before use, so a unit may touch any of the {} classes "
          "probed units touch, and colors {} ({} classes) cannot hold one. {}",
          tenant, backend_.name(), seen_classes_.size(), colors.ToString(), colors.size(),
          isolation_.Summary());
    }
  } else if (model_.kind == probe::HashKind::kXor) {
    feasible = std::any_of(isolation_.colors.begin(), isolation_.colors.end(),
                           [&](const std::vector<int32_t>& color) { return colors.ContainsAll(color); });
  } else {
    feasible = UsableFraction(model_units_, colors) > 0;
  }
  if (!feasible) {
    return Error(ErrorCode::kFailedPrecondition,
                 "tenant '{}': no {}-byte unit lies within colors {} ({} classes). {}", tenant,
                 backend_.unit_bytes(), colors.ToString(), colors.size(), isolation_.Summary());
  }
  tenants_.emplace(tenant, Tenant{std::move(colors)});
  return Status::Ok();
}

Status ColoringAllocator::RemoveTenant(const std::string& tenant) {
  const auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return Error(ErrorCode::kNotFound, "no tenant '{}'", tenant);
  if (it->second.held_bytes > 0) {
    return Error(ErrorCode::kFailedPrecondition, "tenant '{}' still holds {} bytes", tenant,
                 it->second.held_bytes);
  }
  tenants_.erase(it);
  return Status::Ok();
}

Result<ColoredAllocation> ColoringAllocator::Allocate(const std::string& name, uint64_t bytes) {
  const auto it = tenants_.find(name);
  if (it == tenants_.end()) return Error(ErrorCode::kNotFound, "no tenant '{}'", name);
  if (bytes == 0) return Error(ErrorCode::kInvalidArgument, "tenant '{}': allocation of 0 bytes", name);
  Tenant& tenant = it->second;
  const uint64_t unit_bytes = backend_.unit_bytes();
  const size_t needed = static_cast<size_t>((bytes + unit_bytes - 1) / unit_bytes);

  ColoredAllocation allocation;
  allocation.tenant = name;
  // Parked units that fit first: they were paid for already.
  for (auto p = parked_.begin(); p != parked_.end() && allocation.units.size() < needed;) {
    if (Fits(tenant, p->classes)) {
      allocation.units.push_back(p->unit);
      p = parked_.erase(p);
    } else {
      ++p;
    }
  }
  while (allocation.units.size() < needed) {
    Result<PlacementUnit> unit = backend_.Acquire();
    if (!unit.ok()) {
      const size_t found = allocation.units.size();
      for (const PlacementUnit& taken : allocation.units) parked_.push_back({taken, ClassesOf(taken)});
      if (unit.status().code() != ErrorCode::kResourceExhausted) return unit.status();
      return Error(
          ErrorCode::kResourceExhausted,
          "tenant '{}': found {} of {} units of {} bytes within colors {} before {} ran out ({} units parked "
          "for other colors)",
          name, found, needed, unit_bytes, tenant.colors.ToString(), backend_.name(), parked_.size() - found);
    }
    ++acquired_;
    std::optional<std::vector<int32_t>> classes = ClassesOf(*unit);
    if (Fits(tenant, classes)) {
      allocation.units.push_back(*unit);
    } else {
      parked_.push_back({*unit, std::move(classes)});
    }
  }
  allocation.id = next_id_++;
  tenant.held_bytes += allocation.bytes();
  ++tenant.allocations;
  allocations_.emplace(allocation.id, allocation);
  return allocation;
}

Status ColoringAllocator::Free(const ColoredAllocation& allocation) {
  const auto it = allocations_.find(allocation.id);
  if (it == allocations_.end() || it->second.tenant != allocation.tenant) {
    return Error(ErrorCode::kNotFound, "no allocation {} of tenant '{}'", allocation.id, allocation.tenant);
  }
  Tenant& tenant = tenants_.at(it->second.tenant);
  tenant.held_bytes -= it->second.bytes();
  --tenant.allocations;
  for (const PlacementUnit& unit : it->second.units) parked_.push_back({unit, ClassesOf(unit)});
  allocations_.erase(it);
  return Status::Ok();
}

void ColoringAllocator::ReleaseParked() {
  for (const Parked& p : parked_) backend_.Release(p.unit);
  parked_.clear();
}

Result<TenantColoring> ColoringAllocator::Usage(const std::string& tenant) const {
  const auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return Error(ErrorCode::kNotFound, "no tenant '{}'", tenant);
  return TenantColoring{tenant, it->second.colors, it->second.held_bytes, it->second.allocations};
}

}  // namespace missile::memory
