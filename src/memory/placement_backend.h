// Where colored memory comes from: a backend hands out units of memory of a fixed size, and says whether the
// hash model can tell which classes (channels / L2 home slices) a unit touches before it is used.
//
// Two backends exist: physical placement (physical_placement.h), which knows each unit's physical address —
// the route of FGPU and the Missile paper, through a patched kernel driver — and the CUDA virtual-memory API
// (vmm_placement.h), which gives 2 MiB pages whose physical placement the driver chooses.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace missile::memory {

struct PlacementUnit {
  uint64_t address = 0;         // the address the hash model is keyed on (physical for physical backends)
  uint64_t device_address = 0;  // where kernels reach it; 0 when the backend maps nothing (a simulation)
  uint64_t bytes = 0;
};

class PlacementBackend {
 public:
  virtual ~PlacementBackend() = default;
  virtual std::string name() const = 0;
  virtual uint64_t unit_bytes() const = 0;
  // Whether the model can look an acquired unit up before it is used. When not, the unit may touch any
  // class that a probed unit touched.
  virtual bool classes_known() const = 0;
  // kResourceExhausted when no memory is left.
  virtual Result<PlacementUnit> Acquire() = 0;
  virtual void Release(const PlacementUnit& unit) = 0;
};

}  // namespace missile::memory
