// The channel probe's plan run against synthetic hardware: an H200-like hash behind a noisy oracle, and a
// read timer whose time is set by the busiest class, as one L2 slice would set it.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "probe/channel_probe.h"
#include "probe/classifier.h"
#include "probe/synthetic_oracle.h"

namespace missile::probe {
namespace {

constexpr uint64_t kPage = uint64_t{2} << 20;

class SyntheticReadTimer final : public LineReadTimer {
 public:
  explicit SyntheticReadTimer(std::function<int64_t(Address)> class_of, uint64_t seed = 3)
      : class_of_(std::move(class_of)), rng_(seed) {}

  // Reads spread evenly over the lines: the class holding the most of them takes longest.
  Result<double> TimeReads(std::span<const Address> lines) override {
    if (lines.empty()) return Error(ErrorCode::kInvalidArgument, "no lines");
    std::map<int64_t, int64_t> per_class;
    int64_t busiest = 0;
    for (Address a : lines) busiest = std::max(busiest, ++per_class[class_of_(a)]);
    ++calls;
    return 100.0 * double(busiest) / double(lines.size()) *
           std::uniform_real_distribution<double>(0.97, 1.03)(rng_);
  }
  int64_t calls = 0;

 private:
  std::function<int64_t(Address)> class_of_;
  std::mt19937_64 rng_;
};

struct Fixture {
  SwizzleModHash truth = H200LikeSwizzleModHash(5);
  std::function<int64_t(Address)> class_of = [this](Address a) { return truth.ClassOf(a); };
  std::vector<Address> pages = {40 * kPage, 1234 * kPage, 777 * kPage};
};

TEST(ProbeChannelProbeTest, SampledPageIsStableValidatedAndRelated) {
  Fixture f;
  SyntheticOracle oracle(f.class_of, 0.05, 11, 8);
  SyntheticReadTimer reader(f.class_of);
  ChannelProbeOptions options;
  options.lines = 1024;
  options.cross_lines = 12;
  auto result = RunChannelProbe(oracle, reader, f.pages, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const ChannelProbeResult& r = *result;
  EXPECT_EQ(r.invariant_bits, uint64_t{1} << 9);
  EXPECT_FALSE(r.whole_page);
  EXPECT_EQ(r.offsets.size(), 1024u);
  for (uint64_t o : r.offsets) EXPECT_EQ(o & (uint64_t{1} << 9), 0u);
  ASSERT_EQ(r.runs.size(), 2u);
  for (const ClassificationRun& run : r.runs) {
    ASSERT_TRUE(run.status.ok()) << run.status.ToString();
    EXPECT_EQ(run.class_count(), 94);
    // Right against the ground truth, not only stable.
    std::vector<int64_t> truth;
    for (uint64_t o : r.offsets) truth.push_back(f.class_of(f.pages[0] + o));
    EXPECT_GE(LabellingAgreement(run.labels, truth), 0.99);
  }
  ASSERT_TRUE(r.stability.has_value());
  EXPECT_GE(*r.stability, 0.99);

  // Every class collapses (its lines and their bit-9 twins share one class), the control does not.
  ASSERT_TRUE(r.validation.status.ok()) << r.validation.status.ToString();
  EXPECT_EQ(r.validation.classes.size(), 94u);
  EXPECT_GE(r.validation.min_ratio, 2.0);
  EXPECT_DOUBLE_EQ(r.validation.collapsed_fraction, 1.0);
  EXPECT_NEAR(r.validation.control_ratio, 1.0, 0.1);

  // Other pages: every line is found among the 94 classes, and its class is the true one.
  ASSERT_EQ(r.cross_pages.size(), 2u);
  const ClassificationRun& run = *r.reference_run();
  for (const CrossPageLine& line : r.cross_lines) {
    ASSERT_TRUE(line.label.has_value());
    EXPECT_EQ(f.class_of(run.representatives[*line.label]), f.class_of(line.page + line.offset));
  }
  for (const CrossPageSummary& p : r.cross_pages) {
    EXPECT_EQ(p.lines, 12);
    EXPECT_EQ(p.matched, 12);
    EXPECT_FALSE(p.best_xor.has_value());  // needs the whole reference page
  }
  EXPECT_FALSE(r.model.has_value());
  EXPECT_FALSE(r.notes.empty());  // says why there is no model
}

TEST(ProbeChannelProbeTest, WholePageGivesASwizzleModelOfEveryPage) {
  Fixture f;
  SyntheticOracle oracle(f.class_of, 0.05, 12, 8);
  SyntheticReadTimer reader(f.class_of);
  ChannelProbeOptions options;  // lines = 0: the whole page
  options.repetitions = 1;
  options.cross_lines = 16;
  auto result = RunChannelProbe(oracle, reader, f.pages, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const ChannelProbeResult& r = *result;
  EXPECT_TRUE(r.whole_page);
  EXPECT_EQ(r.offsets.size(), 4096u);
  EXPECT_FALSE(r.stability.has_value());  // one run
  ASSERT_TRUE(r.swizzle_fit.has_value()) << r.swizzle_fit_failure;
  ASSERT_TRUE(r.model.has_value());
  EXPECT_EQ(r.model->kind, HashKind::kPageSwizzleMod);
  ASSERT_EQ(r.model->swizzle_pages.size(), 3u);
  // The model's classes are the true partition on every probed page (in its own numbering).
  for (Address page : f.pages) {
    std::vector<int32_t> model;
    std::vector<int64_t> truth;
    for (uint64_t g = 0; g < kPage / 256; ++g) {
      model.push_back(static_cast<int32_t>(*r.model->ClassOf(page + g * 256)));
      truth.push_back(f.class_of(page + g * 256));
    }
    EXPECT_GE(LabellingAgreement(model, truth), 0.999) << std::hex << page;
  }
  // With the whole reference page known, translations are searched; the synthetic layouts differ by page.
  for (const CrossPageSummary& p : r.cross_pages) {
    ASSERT_TRUE(p.best_xor.has_value());
    ASSERT_TRUE(p.best_add.has_value());
    EXPECT_TRUE(p.swizzle.has_value()) << p.swizzle_failure;
  }
}

TEST(ProbeChannelProbeTest, PageTableModelWhenThePageDoesNotFitTheFamily) {
  // 12 classes from a random table: a partition, but no swizzle-mod structure.
  std::mt19937_64 rng(9);
  std::vector<int64_t> table(kPage / 512);
  for (int64_t& c : table) c = std::uniform_int_distribution<int64_t>(0, 11)(rng);
  auto class_of = [&](Address a) { return table[(a % kPage) / 512]; };
  SyntheticOracle oracle(class_of, 0.02, 13, 4);
  SyntheticReadTimer reader(class_of);
  ChannelProbeOptions options;
  options.repetitions = 1;
  options.cross_lines = 8;
  const Address pages[] = {3 * kPage, 9 * kPage};
  auto result = RunChannelProbe(oracle, reader, pages, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(result->swizzle_fit.has_value());
  EXPECT_FALSE(result->swizzle_fit_failure.empty());
  ASSERT_TRUE(result->model.has_value());
  EXPECT_EQ(result->model->kind, HashKind::kPageTable);
  EXPECT_EQ(result->model->class_count, 12);
  // The same table on both pages: the identity translation explains every located line.
  ASSERT_EQ(result->cross_pages.size(), 1u);
  const CrossPageSummary& p = result->cross_pages[0];
  EXPECT_EQ(p.same_offset, p.lines);
  ASSERT_TRUE(p.best_xor.has_value());
  EXPECT_EQ(p.best_xor->offset_delta, 0u);
  EXPECT_EQ(p.best_xor->explained, p.lines);
}

TEST(ProbeChannelProbeTest, BudgetShrinksTheSampleAndSaysSo) {
  Fixture f;
  SyntheticOracle oracle(f.class_of, 0.05, 14, 8);
  SyntheticReadTimer reader(f.class_of);
  ChannelProbeOptions options;
  options.lines = 2048;
  options.time_budget_s = 10;
  options.seconds_per_query = 0.002;  // pretend measurements are slow: 2048 lines would not fit
  auto result = RunChannelProbe(oracle, reader, f.pages, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_LT(result->offsets.size(), 2048u);
  EXPECT_GE(result->offsets.size(), static_cast<size_t>(options.min_lines));
  bool said = false;
  for (const std::string& note : result->notes) said |= note.find("instead of 2048") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(ProbeChannelProbeTest, RandomAnswersGiveNoClassification) {
  Fixture f;
  SyntheticOracle oracle(f.class_of, 0.5, 15, 8);
  SyntheticReadTimer reader(f.class_of);
  ChannelProbeOptions options;
  options.lines = 256;
  options.invariance_samples = 16;
  auto result = RunChannelProbe(oracle, reader, f.pages, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->reference_run(), nullptr);
  for (const ClassificationRun& run : result->runs) EXPECT_FALSE(run.status.ok());
  EXPECT_FALSE(result->stability.has_value());
  EXPECT_FALSE(result->model.has_value());
  EXPECT_EQ(reader.calls, 0);
}

TEST(ProbeChannelProbeTest, OracleFailureIsReported) {
  Fixture f;
  SyntheticOracle oracle(f.class_of, 0.0, 16, 8);
  SyntheticReadTimer reader(f.class_of);
  ChannelProbeOptions options;
  options.lines = 256;
  options.oracle_status = [] { return Error(ErrorCode::kInternal, "kernel launch failed"); };
  auto result = RunChannelProbe(oracle, reader, f.pages, options);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("kernel launch failed"), std::string::npos);
}

TEST(ProbeChannelProbeTest, RejectsUnalignedPagesAndNoPages) {
  Fixture f;
  SyntheticOracle oracle(f.class_of, 0.0, 17, 8);
  SyntheticReadTimer reader(f.class_of);
  const Address unaligned[] = {kPage + 4096};
  EXPECT_FALSE(RunChannelProbe(oracle, reader, unaligned, {}).ok());
  EXPECT_FALSE(RunChannelProbe(oracle, reader, {}, {}).ok());
}

TEST(ProbeChannelProbeTest, EstimateGrowsWithLinesAndShrinksWithGroups) {
  EXPECT_LT(EstimateClassificationQueries(512, 94, 8), EstimateClassificationQueries(1024, 94, 8));
  EXPECT_LT(EstimateClassificationQueries(1024, 94, 8), EstimateClassificationQueries(1024, 94, 1));
  // On the safe side of docs/channel-solver.md's measurements: 4096 lines, pairs at 5% noise, ~318k.
  EXPECT_GE(EstimateClassificationQueries(4096, 94, 1), 318000);
  EXPECT_GE(EstimateClassificationQueries(4096, 94, 8), 138000);
}

}  // namespace
}  // namespace missile::probe
