#include "pcie/clock.h"

namespace missile::pcie {

Nanos SteadyClock::Now() const {
  return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now().time_since_epoch());
}

}  // namespace missile::pcie
