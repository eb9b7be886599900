// Where the transfer scheduler reads the time: the steady clock in service, a virtual clock in tests and in
// the simulator, so that waits measured under a modelled engine are exact and reproducible.
#pragma once

#include "pcie/transfer_types.h"

namespace missile::pcie {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Nanos Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  Nanos Now() const override;
};

}  // namespace missile::pcie
