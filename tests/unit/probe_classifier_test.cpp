#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "probe/classifier.h"
#include "probe/page_classifier.h"
#include "probe/synthetic_oracle.h"

namespace missile::probe {
namespace {

constexpr uint64_t kPage = uint64_t{2} << 20;

std::vector<int64_t> TrueClasses(const SyntheticOracle& oracle, Address base, size_t granules) {
  std::vector<int64_t> classes;
  for (size_t i = 0; i < granules; ++i) classes.push_back(oracle.TrueClass(base + i * 256));
  return classes;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct PageCase {
  double noise;
  int group_size;
  int64_t query_budget;  // all measurements, pair and group
};

class ProbeClassifierPageTest : public testing::TestWithParam<PageCase> {};

// The acceptance case: a 2 MiB page of a 94-class swizzle-then-modulo hash, >= 99% of granules right.
TEST_P(ProbeClassifierPageTest, Classifies94ClassSwizzleModPage) {
  const PageCase c = GetParam();
  const SwizzleModHash truth = H200LikeSwizzleModHash(21);
  SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, c.noise, 77, c.group_size);
  PageProbeOptions options;
  options.page_base = 37 * kPage;
  options.classifier.expected_classes = 94;
  const auto start = std::chrono::steady_clock::now();
  auto page = ClassifyPage(oracle, options);
  const double seconds = Seconds(start);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  const double accuracy =
      LabellingAgreement(page->labels, TrueClasses(oracle, options.page_base, kPage / 256));
  EXPECT_GE(accuracy, 0.99);
  EXPECT_EQ(page->class_count(), 94);
  EXPECT_EQ(page->invariant_bits, uint64_t{1} << 9);
  EXPECT_EQ(page->queries.total(), oracle.pair_queries() + oracle.group_queries());
  EXPECT_LE(page->queries.total(), c.query_budget);
  EXPECT_LT(seconds, 20.0);  // CPU side; the GPU side is the measurements at ~1.5 ms each
  std::printf("[ page ] noise=%.2f group=%d accuracy=%.5f pair=%ld group=%ld audit=%.3f/%.3f cpu=%.3f s\n",
              c.noise, c.group_size, accuracy, page->queries.pair_queries, page->queries.group_queries,
              page->same_pairs_answered_different, page->different_pairs_answered_same, seconds);
}

INSTANTIATE_TEST_SUITE_P(Noise, ProbeClassifierPageTest,
                         testing::Values(PageCase{0.05, 1, 360000}, PageCase{0.10, 1, 470000},
                                         PageCase{0.05, 8, 160000}));

TEST(ProbeClassifierTest, NoiselessAnswersGiveTheExactPartition) {
  // An arbitrary (hashed) mapping of 600 granules onto 16 classes: nothing for a model to exploit.
  std::vector<Address> granules;
  for (Address a = 0; a < 600; ++a) granules.push_back(a * 256);
  SyntheticOracle oracle([](Address a) { return static_cast<int64_t>((a * 0x9e3779b97f4a7c15ULL) >> 60); },
                         0.0, 1);
  auto classified = ClassifyGranules(oracle, granules, {});
  ASSERT_TRUE(classified.ok()) << classified.status().ToString();
  std::vector<int64_t> truth;
  for (Address a : granules) truth.push_back(oracle.TrueClass(a));
  EXPECT_EQ(LabellingAgreement(classified->labels, truth), 1.0);
  EXPECT_EQ(classified->class_count(), 16);
  EXPECT_EQ(classified->repaired, 0);
  EXPECT_EQ(classified->same_pairs_answered_different, 0.0);
  // Greedy scan: at most one measurement per representative plus the confirming votes, per granule.
  EXPECT_LE(classified->queries.total(), static_cast<int64_t>(granules.size()) * (16 + 5) + 2000);
}

TEST(ProbeClassifierTest, GoodPredictionsCostAFewMeasurementsPerGranule) {
  const SwizzleModHash truth = H200LikeSwizzleModHash(4);
  SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, 0.05, 9);
  PageProbeOptions options;
  options.page_base = 5 * kPage;
  options.classifier.expected_classes = 94;
  // A model's prediction, numbered differently from the oracle's classes.
  std::vector<int64_t> predicted;
  for (uint64_t i = 0; i < kPage / 256; ++i)
    predicted.push_back((truth.ClassOf(options.page_base + i * 256) * 7) % 94 + 1000);
  auto page = ClassifyPage(oracle, options, predicted);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(LabellingAgreement(page->labels, TrueClasses(oracle, options.page_base, kPage / 256)), 1.0);
  const double per_granule = double(page->queries.total()) / double(kPage / 512);
  // About 5 per granule to confirm its predicted class, 1 to re-check it, and on one page about as much again
  // for the O(C^2) work per class: discovering it and checking it is no duplicate of another.
  EXPECT_LT(per_granule, 16.0);
  std::printf("[ predicted ] %.2f measurements per measured granule\n", per_granule);
}

TEST(ProbeClassifierTest, DegenerateInputs) {
  SyntheticOracle one_class([](Address) { return int64_t{0}; }, 0.05, 2);
  std::vector<Address> granules;
  for (Address a = 0; a < 200; ++a) granules.push_back(a * 256);
  auto classified = ClassifyGranules(one_class, granules, {});
  ASSERT_TRUE(classified.ok()) << classified.status().ToString();
  EXPECT_EQ(classified->class_count(), 1);
  for (int32_t label : classified->labels) EXPECT_EQ(label, 0);

  auto single = ClassifyGranules(one_class, std::vector<Address>{0x1000}, {});
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->class_count(), 1);

  EXPECT_FALSE(ClassifyGranules(one_class, {}, {}).ok());
  ClassifierOptions expect_two;
  expect_two.expected_classes = 2;
  auto wrong_count = ClassifyGranules(one_class, granules, expect_two);
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_NE(wrong_count.status().message().find("found 1 classes where 2 were expected"), std::string::npos);
}

TEST(ProbeClassifierTest, AnswersAtRandomAreReportedNotClassified) {
  const SwizzleModHash truth = H200LikeSwizzleModHash(8);
  SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, 0.5, 3);
  std::vector<Address> granules;
  for (Address a = 0; a < 1000; ++a) granules.push_back(a * 256);
  auto classified = ClassifyGranules(oracle, granules, {});
  ASSERT_FALSE(classified.ok());
  EXPECT_EQ(classified.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(classified.status().message().find("inconsistent"), std::string::npos)
      << classified.status().message();
}

TEST(ProbeClassifierTest, AlignedPagesShareOneNumbering) {
  // Twelve classes (a P40, or an H200 counted by six HBM stacks) over 64 KiB pages.
  SwizzleModHash truth = RandomSwizzleModHash(12, 0xffffff00, 8, 0xff0000, 6);
  SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, 0.05, 12);
  std::vector<PageClassification> pages;
  for (Address base : {Address{0x30000}, Address{0x170000}, Address{0x5a0000}}) {
    PageProbeOptions options;
    options.page_base = base;
    options.page_bytes = 0x10000;
    options.classifier.expected_classes = 12;
    auto page = ClassifyPage(oracle, options);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    if (!pages.empty()) {
      ASSERT_TRUE(AlignPageLabels(oracle, {}, pages.front(), *page).ok());
    }
    pages.push_back(std::move(*page));
  }
  const HashModel model = PageTableModel(pages, 0x10000, 256, /*labels_aligned=*/true);
  ASSERT_TRUE(Validate(model).ok());
  std::vector<int32_t> labels;
  std::vector<int64_t> classes;
  for (const PageClassification& page : pages) {
    for (Address a = page.base; a < page.base + 0x10000; a += 256) {
      labels.push_back(static_cast<int32_t>(*model.ClassOf(a)));
      classes.push_back(oracle.TrueClass(a));
    }
  }
  EXPECT_EQ(LabellingAgreement(labels, classes), 1.0);  // one renumbering for all three pages
}

}  // namespace
}  // namespace missile::probe
