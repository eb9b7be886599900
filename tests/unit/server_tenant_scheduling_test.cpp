// Server tenants as the compute scheduler sees them: SM bounds rounded to whole SM groups, class, priority.
#include <gtest/gtest.h>

#include "server/tenant_scheduling.h"

namespace missile::server {
namespace {

using sched::GpuLayout;
using sched::kAllGroups;

TEST(TenantSchedulingTest, SmBoundsRoundToGroupsKeepingTheGuaranteeAndTheCap) {
  const GpuLayout h200 = GpuLayout::H200();  // 16 groups of 8 SMs and one of 4
  struct Case {
    int sm_min;
    std::optional<int> sm_max;
    int min_groups;
    int max_groups;
  };
  const Case cases[] = {
      {0, std::nullopt, 0, kAllGroups},  // no bounds: nothing guaranteed, the whole GPU
      {8, 64, 1, 8},                     // exact multiples of a group
      {9, 63, 2, 7},                     // the guarantee rounds up, the cap down
      {0, 4, 0, 1},                      // a cap below one group still allows one group
      {100, 100, 13, 13},                // crossing after rounding: the cap rises to the guarantee
      {0, 131, 0, 16},                   // one SM short of the GPU: not the last group
      {132, std::nullopt, 17, kAllGroups},
      {500, 132, 17, kAllGroups},  // more than the GPU: all of it
  };
  for (const Case& c : cases) {
    const sched::SmBounds bounds = SmBoundsInGroups(c.sm_min, c.sm_max, h200);
    EXPECT_EQ(bounds.min_groups, c.min_groups) << c.sm_min << ".." << c.sm_max.value_or(-1);
    EXPECT_EQ(bounds.max_groups, c.max_groups) << c.sm_min << ".." << c.sm_max.value_or(-1);
  }
}

TEST(TenantSchedulingTest, ClassPriorityAndBoundsCarryOver) {
  TenantConfig camera;
  camera.name = "camera";
  camera.tenant_class = TenantClass::kLatencySensitive;
  camera.sm_min = 8;
  camera.sm_max = 64;
  camera.priority = 4;
  const sched::TenantConfig scheduled = SchedulerTenant(camera, GpuLayout::H200());
  EXPECT_EQ(scheduled.name, "camera");
  EXPECT_EQ(scheduled.cls, sched::TenantClass::kLatencySensitive);
  EXPECT_EQ(scheduled.bounds.min_groups, 1);
  EXPECT_EQ(scheduled.bounds.max_groups, 8);
  EXPECT_EQ(scheduled.priority, 4);
  EXPECT_TRUE(scheduled.Validate().ok());
  EXPECT_EQ(DescribeSchedulerTenant(scheduled, GpuLayout::H200()),
            "camera: LS, SM groups [1, 8] (8-64 SMs), priority 4");

  TenantConfig batch;
  batch.name = "batch";
  const sched::TenantConfig be = SchedulerTenant(batch, GpuLayout::H200());
  EXPECT_EQ(be.cls, sched::TenantClass::kBestEffort);
  EXPECT_EQ(DescribeSchedulerTenant(be, GpuLayout::H200()),
            "batch: BE, SM groups [0, 17] (0-132 SMs), priority 0");
}

}  // namespace
}  // namespace missile::server
