#include <gtest/gtest.h>

#include "probe/hash_model.h"

namespace missile::probe {
namespace {

constexpr uint64_t kPage = uint64_t{2} << 20;

TEST(ProbeHashModelTest, XorModelRoundTripsThroughJson) {
  HashModel model;
  model.kind = HashKind::kXor;
  model.class_count = 4;
  model.xor_hash.rows = {0x12345600, 0x0fedcb00};
  const std::string json = HashModelToJson(model);
  EXPECT_NE(json.find("\"0x12345600\""), std::string::npos) << json;
  auto parsed = HashModelFromJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->xor_hash.rows, model.xor_hash.rows);
  for (Address a = 0; a < (1 << 24); a += 4093 * 256)
    EXPECT_EQ(parsed->ClassOf(a), model.xor_hash.ClassOf(a));
}

TEST(ProbeHashModelTest, SwizzleModModelRoundTripsAndCoversOnlyItsPages) {
  HashModel model;
  model.kind = HashKind::kPageSwizzleMod;
  model.class_count = 94;
  model.page_bytes = kPage;
  model.in_page_index_mask = 0x1ffd00;
  model.swizzle_pages = {{3 * kPage, 0x5a2, 17}, {9 * kPage, 0x0f0, 0}};
  auto parsed = HashModelFromJson(HashModelToJson(model));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  // Granule 0x400 of page 3 has index 2: ((2 ^ 0x5a2) + 17) mod 94.
  EXPECT_EQ(parsed->ClassOf(3 * kPage + 0x400), static_cast<int64_t>(((2 ^ 0x5a2) + 17) % 94));
  EXPECT_EQ(parsed->ClassOf(3 * kPage + 0x600),
            parsed->ClassOf(3 * kPage + 0x400));  // bit 9 is not in the index
  EXPECT_EQ(parsed->ClassOf(9 * kPage + 0x100), static_cast<int64_t>((1 ^ 0x0f0) % 94));
  EXPECT_FALSE(parsed->ClassOf(4 * kPage).has_value());
}

TEST(ProbeHashModelTest, PageTableModelRoundTrips) {
  HashModel model;
  model.kind = HashKind::kPageTable;
  model.class_count = 12;
  model.granule_bytes = 256;
  model.page_bytes = 4096;
  model.labels_aligned_across_pages = false;
  model.tables = {{0x10000, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3}},
                  {0x20000, {11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 10, 9, 8}}};
  auto parsed = HashModelFromJson(HashModelToJson(model));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_FALSE(parsed->labels_aligned_across_pages);
  EXPECT_EQ(parsed->ClassOf(0x10000 + 13 * 256 + 5), 1);
  EXPECT_EQ(parsed->ClassOf(0x20000 + 2 * 256), 9);
  EXPECT_FALSE(parsed->ClassOf(0x30000).has_value());
}

TEST(ProbeHashModelTest, RejectsMalformedModelsWithAReason) {
  auto expect_error = [](const std::string& json, const std::string& reason) {
    auto parsed = HashModelFromJson(json);
    ASSERT_FALSE(parsed.ok()) << json;
    EXPECT_NE(parsed.status().message().find(reason), std::string::npos) << parsed.status().message();
  };
  const std::string head = R"({"format": "missile-channel-hash/1", "granule_bytes": 256, )";
  expect_error("{", "not valid JSON");
  expect_error(R"({"format": "other"})", "'format'");
  expect_error(head + R"("kind": "cubic", "class_count": 2, "labels_aligned_across_pages": true})",
               "unknown kind");
  expect_error(
      head + R"("kind": "xor", "class_count": 4, "labels_aligned_across_pages": true, "xor_rows": ["12"]})",
      "must start with 0x");
  expect_error(
      head + R"("kind": "xor", "class_count": 8, "labels_aligned_across_pages": true, "xor_rows": ["0x1"]})",
      "not class_count 8");
  expect_error(head + R"("kind": "page_table", "class_count": 2, "labels_aligned_across_pages": true,
                         "page_bytes": 512, "pages": [{"base": "0x0", "classes": [0]}]})",
               "one per granule");
  expect_error(head + R"("kind": "page_table", "class_count": 2, "labels_aligned_across_pages": true,
                         "page_bytes": 512, "pages": [{"base": "0x0", "classes": [0, 2]}]})",
               "outside [0, 2)");
  expect_error(head + R"("kind": "page_table", "class_count": 2, "labels_aligned_across_pages": true,
                         "page_bytes": 512, "pages": [{"base": "0x400", "classes": [0, 1]},
                                                      {"base": "0x200", "classes": [0, 1]}]})",
               "strictly increasing");
  expect_error(head + R"("kind": "page_swizzle_mod", "class_count": 94, "labels_aligned_across_pages": true,
                         "page_bytes": 2097152, "in_page_index_mask": "0x200000", "pages": []})",
               "outside the granule index");
  expect_error(head + R"("kind": "xor", "class_count": "four", "labels_aligned_across_pages": true,
                         "xor_rows": []})",
               "channel hash model");
}

}  // namespace
}  // namespace missile::probe
