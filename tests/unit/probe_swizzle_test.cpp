#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>

#include "probe/classifier.h"
#include "probe/gf2.h"
#include "probe/page_classifier.h"
#include "probe/swizzle_fit.h"
#include "probe/swizzle_identify.h"
#include "probe/synthetic_oracle.h"

namespace missile::probe {
namespace {

constexpr uint64_t kPage = uint64_t{2} << 20;
const SwizzleModFamily kH200Family{
    .granule_bytes = 256, .page_bytes = kPage, .in_page_index_mask = 0x1ffd00, .modulus = 94};

// The page's XOR constant in the ground truth: the low 12 bits of the swizzle at the page's address.
uint64_t TrueConstant(const SwizzleModHash& truth, Address page_base) {
  uint64_t swizzle = 0;
  for (size_t j = 0; j < truth.swizzle_rows.size(); ++j) {
    swizzle |= uint64_t(gf2::Dot(page_base, truth.swizzle_rows[j])) << j;
  }
  return swizzle & 0xfff;
}

TEST(ProbeSwizzleTest, EquivalentConstantsGiveTheSamePartition) {
  for (int64_t modulus : {94, 12, 47}) {
    SwizzleModFamily family = kH200Family;
    family.modulus = modulus;
    const std::vector<uint64_t> equivalents = family.Equivalents(0x5a3);
    EXPECT_EQ(equivalents.size(), size_t{2} << std::countr_zero(uint64_t(modulus)));
    EXPECT_EQ(equivalents.front(), family.Canonical(0x5a3));
    std::vector<int64_t> reference;
    for (uint64_t i = 0; i < family.granules(); ++i) reference.push_back(family.Predict(i * 256, 0x5a3));
    for (uint64_t s : equivalents) {
      std::vector<int32_t> labels;
      for (uint64_t i = 0; i < family.granules(); ++i)
        labels.push_back(static_cast<int32_t>(family.Predict(i * 256, s)));
      EXPECT_EQ(LabellingAgreement(labels, reference), 1.0) << "modulus " << modulus << " constant " << s;
    }
  }
}

TEST(ProbeSwizzleTest, FitFindsTheConstantOfAClassifiedPage) {
  const SwizzleModHash truth = H200LikeSwizzleModHash(31);
  SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, 0.05, 5);
  PageProbeOptions options;
  options.page_base = 211 * kPage;
  options.classifier.expected_classes = 94;
  auto page = ClassifyPage(oracle, options);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  auto fit = FitPageSwizzle(page->labels, kH200Family);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_EQ(fit->xor_constant, kH200Family.Canonical(TrueConstant(truth, options.page_base)));
  EXPECT_EQ(fit->equally_good.size(), 4u);  // z = 1 for 94 = 2 * 47, times the mirror image
  EXPECT_GE(fit->agreement, 0.99);
}

TEST(ProbeSwizzleTest, FitRejectsPagesOutsideTheFamily) {
  std::vector<int32_t> labels(kH200Family.granules());
  for (size_t i = 0; i < labels.size(); ++i)
    labels[i] = static_cast<int32_t>((i * 0x9e3779b97f4a7c15ULL) >> 58) % 94;
  auto fit = FitPageSwizzle(labels, kH200Family);
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("is not (index XOR s) mod 94"), std::string::npos);
}

struct IdentifyCase {
  double noise;
  int64_t identify_budget;  // per page
  int64_t align_budget;     // per page
};

class ProbeSwizzleIdentifyTest : public testing::TestWithParam<IdentifyCase> {};

// Few-measurement path: eight pages identified and aligned, then every granule of them checked against the
// ground truth through the resulting kPageSwizzleMod model.
TEST_P(ProbeSwizzleIdentifyTest, IdentifiesAndAlignsPagesWithFewMeasurements) {
  const IdentifyCase c = GetParam();
  const SwizzleModHash truth = H200LikeSwizzleModHash(17);
  SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, c.noise, 23);
  std::vector<SwizzlePage> pages;
  for (uint64_t p = 0; p < 8; ++p) {
    const Address base = ((p * 2654435761u) % 8192) * kPage;
    auto identified = IdentifyPageSwizzle(oracle, {.family = kH200Family, .page_base = base, .seed = p + 1});
    ASSERT_TRUE(identified.ok()) << identified.status().ToString();
    EXPECT_EQ(identified->xor_constant, kH200Family.Canonical(TrueConstant(truth, base)));
    EXPECT_LE(identified->queries.total(), c.identify_budget);
    int64_t align_queries = 0;
    if (pages.empty()) {
      pages.push_back({base, identified->xor_constant, 0, 0});
    } else {
      SwizzleAlignOptions align;
      align.seed = p + 1;
      auto aligned =
          AlignSwizzlePage(oracle, kH200Family, pages.front(), base, identified->xor_constant, align);
      ASSERT_TRUE(aligned.ok()) << aligned.status().ToString();
      align_queries = aligned->queries.total();
      EXPECT_LE(align_queries, c.align_budget);
      pages.push_back(aligned->page);
    }
    std::printf("[ swizzle ] noise=%.2f page=%lu identify=%ld align=%ld\n", c.noise, p,
                identified->queries.total(), align_queries);
  }
  auto model = HashModelFromJson(HashModelToJson(SwizzlePageModel(kH200Family, pages)));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  std::vector<int32_t> labels;
  std::vector<int64_t> classes;
  for (const SwizzlePage& page : pages) {
    for (Address a = page.base; a < page.base + kPage; a += 256) {
      labels.push_back(static_cast<int32_t>(*model->ClassOf(a)));
      classes.push_back(oracle.TrueClass(a));
    }
  }
  EXPECT_EQ(LabellingAgreement(labels, classes), 1.0);
}

INSTANTIATE_TEST_SUITE_P(Noise, ProbeSwizzleIdentifyTest,
                         testing::Values(IdentifyCase{0.05, 150, 300}, IdentifyCase{0.10, 150, 400}));

TEST(ProbeSwizzleTest, RecoversTheSwizzleRowsWhenPhysicalPagesAreKnown) {
  const SwizzleModHash truth = H200LikeSwizzleModHash(29);
  SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, 0.05, 31);
  const uint64_t page_bits = ((uint64_t{1} << 34) - 1) & ~(kPage - 1);
  // The reference page, then one page per page-number bit: the least that spans them.
  std::vector<Address> bases = {123 * kPage};
  for (int bit : gf2::BitPositions(page_bits)) bases.push_back(bases.front() ^ gf2::Bit(bit));
  std::vector<PhysicalPageConstant> constants;
  SwizzlePage reference;
  for (Address base : bases) {
    auto identified = IdentifyPageSwizzle(oracle, {.family = kH200Family, .page_base = base, .seed = base});
    ASSERT_TRUE(identified.ok()) << identified.status().ToString();
    if (constants.empty()) {
      reference = {base, identified->xor_constant, 0, 0};
      constants.push_back({base, reference.xor_constant});
      continue;
    }
    auto aligned = AlignSwizzlePage(oracle, kH200Family, reference, base, identified->xor_constant, {});
    ASSERT_TRUE(aligned.ok()) << aligned.status().ToString();
    constants.push_back({base, aligned->page.xor_constant});
  }
  auto fitted = FitSwizzleRows(constants, page_bits, kH200Family);
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  EXPECT_EQ(fitted->determined_bits, 0xffeu);  // all but bit 0: 94 = 2 * 47
  for (int j = 1; j < kH200Family.index_bits(); ++j)
    EXPECT_EQ(fitted->rows[j], truth.swizzle_rows[j]) << "bit " << j;
  // The constant is what the reference's arbitrary choice among its equivalents left over.
  EXPECT_EQ(fitted->constant, (reference.xor_constant ^ TrueConstant(truth, reference.base)) & 0xffe);

  // Fewer pages than page bits leave directions open; that is an error, not a guess.
  auto underdetermined = FitSwizzleRows(std::span(constants).first(5), page_bits, kH200Family);
  EXPECT_FALSE(underdetermined.ok());
}

// Pages whose own numbering is ((index XOR s) + t) mod 94 with any t, odd ones included: whichever equivalent
// the reference was given, every page can be numbered like it.
TEST(ProbeSwizzleTest, AlignsPagesWhateverTheirLabelOffsets) {
  std::mt19937_64 rng(55);
  std::map<Address, SwizzlePage> truth;
  for (int p = 0; p < 6; ++p) {
    const Address base = (rng() % 4096) * kPage;
    truth[base] = {base, rng() & 0xfff, static_cast<int64_t>(rng() % 94), 0};
  }
  auto class_of = [&](Address a) {
    return truth.at(a & ~(kPage - 1)).ClassOfIndex(kH200Family.Index(a & (kPage - 1)), 94);
  };
  SyntheticOracle oracle(class_of, 0.05, 56);
  std::vector<SwizzlePage> pages;
  for (const auto& [base, page] : truth) {
    auto identified = IdentifyPageSwizzle(oracle, {.family = kH200Family, .page_base = base});
    ASSERT_TRUE(identified.ok()) << identified.status().ToString();
    if (pages.empty()) {
      pages.push_back({base, identified->xor_constant, 0, 0});
      continue;
    }
    auto aligned = AlignSwizzlePage(oracle, kH200Family, pages.front(), base, identified->xor_constant, {});
    ASSERT_TRUE(aligned.ok()) << aligned.status().ToString();
    pages.push_back(aligned->page);
  }
  const HashModel model = SwizzlePageModel(kH200Family, pages);
  std::vector<int32_t> labels;
  std::vector<int64_t> classes;
  for (const SwizzlePage& page : pages) {
    for (Address a = page.base; a < page.base + kPage; a += 256) {
      labels.push_back(static_cast<int32_t>(*model.ClassOf(a)));
      classes.push_back(class_of(a));
    }
  }
  EXPECT_EQ(LabellingAgreement(labels, classes), 1.0);
}

TEST(ProbeSwizzleTest, IdentifyRejectsPagesOutsideTheFamilyAndRandomAnswers) {
  const XorHash linear = RandomXorHash(6, 0x3ffffd00, 3);  // 64 classes
  SyntheticOracle linear_oracle([&](Address a) { return linear.ClassOf(a); }, 0.05, 4);
  auto identified = IdentifyPageSwizzle(linear_oracle, {.family = kH200Family, .page_base = 7 * kPage});
  ASSERT_FALSE(identified.ok());
  EXPECT_EQ(identified.status().code(), ErrorCode::kFailedPrecondition);

  const SwizzleModHash truth = H200LikeSwizzleModHash(5);
  SyntheticOracle random_oracle([&](Address a) { return truth.ClassOf(a); }, 0.5, 6);
  auto at_random = IdentifyPageSwizzle(random_oracle, {.family = kH200Family, .page_base = 7 * kPage});
  ASSERT_FALSE(at_random.ok());
  EXPECT_EQ(at_random.status().code(), ErrorCode::kFailedPrecondition);
  std::printf("[ rejected ] %s\n[ rejected ] %s\n", identified.status().ToString().c_str(),
              at_random.status().ToString().c_str());
}

TEST(ProbeSwizzleTest, IdentifiesTwelveClassPages) {
  // A non-power-of-two count with z = 2: 12 channels, as on a P40.
  const SwizzleModHash truth = RandomSwizzleModHash(12, 0xfffffffc00 | 0x100, 12, 0x3ffe00000, 41);
  SwizzleModFamily family = kH200Family;
  family.modulus = 12;
  SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, 0.05, 43);
  for (Address base : {Address{3 * kPage}, Address{1000 * kPage}}) {
    auto identified = IdentifyPageSwizzle(oracle, {.family = family, .page_base = base});
    ASSERT_TRUE(identified.ok()) << identified.status().ToString();
    EXPECT_EQ(identified->xor_constant, family.Canonical(TrueConstant(truth, base)));
  }
}

}  // namespace
}  // namespace missile::probe
