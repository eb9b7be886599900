// The hand-built scenarios every policy test uses (acceptance 1 of issue 4): an LS and a BE tenant on the
// H200's 17 SM groups, with memory-bound and compute-bound kernels.
#pragma once

#include <ostream>

#include "sched/policy.h"
#include "sched_test_support.h"

namespace missile::sched {
// gtest prints decisions readably.
inline void PrintTo(const KernelDecision& decision, std::ostream* os) {
  *os << DescribeDecision(decision);
}
}  // namespace missile::sched

namespace missile::sched::testing {

inline constexpr TenantId kLs = 0;
inline constexpr TenantId kBe = 1;
inline constexpr TenantId kLs2 = 2;
inline constexpr TenantId kBe2 = 3;

struct PolicyScenarios {
  GpuLayout layout = GpuLayout::H200();
  int n = layout.groups();  // 17
  TenantSpec ls{kLs, TenantClass::kLatencySensitive, {0, kAllGroups}, 0};
  TenantSpec ls2{kLs2, TenantClass::kLatencySensitive, {0, kAllGroups}, 1};
  TenantSpec be{kBe, TenantClass::kBestEffort, {1, kAllGroups}, 0};
  TenantSpec be2{kBe2, TenantClass::kBestEffort, {1, kAllGroups}, 0};
  // LS kernels that fill 40 SMs: one streams DRAM, one computes.
  std::vector<KernelProfile> ls_memory{MakeKernel("ls_mem", 10, 40, 1.0), MakeKernel("ls_mem2", 10, 40, 1.0)};
  std::vector<KernelProfile> ls_compute{MakeKernel("ls_cmp", 10, 40, 0.0),
                                        MakeKernel("ls_cmp2", 10, 40, 0.0)};
  // BE kernels with blocks for any partition.
  std::vector<KernelProfile> be_memory{MakeKernel("be_mem", 50, 10000, 1.0),
                                       MakeKernel("be_mem2", 50, 10000, 1.0)};
  std::vector<KernelProfile> be_compute{MakeKernel("be_cmp", 50, 10000, 0.0),
                                        MakeKernel("be_cmp2", 50, 10000, 0.0)};
  // A BE kernel that needs only 32 SMs.
  std::vector<KernelProfile> be_small_compute{MakeKernel("be_small", 20, 32, 0.0)};
  std::vector<KernelProfile> be_small_memory{MakeKernel("be_small_mem", 20, 32, 1.0)};

  SchedulerView View(std::vector<TenantView> tenants) const { return {layout, std::move(tenants)}; }
  GroupRange All() const { return layout.all(); }
};

inline std::unique_ptr<SchedulingPolicy> Policy(std::string_view name, const PolicyOptions& options = {}) {
  auto policy = MakePolicy(name, options);
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  return std::move(policy).value();
}

// The decision for `tenant`, which must be in `decisions`.
inline KernelDecision For(const Decisions& decisions, TenantId tenant) {
  for (const KernelDecision& d : decisions) {
    if (d.tenant == tenant) return d;
  }
  ADD_FAILURE() << "no decision for tenant " << tenant;
  return {};
}

}  // namespace missile::sched::testing
