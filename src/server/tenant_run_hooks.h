// What an executor tells about each request it runs whole (PerTenantWorkers), on the thread that runs it and
// while its tenant runs nothing else: the place for per-tenant device settings that must change between two
// requests (the L2 set-aside's windows, server/l2_setaside_serving.h) and for measuring the requests under
// them.
#pragma once

#include <string>

#include "server/served_model.h"

namespace missile::server {

struct TenantRun {
  double compute_s = 0;    // the model's run: its copies and kernels (ExecutionTimes::compute_s)
  bool contended = false;  // a BE tenant had work running or queued while it ran
};

class TenantRunHooks {
 public:
  virtual ~TenantRunHooks() = default;
  virtual void BeforeRun(const std::string& tenant, ServedModel& model) = 0;
  // Only for requests that succeeded.
  virtual void AfterRun(const std::string& tenant, ServedModel& model, const TenantRun& run) = 0;
};

}  // namespace missile::server
