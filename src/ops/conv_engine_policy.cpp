#include "ops/conv_engine_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_set>

namespace missile::ops {

Result<ConvApi> ParseConvApi(std::string_view value) {
  if (value.empty() || value == "graph") return ConvApi::kGraph;
  if (value == "legacy") return ConvApi::kLegacy;
  return Error(ErrorCode::kInvalidArgument, "MISSILE_CUDNN_API must be 'graph' or 'legacy', got '{}'", value);
}

Result<size_t> ParsePlansPerGraph(std::string_view value) {
  if (value.empty()) return kDefaultPlansPerGraph;
  size_t plans = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), plans);
  if (error != std::errc() || end != value.data() + value.size() || plans == 0 || plans > 1000) {
    return Error(ErrorCode::kInvalidArgument,
                 "MISSILE_CUDNN_PLANS must be a whole number from 1 to 1000, got '{}'", value);
  }
  return plans;
}

Result<bool> ParseRuntimeCompilation(std::string_view value) {
  if (value == "1") return true;
  if (value.empty() || value == "0") return false;
  return Error(ErrorCode::kInvalidArgument, "MISSILE_CUDNN_RUNTIME_COMPILATION must be 0 or 1, got '{}'",
               value);
}

bool EngineBehaviourAcceptable(const EngineNotes& notes, bool allow_runtime_compiled) {
  return allow_runtime_compiled || !notes.runtime_compiled;
}

bool EngineNumericsAcceptable(const EngineNotes& notes, bool float32_data, bool allow_tf32) {
  if (notes.down_convert_inputs || notes.reduced_precision_reduction) return false;
  if (float32_data && notes.tensor_core && !allow_tf32) return false;
  return true;
}

std::vector<CandidateRef> SelectCandidates(std::span<const std::vector<std::string>> keys_per_list,
                                           size_t limit) {
  std::vector<CandidateRef> chosen;
  std::unordered_set<std::string> seen;
  for (size_t list = 0; list < keys_per_list.size(); ++list) {
    for (size_t index = 0; index < keys_per_list[list].size(); ++index) {
      if (chosen.size() >= limit) return chosen;
      if (seen.insert(keys_per_list[list][index]).second) chosen.push_back({list, index});
    }
  }
  return chosen;
}

float MedianMs(std::span<const float> trials) {
  if (trials.empty()) return 0.0f;
  std::vector<float> sorted(trials.begin(), trials.end());
  std::sort(sorted.begin(), sorted.end());
  const size_t mid = sorted.size() / 2;
  return sorted.size() % 2 == 1 ? sorted[mid] : 0.5f * (sorted[mid - 1] + sorted[mid]);
}

std::optional<size_t> FastestCandidate(std::span<const std::vector<float>> trials_per_candidate) {
  std::optional<size_t> best;
  float best_ms = 0.0f;
  for (size_t i = 0; i < trials_per_candidate.size(); ++i) {
    if (trials_per_candidate[i].empty()) continue;
    const float ms = MedianMs(trials_per_candidate[i]);
    if (!best || ms < best_ms) {
      best = i;
      best_ms = ms;
    }
  }
  return best;
}

namespace {

bool AllFinite(const std::vector<float>& values) {
  return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
}

double RelativeDifference(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

}  // namespace

CheckedWinner CheckedFastest(std::span<const std::vector<float>> trials_per_candidate,
                             const std::vector<bool>& runtime_compiled, const PlanOutput& output) {
  const size_t count = trials_per_candidate.size();
  std::vector<std::vector<float>> trials(trials_per_candidate.begin(), trials_per_candidate.end());
  std::vector<bool> excluded(count);  // rejected, or gave no finite values: no one's reference
  for (size_t i = 0; i < count; ++i) excluded[i] = trials[i].empty();
  std::vector<std::optional<const std::vector<float>*>> known(count);  // each candidate asked once
  auto values_of = [&](size_t i) {
    if (!known[i]) known[i] = output(i);
    return *known[i];
  };
  CheckedWinner result;
  while ((result.winner = FastestCandidate(trials))) {
    const size_t best = *result.winner;
    // The first usable reference other than `best` and `skip`.
    auto reference = [&](std::optional<size_t> skip) -> std::optional<size_t> {
      for (bool compiled : {false, true}) {
        for (size_t r = 0; r < count; ++r) {
          if (r == best || r == skip || excluded[r] || runtime_compiled[r] != compiled) continue;
          const std::vector<float>* values = values_of(r);
          if (values != nullptr && AllFinite(*values)) return r;
          excluded[r] = true;
        }
      }
      return std::nullopt;
    };
    std::string why;
    std::optional<size_t> disagreed_with;
    const std::vector<float>* got = values_of(best);
    if (got == nullptr) {
      why = "a failed run";
    } else if (!AllFinite(*got)) {
      why = "values that are not finite";
    } else if (const std::optional<size_t> first = reference(std::nullopt)) {
      const double error = RelativeDifference(*got, *values_of(*first));
      if (error > kPlanAgreement) {
        const std::optional<size_t> third = reference(*first);
        if (third && RelativeDifference(*got, *values_of(*third)) <= kPlanAgreement) {
          excluded[*first] = true;  // the reference was the wrong one
        } else {
          why = fmt::format("values {:.3g} away from those of", error);
          disagreed_with = first;
        }
      }
    }
    if (why.empty()) break;
    result.rejected.push_back({best, std::move(why), disagreed_with});
    trials[best].clear();
    excluded[best] = true;
  }
  return result;
}

std::optional<std::vector<PointwiseStep>> GraphEpilogueSteps(bool has_bias, bool has_residual,
                                                             const Activation& activation) {
  std::vector<PointwiseStep> steps;
  if (has_bias) steps.push_back(PointwiseStep::kAddBias);
  if (has_residual) steps.push_back(PointwiseStep::kAddResidual);
  switch (activation.kind) {
    case Activation::Kind::kNone:
      break;
    case Activation::Kind::kRelu:
      steps.push_back(PointwiseStep::kRelu);
      break;
    case Activation::Kind::kClip:
      steps.push_back(PointwiseStep::kClip);
      break;
    case Activation::Kind::kSigmoid:
      steps.push_back(PointwiseStep::kSigmoid);
      break;
    case Activation::Kind::kHardSwish:
    case Activation::Kind::kGelu:
    case Activation::Kind::kGeluTanh:
      // cuDNN's pointwise modes have no hard-swish; its GELU modes are not documented to match ours bit for
      // bit, so Missile's epilogue applies both.
      return std::nullopt;
  }
  return steps;
}

std::string PointwiseStepName(PointwiseStep step) {
  switch (step) {
    case PointwiseStep::kAddBias:
      return "bias";
    case PointwiseStep::kAddResidual:
      return "residual";
    case PointwiseStep::kRelu:
      return "relu";
    case PointwiseStep::kClip:
      return "clip";
    case PointwiseStep::kSigmoid:
      return "sigmoid";
  }
  return "?";
}

}  // namespace missile::ops
