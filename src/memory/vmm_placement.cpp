#include "memory/vmm_placement.h"

namespace missile::memory {

Result<PlacementUnit> VmmPlacementBackend::Acquire() {
  MISSILE_ASSIGN_OR_RETURN(uint64_t address, pages_.MapPage());
  // Virtual addresses are all the model could be keyed on; they say nothing about the physical frame.
  return PlacementUnit{address, address, pages_.page_bytes()};
}

}  // namespace missile::memory
