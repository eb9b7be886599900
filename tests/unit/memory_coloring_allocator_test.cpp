#include <gtest/gtest.h>

#include <set>

#include "memory/coloring_allocator.h"
#include "memory/physical_placement.h"
#include "memory/vmm_placement.h"
#include "probe/synthetic_oracle.h"

namespace missile::memory {
namespace {

constexpr uint64_t kPage = uint64_t{2} << 20;

// A physical hash whose classes (8) come from bits 12..20: 4 KiB frames lie in one class each.
probe::HashModel FrameAlignedXor() {
  probe::HashModel model;
  model.kind = probe::HashKind::kXor;
  model.xor_hash.rows = {0x0801000, 0x1402000, 0x0214000};
  model.class_count = 8;
  return model;
}

// Every granule of every unit lies in the colors.
void ExpectInColors(const probe::HashModel& model, const ColoredAllocation& allocation,
                    const ColorSet& colors) {
  for (const PlacementUnit& unit : allocation.units) {
    for (uint64_t a = unit.address; a < unit.address + unit.bytes; a += model.granule_bytes) {
      ASSERT_TRUE(colors.Contains(*model.ClassOf(a))) << std::hex << a;
    }
  }
}

TEST(MemoryColoringAllocatorTest, TenantsMemoryLandsOnlyInTheirColors) {
  const probe::HashModel model = FrameAlignedXor();
  SimulatedPhysicalMemory memory(0, uint64_t{64} << 20, 4096, 1);
  PhysicalPlacementBackend backend(memory);
  auto allocator = ColoringAllocator::Create(model, backend);
  ASSERT_TRUE(allocator.ok()) << allocator.status().ToString();
  EXPECT_EQ((*allocator)->isolation().isolation, Isolation::kColors);
  EXPECT_EQ((*allocator)->isolation().colors.size(), 8u);

  const ColorSet ls = *ColorSet::Parse("0-1", 8);
  const ColorSet be = *ColorSet::Parse("2-7", 8);
  ASSERT_TRUE((*allocator)->AddTenant("ls", ls).ok());
  ASSERT_TRUE((*allocator)->AddTenant("be", be).ok());
  auto a = (*allocator)->Allocate("ls", uint64_t{3} << 20);
  auto b = (*allocator)->Allocate("be", uint64_t{20} << 20);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->bytes(), uint64_t{3} << 20);
  EXPECT_EQ(b->bytes(), uint64_t{20} << 20);
  ExpectInColors(model, *a, ls);
  ExpectInColors(model, *b, be);
  std::set<uint64_t> frames;
  for (const auto* allocation : {&*a, &*b}) {
    for (const PlacementUnit& unit : allocation->units) EXPECT_TRUE(frames.insert(unit.address).second);
  }
  EXPECT_EQ((*allocator)->Usage("ls")->held_bytes, uint64_t{3} << 20);
  // "ls" frames met while serving "be" were parked, and are served to "ls" next without new acquisitions.
  const int64_t acquired = (*allocator)->acquired_units();
  ASSERT_GT((*allocator)->parked_units(), 0);
  auto c = (*allocator)->Allocate("ls", 4096 * 8);
  ASSERT_TRUE(c.ok());
  ExpectInColors(model, *c, ls);
  EXPECT_EQ((*allocator)->acquired_units(), acquired);
}

TEST(MemoryColoringAllocatorTest, OverlappingOrImpossibleColorsAreRefused) {
  probe::HashModel model = FrameAlignedXor();
  model.xor_hash.rows[0] |= 0x100;  // bit 8: every 4 KiB frame now touches two classes
  SimulatedPhysicalMemory memory(0, uint64_t{16} << 20, 4096, 2);
  PhysicalPlacementBackend backend(memory);
  auto allocator = ColoringAllocator::Create(model, backend);
  ASSERT_TRUE(allocator.ok());
  EXPECT_EQ((*allocator)->isolation().colors.size(), 4u);
  // A color set splitting a frame's pair of classes can never be served.
  Status split = (*allocator)->AddTenant("a", *ColorSet::Parse("0", 8));
  EXPECT_EQ(split.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(split.message().find("zero-waste colors"), std::string::npos) << split.message();
  ASSERT_TRUE((*allocator)->AddTenant("a", *ColorSet::Parse("0-1", 8)).ok());
  EXPECT_EQ((*allocator)->AddTenant("b", *ColorSet::Parse("1-3", 8)).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ((*allocator)->AddTenant("a", *ColorSet::Parse("4-5", 8)).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*allocator)->AddTenant("c", ColorSet(4)).code(), ErrorCode::kInvalidArgument);
  auto a = (*allocator)->Allocate("a", 4096 * 4);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ExpectInColors(model, *a, *ColorSet::Parse("0-1", 8));
}

TEST(MemoryColoringAllocatorTest, ExhaustionKeepsWhatWasFoundAndFreeingReuses) {
  const probe::HashModel model = FrameAlignedXor();
  SimulatedPhysicalMemory memory(0, uint64_t{1} << 20, 4096, 3);  // 256 frames, 32 per class
  PhysicalPlacementBackend backend(memory);
  auto allocator = ColoringAllocator::Create(model, backend);
  ASSERT_TRUE(allocator.ok());
  ASSERT_TRUE((*allocator)->AddTenant("t", *ColorSet::Parse("5", 8)).ok());
  auto too_much = (*allocator)->Allocate("t", 4096 * 33);
  EXPECT_EQ(too_much.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_NE(too_much.status().message().find("found 32 of 33"), std::string::npos)
      << too_much.status().message();
  EXPECT_EQ((*allocator)->Usage("t")->held_bytes, 0u);
  auto fits = (*allocator)->Allocate("t", 4096 * 32);
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(memory.free_frames(), 0);
  EXPECT_EQ((*allocator)->RemoveTenant("t").code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE((*allocator)->Free(*fits).ok());
  EXPECT_FALSE((*allocator)->Free(*fits).ok());  // twice
  EXPECT_TRUE((*allocator)->RemoveTenant("t").ok());
  (*allocator)->ReleaseParked();
  EXPECT_EQ(memory.free_frames(), 256);
}

TEST(MemoryColoringAllocatorTest, NonLinearHashThroughAPhysicalPageTable) {
  // 94 classes from an H200-like swizzle-mod hash of physical addresses, placed at 256-byte granularity.
  const probe::SwizzleModHash truth = probe::H200LikeSwizzleModHash(8);
  probe::HashModel model;
  model.kind = probe::HashKind::kPageTable;
  model.granule_bytes = 256;
  model.page_bytes = kPage;
  model.class_count = 94;
  for (uint64_t base : {kPage * 10, kPage * 11}) {
    probe::PageClassTable table{base, {}};
    for (uint64_t g = 0; g < kPage / 256; ++g)
      table.classes.push_back(int32_t(truth.ClassOf(base + g * 256)));
    model.tables.push_back(std::move(table));
  }
  SimulatedPhysicalMemory memory(kPage * 10, 2 * kPage, 256, 4);
  PhysicalPlacementBackend backend(memory);
  auto allocator = ColoringAllocator::Create(model, backend);
  ASSERT_TRUE(allocator.ok()) << allocator.status().ToString();
  EXPECT_EQ((*allocator)->isolation().colors.size(), 94u);
  const ColorSet ls = *ColorSet::Parse("0-46", 94);
  const ColorSet be = *ColorSet::Parse("47-93", 94);
  ASSERT_TRUE((*allocator)->AddTenant("ls", ls).ok());
  ASSERT_TRUE((*allocator)->AddTenant("be", be).ok());
  auto a = (*allocator)->Allocate("ls", 256 * 1000);
  auto b = (*allocator)->Allocate("be", 256 * 1000);
  ASSERT_TRUE(a.ok() && b.ok());
  ExpectInColors(model, *a, ls);
  ExpectInColors(model, *b, be);
}

class FakeVmmPages final : public VmmPageSource {
 public:
  uint64_t page_bytes() const override { return kPage; }
  Result<uint64_t> MapPage() override {
    ++mapped;
    return next_ += kPage;
  }
  void UnmapPage(uint64_t) override { --mapped; }
  int mapped = 0;

 private:
  uint64_t next_ = kPage * 100;
};

TEST(MemoryColoringAllocatorTest, VmmBackendRefusesColorsWithTheNumbers) {
  // The measured situation on the H200: every probed 2 MiB page touches all 94 classes.
  const probe::SwizzleModHash truth = probe::H200LikeSwizzleModHash(9);
  probe::HashModel model;
  model.kind = probe::HashKind::kPageTable;
  model.granule_bytes = 256;
  model.page_bytes = kPage;
  model.class_count = 94;
  for (uint64_t base : {kPage * 3, kPage * 70}) {
    probe::PageClassTable table{base, {}};
    for (uint64_t g = 0; g < kPage / 256; ++g)
      table.classes.push_back(int32_t(truth.ClassOf(base + g * 256)));
    model.tables.push_back(std::move(table));
  }
  FakeVmmPages pages;
  VmmPlacementBackend backend(pages);
  {
    auto allocator = ColoringAllocator::Create(model, backend);
    ASSERT_TRUE(allocator.ok()) << allocator.status().ToString();
    const PlacementAnalysis& isolation = (*allocator)->isolation();
    EXPECT_EQ(isolation.isolation, Isolation::kNone);
    EXPECT_EQ(isolation.min_classes_per_unit, 94);
    Status refused = (*allocator)->AddTenant("ls", *ColorSet::Parse("0-46", 94));
    EXPECT_EQ(refused.code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(refused.message().find("94..94 of 94 classes"), std::string::npos) << refused.message();
    EXPECT_NE(refused.message().find("no channel subset can be isolated"), std::string::npos);
    // Uncolored (all classes) is served.
    ASSERT_TRUE((*allocator)->AddTenant("any", ColorSet::All(94)).ok());
    auto a = (*allocator)->Allocate("any", 3 * kPage);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    EXPECT_EQ(a->units.size(), 3u);
    EXPECT_EQ(pages.mapped, 3);
    EXPECT_EQ(a->units[0].device_address, a->units[0].address);
  }
  EXPECT_EQ(pages.mapped, 0);  // the allocator gives everything back
}

TEST(MemoryColoringAllocatorTest, PhysicalPlacementIsUnavailableHere) {
  const Status status = PatchedDriverPlacement();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_NE(status.message().find("patched"), std::string::npos);
}

}  // namespace
}  // namespace missile::memory
