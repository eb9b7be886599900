#include <gtest/gtest.h>

#include <functional>

#include "memory/placement_analysis.h"
#include "probe/synthetic_oracle.h"

namespace missile::memory {
namespace {

constexpr uint64_t kPage = uint64_t{2} << 20;

probe::HashModel TableModel(const std::function<int64_t(uint64_t)>& class_of,
                            const std::vector<uint64_t>& bases, int64_t classes) {
  probe::HashModel model;
  model.kind = probe::HashKind::kPageTable;
  model.granule_bytes = 256;
  model.page_bytes = kPage;
  model.class_count = classes;
  for (uint64_t base : bases) {
    probe::PageClassTable table{base, {}};
    for (uint64_t g = 0; g < kPage / 256; ++g)
      table.classes.push_back(static_cast<int32_t>(class_of(base + g * 256)));
    model.tables.push_back(std::move(table));
  }
  return model;
}

probe::HashModel XorModel(std::vector<uint64_t> rows) {
  probe::HashModel model;
  model.kind = probe::HashKind::kXor;
  model.xor_hash.rows = std::move(rows);
  model.class_count = int64_t{1} << model.xor_hash.rows.size();
  return model;
}

TEST(MemoryPlacementAnalysisTest, XorHashAboveTheUnitGivesOneColorPerClass) {
  // FGPU's V100 situation, simplified: class bits from address bits 12..20 only.
  const probe::HashModel model = XorModel({0x1001000, 0x0a02000, 0x0104000});
  auto at_4k = AnalyzePlacement(model, 4096);
  ASSERT_TRUE(at_4k.ok()) << at_4k.status().ToString();
  EXPECT_EQ(at_4k->isolation, Isolation::kColors);
  EXPECT_EQ(at_4k->colors.size(), 8u);
  EXPECT_EQ(at_4k->min_classes_per_unit, 1);
  // At 16 KiB, bits 12 and 13 vary inside a unit: 4 classes per unit, 2 colors.
  auto at_16k = AnalyzePlacement(model, 16384);
  ASSERT_TRUE(at_16k.ok());
  EXPECT_EQ(at_16k->min_classes_per_unit, 4);
  EXPECT_EQ(at_16k->colors.size(), 2u);
  EXPECT_EQ(at_16k->isolation, Isolation::kColors);
  // At 2 MiB every class is inside every unit.
  auto at_2m = AnalyzePlacement(model, kPage);
  ASSERT_TRUE(at_2m.ok());
  EXPECT_EQ(at_2m->isolation, Isolation::kNone);
  EXPECT_EQ(at_2m->min_classes_per_unit, 8);
  EXPECT_NE(at_2m->Summary().find("no channel subset can be isolated"), std::string::npos);
}

TEST(MemoryPlacementAnalysisTest, H200LikePagesAdmitNoIsolationAt2MiB) {
  const probe::SwizzleModHash truth = probe::H200LikeSwizzleModHash(3);
  const probe::HashModel model =
      TableModel([&](uint64_t a) { return truth.ClassOf(a); }, {5 * kPage, 80 * kPage, 1000 * kPage}, 94);
  auto vmm = AnalyzePlacement(model, kPage);
  ASSERT_TRUE(vmm.ok()) << vmm.status().ToString();
  EXPECT_EQ(vmm->units, 3);
  EXPECT_EQ(vmm->min_classes_per_unit, 94);
  EXPECT_DOUBLE_EQ(vmm->min_fraction_per_unit(), 1.0);
  EXPECT_EQ(vmm->isolation, Isolation::kNone);
  EXPECT_EQ(vmm->colors.size(), 1u);
  EXPECT_NE(vmm->Summary().find("94 of 94"), std::string::npos) << vmm->Summary();

  // One granule per unit: every class is its own color.
  auto granule = AnalyzePlacement(model, 256);
  ASSERT_TRUE(granule.ok());
  EXPECT_EQ(granule->isolation, Isolation::kColors);
  EXPECT_EQ(granule->colors.size(), 94u);

  // 4 KiB: 8 index values per unit, classes chained together, but disjoint units exist.
  auto small_page = AnalyzePlacement(model, 4096);
  ASSERT_TRUE(small_page.ok());
  EXPECT_EQ(small_page->min_classes_per_unit, 8);
  EXPECT_EQ(small_page->isolation, Isolation::kWithWaste) << small_page->Summary();
}

TEST(MemoryPlacementAnalysisTest, UnitsLargerThanAPageNeedEveryPage) {
  const probe::HashModel model =
      TableModel([](uint64_t a) { return int64_t((a >> 8) & 3); }, {0, kPage, 4 * kPage}, 4);
  auto units = ModelUnits(model, 2 * kPage);
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 1u);  // pages 0 and 1; page 4's partner is missing
  EXPECT_EQ(units->front().base, 0u);
  EXPECT_FALSE(ModelUnits(model, 3000).ok());
}

TEST(MemoryPlacementAnalysisTest, PartialObservationsProveOnlyWhatTheyShow) {
  // A page sampled on 400 lines touches all 8 classes: a proof for that page. Two other pages seen on 4
  // lines each are consistent.
  std::vector<ClassifiedLine> lines;
  for (uint64_t g = 0; g < 400; ++g) lines.push_back({g * 512, int32_t(g % 8)});
  for (uint64_t g = 0; g < 4; ++g) {
    lines.push_back({kPage + g * 4096, int32_t(g)});
    lines.push_back({2 * kPage + g * 4096, int32_t(4 + g)});
  }
  const std::vector<UnitClasses> pages = UnitsFromLines(lines, 256, kPage, 0);
  ASSERT_EQ(pages.size(), 3u);
  for (const UnitClasses& u : pages) EXPECT_FALSE(u.complete);
  PlacementAnalysis a = AnalyzeUnits(pages, 8, kPage);
  EXPECT_EQ(a.isolation, Isolation::kNone);
  EXPECT_EQ(a.units_touching_all, 1);
  EXPECT_TRUE(a.disjoint_units_exist);  // pages 1 and 2 as seen, which proves nothing

  // Without the page seen touching everything, nothing is proven.
  lines.erase(lines.begin(), lines.begin() + 400);
  a = AnalyzeUnits(UnitsFromLines(lines, 256, kPage, 0), 8, kPage);
  EXPECT_EQ(a.isolation, Isolation::kUndetermined);
}

TEST(MemoryPlacementAnalysisTest, EquivalentBitsCompleteUnits) {
  // Bit 9 does not change the class: lines with bit 9 clear stand for all of a 1 KiB unit's four granules.
  std::vector<ClassifiedLine> lines = {{0x000, 1}, {0x100, 2}};
  std::vector<UnitClasses> units = UnitsFromLines(lines, 256, 1024, uint64_t{1} << 9);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_TRUE(units[0].complete);
  EXPECT_EQ(units[0].classes, (std::vector<int32_t>{1, 2}));
  units = UnitsFromLines(lines, 256, 1024, 0);
  EXPECT_FALSE(units[0].complete);
}

TEST(MemoryPlacementAnalysisTest, ZeroWasteColorsFromCompleteUnits) {
  const std::vector<UnitClasses> units = {
      {0, {0, 1}, true}, {4096, {1, 2}, true}, {8192, {3, 4}, true}, {12288, {5}, true}};
  const PlacementAnalysis a = AnalyzeUnits(units, 6, 4096);
  EXPECT_EQ(a.isolation, Isolation::kColors);
  ASSERT_EQ(a.colors.size(), 3u);
  EXPECT_EQ(a.colors[0], (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(a.colors[1], (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(a.colors[2], (std::vector<int32_t>{5}));
  EXPECT_DOUBLE_EQ(UsableFraction(units, *ColorSet::Parse("0-2", 6)), 0.5);
  EXPECT_DOUBLE_EQ(UsableFraction(units, *ColorSet::Parse("0-1,3-5", 6)), 0.75);

  // One chain of classes, but {0,1} and {2,3} are disjoint: isolation only by leaving {1,2} unused.
  const std::vector<UnitClasses> chain = {{0, {0, 1}, true}, {4096, {1, 2}, true}, {8192, {2, 3}, true}};
  EXPECT_EQ(AnalyzeUnits(chain, 4, 4096).isolation, Isolation::kWithWaste);
  // Every pair meets: none.
  const std::vector<UnitClasses> star = {{0, {0, 1}, true}, {4096, {0, 2}, true}, {8192, {0, 3}, true}};
  EXPECT_EQ(AnalyzeUnits(star, 4, 4096).isolation, Isolation::kNone);
  EXPECT_EQ(AnalyzeUnits({}, 4, 4096).isolation, Isolation::kUndetermined);
}

TEST(MemoryColorSetTest, ParsesRangesAndRejectsNonsense) {
  auto set = ColorSet::Parse("0-3,7,9-10", 12);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->size(), 7);
  EXPECT_EQ(set->ToString(), "0-3,7,9-10");
  EXPECT_TRUE(set->ContainsAll(std::vector<int32_t>{0, 7, 10}));
  EXPECT_FALSE(set->ContainsAll(std::vector<int32_t>{0, 8}));
  EXPECT_TRUE(set->Intersects(*ColorSet::Parse("10-11", 12)));
  EXPECT_FALSE(set->Intersects(*ColorSet::Parse("4-6,8", 12)));
  EXPECT_FALSE(ColorSet::Parse("0-12", 12).ok());
  EXPECT_FALSE(ColorSet::Parse("3-1", 12).ok());
  EXPECT_FALSE(ColorSet::Parse("1,", 12).ok());
  EXPECT_FALSE(ColorSet::Parse("x", 12).ok());
  EXPECT_EQ(ColorSet::All(5).size(), 5);
}

}  // namespace
}  // namespace missile::memory
