#include "ops/conv_engine_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <vector>

namespace missile::ops {
namespace {

TEST(ConvEnginePolicy, ParsesTheApiSwitch) {
  EXPECT_EQ(*ParseConvApi(""), ConvApi::kGraph);
  EXPECT_EQ(*ParseConvApi("graph"), ConvApi::kGraph);
  EXPECT_EQ(*ParseConvApi("legacy"), ConvApi::kLegacy);
  auto bad = ParseConvApi("fast");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("fast"), std::string::npos);
}

TEST(ConvEnginePolicy, ParsesThePlanCount) {
  EXPECT_EQ(*ParsePlansPerGraph(""), kDefaultPlansPerGraph);
  EXPECT_EQ(*ParsePlansPerGraph("3"), 3u);
  for (const char* bad : {"0", "-1", "2x", "many", "1001"}) {
    auto parsed = ParsePlansPerGraph(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(ConvEnginePolicy, LeavesRuntimeCompiledEnginesOutUnlessAsked) {
  EXPECT_FALSE(*ParseRuntimeCompilation("")) << "left out unless asked for";
  EXPECT_TRUE(*ParseRuntimeCompilation("1"));
  EXPECT_FALSE(*ParseRuntimeCompilation("0"));
  auto bad = ParseRuntimeCompilation("no");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("MISSILE_CUDNN_RUNTIME_COMPILATION"), std::string::npos);

  EngineNotes compiled;
  compiled.runtime_compiled = true;
  EXPECT_TRUE(EngineBehaviourAcceptable(compiled, true));
  EXPECT_FALSE(EngineBehaviourAcceptable(compiled, false));
  EXPECT_TRUE(EngineBehaviourAcceptable(EngineNotes{}, false));
}

TEST(ConvEnginePolicy, RejectsDownConvertedInputsAndHalfPrecisionSums) {
  EXPECT_TRUE(EngineNumericsAcceptable({}, true, false));
  EXPECT_FALSE(EngineNumericsAcceptable({.down_convert_inputs = true}, false, true));
  EXPECT_FALSE(EngineNumericsAcceptable({.reduced_precision_reduction = true}, false, true));
}

TEST(ConvEnginePolicy, TensorCoresForFloatDataOnlyWithTf32) {
  const EngineNotes tensor_core{.tensor_core = true};
  EXPECT_TRUE(EngineNumericsAcceptable(tensor_core, /*float32_data=*/true, /*allow_tf32=*/true));
  EXPECT_FALSE(EngineNumericsAcceptable(tensor_core, true, false));
  // Half data on tensor cores is plain fp16 math with float accumulation, TF32 or not.
  EXPECT_TRUE(EngineNumericsAcceptable(tensor_core, false, false));
}

TEST(ConvEnginePolicy, SelectsRankedCandidatesFirstWithoutDuplicates) {
  const std::vector<std::vector<std::string>> lists = {{"a", "b", "a", "c"}, {"b", "d", "e"}};
  const auto chosen = SelectCandidates(lists, 10);
  ASSERT_EQ(chosen.size(), 5u);
  const std::vector<std::pair<size_t, size_t>> expected = {{0, 0}, {0, 1}, {0, 3}, {1, 1}, {1, 2}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(chosen[i].list, expected[i].first) << i;
    EXPECT_EQ(chosen[i].index, expected[i].second) << i;
  }
  const auto limited = SelectCandidates(lists, 2);
  ASSERT_EQ(limited.size(), 2u);
  EXPECT_EQ(limited[1].index, 1u);
  EXPECT_TRUE(SelectCandidates({}, 3).empty());
}

TEST(ConvEnginePolicy, MedianOfOddAndEvenTrialCounts) {
  const std::vector<float> odd = {5.0f, 1.0f, 3.0f};
  const std::vector<float> even = {4.0f, 1.0f, 2.0f, 100.0f};
  EXPECT_FLOAT_EQ(MedianMs(odd), 3.0f);
  EXPECT_FLOAT_EQ(MedianMs(even), 3.0f);
  EXPECT_FLOAT_EQ(MedianMs({}), 0.0f);
}

TEST(ConvEnginePolicy, FastestCandidateByMedianSkipsFailedOnes) {
  // The second candidate has the best single run but the worse median: one lucky trial must not win.
  const std::vector<std::vector<float>> trials = {
      {2.0f, 2.1f, 2.2f}, {0.5f, 3.0f, 3.0f}, {}, {1.9f, 2.0f, 9.0f}};
  EXPECT_EQ(FastestCandidate(trials), 3u);
  EXPECT_FALSE(FastestCandidate(std::vector<std::vector<float>>{{}, {}}).has_value());
  EXPECT_FALSE(FastestCandidate({}).has_value());
}

TEST(ConvEnginePolicy, EpilogueStepsFollowMissilesOrder) {
  Activation relu{.kind = Activation::Kind::kRelu};
  auto steps = GraphEpilogueSteps(true, true, relu);
  ASSERT_TRUE(steps.has_value());
  EXPECT_EQ(*steps, (std::vector<PointwiseStep>{PointwiseStep::kAddBias, PointwiseStep::kAddResidual,
                                                PointwiseStep::kRelu}));
  Activation clip{.kind = Activation::Kind::kClip, .min = 0.0f, .max = 6.0f};
  EXPECT_EQ(*GraphEpilogueSteps(true, false, clip),
            (std::vector<PointwiseStep>{PointwiseStep::kAddBias, PointwiseStep::kClip}));
  EXPECT_EQ(*GraphEpilogueSteps(false, false, Activation{.kind = Activation::Kind::kSigmoid}),
            (std::vector<PointwiseStep>{PointwiseStep::kSigmoid}));
  EXPECT_TRUE(GraphEpilogueSteps(false, false, Activation{})->empty());
}

TEST(ConvEnginePolicy, HardSwishHasNoGraphForm) {
  EXPECT_FALSE(GraphEpilogueSteps(true, false, Activation{.kind = Activation::Kind::kHardSwish}).has_value());
  EXPECT_EQ(PointwiseStepName(PointwiseStep::kAddResidual), "residual");
}

}  // namespace
}  // namespace missile::ops

namespace missile::ops {
namespace {

// Candidates' sampled outputs for CheckedFastest, with a count of the runs it asked for.
struct FakeOutputs {
  explicit FakeOutputs(std::vector<std::optional<std::vector<float>>> v) : values(std::move(v)) {}
  std::vector<std::optional<std::vector<float>>> values;  // none: the run fails
  std::vector<int> asked;

  PlanOutput Callback() {
    asked.assign(values.size(), 0);
    return [this](size_t i) -> const std::vector<float>* {
      ++asked[i];
      return values[i] ? &*values[i] : nullptr;
    };
  }
};

const std::vector<float> kRight = {1.0f, -2.0f, 3.0f, 0.5f};
const std::vector<float> kWrong = {0.0f, 0.0f, 0.0f, 0.0f};
const std::vector<float> kNaN = {1.0f, std::nanf(""), 3.0f, 0.5f};

TEST(CheckedFastest, KeepsTheFastestWhenItAgreesWithAnotherPlan) {
  FakeOutputs outputs{{kRight, kRight, kRight}};
  const std::vector<std::vector<float>> trials = {{3.0f}, {1.0f}, {2.0f}};
  const CheckedWinner checked = CheckedFastest(trials, {false, false, false}, outputs.Callback());
  EXPECT_EQ(checked.winner, 1u);
  EXPECT_TRUE(checked.rejected.empty());
  EXPECT_EQ(outputs.asked[2], 0) << "one reference is enough when it agrees";
  EXPECT_EQ(outputs.asked[1], 1);
}

TEST(CheckedFastest, DropsAFastestPlanWhoseValuesAreNotFiniteOrWhoseRunFails) {
  FakeOutputs outputs{{kRight, kNaN, std::nullopt}};
  const std::vector<std::vector<float>> trials = {{3.0f}, {1.0f}, {2.0f}};
  const CheckedWinner checked = CheckedFastest(trials, {false, true, false}, outputs.Callback());
  EXPECT_EQ(checked.winner, 0u);
  ASSERT_EQ(checked.rejected.size(), 2u);
  EXPECT_EQ(checked.rejected[0].candidate, 1u);
  EXPECT_EQ(checked.rejected[0].why, "values that are not finite");
  EXPECT_EQ(checked.rejected[1].candidate, 2u);
  EXPECT_EQ(checked.rejected[1].why, "a failed run");
}

TEST(CheckedFastest, AThirdPlanDecidesWhichOfTwoDisagreeingPlansIsWrong) {
  // The fastest is wrong: the reference and a third agree against it.
  FakeOutputs wrong_winner{{kRight, kWrong, kRight}};
  const std::vector<std::vector<float>> trials = {{2.0f}, {1.0f}, {3.0f}};
  CheckedWinner checked = CheckedFastest(trials, {false, true, false}, wrong_winner.Callback());
  EXPECT_EQ(checked.winner, 0u);
  ASSERT_EQ(checked.rejected.size(), 1u);
  EXPECT_EQ(checked.rejected[0].candidate, 1u);
  EXPECT_EQ(checked.rejected[0].disagreed_with, 0u);

  // The reference is wrong: the third agrees with the fastest, which stays.
  FakeOutputs wrong_reference{{kWrong, kRight, kRight}};
  checked = CheckedFastest(trials, {false, false, false}, wrong_reference.Callback());
  EXPECT_EQ(checked.winner, 1u);
  EXPECT_TRUE(checked.rejected.empty());
}

TEST(CheckedFastest, RuntimeCompiledPlansAreReferencesOnlyWhenNoOtherIs) {
  FakeOutputs outputs{{kWrong, kRight, kRight}};
  const std::vector<std::vector<float>> trials = {{2.0f}, {1.0f}, {3.0f}};
  // Candidate 0 (runtime-compiled, wrong) comes before 2 in order, but 2 is asked first.
  const CheckedWinner checked = CheckedFastest(trials, {true, false, false}, outputs.Callback());
  EXPECT_EQ(checked.winner, 1u);
  EXPECT_EQ(outputs.asked[0], 0);
  EXPECT_EQ(outputs.asked[2], 1);
}

TEST(CheckedFastest, APlanWithoutAnyReferencePassesOnFiniteValuesAndNoneIsLeftWhenAllFail) {
  FakeOutputs alone{{kRight}};
  EXPECT_EQ(CheckedFastest(std::vector<std::vector<float>>{{1.0f}}, {false}, alone.Callback()).winner, 0u);

  FakeOutputs broken{{kNaN, std::nullopt, kRight}};
  const std::vector<std::vector<float>> trials = {{1.0f}, {2.0f}, {}};  // candidate 2 did not run
  const CheckedWinner checked = CheckedFastest(trials, {false, false, false}, broken.Callback());
  EXPECT_FALSE(checked.winner.has_value());
  EXPECT_EQ(checked.rejected.size(), 2u);
  EXPECT_EQ(broken.asked[2], 0) << "a plan that did not run is no reference";
  EXPECT_EQ(broken.asked[0], 1) << "each candidate is run once at most";
}

TEST(CheckedFastest, ToleratesRoundingDifferencesBelowTheAgreementBound) {
  std::vector<float> rounded = kRight;
  rounded[2] += static_cast<float>(3.0 * kPlanAgreement / 2);  // half the bound, relative to max |value| = 3
  FakeOutputs outputs{{rounded, kRight}};
  const std::vector<std::vector<float>> trials = {{1.0f}, {2.0f}};
  EXPECT_EQ(CheckedFastest(trials, {false, false}, outputs.Callback()).winner, 0u);
}

}  // namespace
}  // namespace missile::ops
