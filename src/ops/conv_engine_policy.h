// The decisions behind the CUDA backend's cuDNN graph-API convolutions, kept free of CUDA so CPU tests cover
// them: which API to use, which engines' numerics are acceptable, which candidates to time, which one won,
// and which part of a fused node's epilogue cuDNN's graph can take.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ops/activation.h"

namespace missile::ops {

// MISSILE_CUDNN_API: "graph" (cuDNN's backend API with per-shape autotuning; the default when unset or
// empty) or "legacy" (cudnnFind and the legacy convolution calls), for comparisons on one GPU.
enum class ConvApi { kGraph, kLegacy };
Result<ConvApi> ParseConvApi(std::string_view value);

// MISSILE_CUDNN_PLANS: how many execution plans autotuning times per graph variant (unset or empty: 8). Fewer
// plans load a model faster (each plan costs a finalize, sometimes a runtime compilation, and a few timed
// runs).
inline constexpr size_t kDefaultPlansPerGraph = 8;
Result<size_t> ParsePlansPerGraph(std::string_view value);

// What cuDNN's numerical and behaviour notes say about one engine.
struct EngineNotes {
  bool tensor_core = false;                  // tensor-core math: TF32 for float data
  bool down_convert_inputs = false;          // converts the inputs to a narrower type first
  bool reduced_precision_reduction = false;  // accumulates in the data type (fp16) instead of float
  bool runtime_compiled = false;             // its kernel is compiled (NVRTC) when the plan is finalized
};

// MISSILE_CUDNN_RUNTIME_COMPILATION: "1" lets the search time runtime-compiled engines; "0", unset or empty
// leaves them out. Why they are out by default (docs/results/conv-load-time-h200-2026-11-26.md): on the H200
// their NVRTC compilations made 17-21 s of EfficientNet-B0's 23 s load, some of them returned wrong values
// at batch 32 (the winner check dropped 8-13 per model), and with that check their speed gain was within
// run-to-run noise; and such a kernel is loaded into the CUDA context current when its plan is finalized, so
// a process that runs the plan in other contexts (the compute scheduler's green-context SM partitions) may
// find it fails there (docs/cuda-backend.md, "Known limits").
Result<bool> ParseRuntimeCompilation(std::string_view value);

// Whether the search may time this engine: its numerics (below) and, when runtime-compiled engines are
// excluded, its behaviour.
bool EngineBehaviourAcceptable(const EngineNotes& notes, bool allow_runtime_compiled);

// Inputs are never down-converted and sums are never accumulated in half precision (either would break the
// fp16 tolerance); float data takes tensor cores (TF32) only where TF32 is allowed. PyTorch filters the
// same notes.
bool EngineNumericsAcceptable(const EngineNotes& notes, bool float32_data, bool allow_tf32);

// One engine configuration offered by a cuDNN heuristic list, by a key that identifies it across lists.
struct CandidateRef {
  size_t list = 0;   // which list it came from
  size_t index = 0;  // its position there
};

// The candidates to time: the lists in order (cuDNN's ranked heuristic first, the fallback list after), each
// key once, at most `limit` of them.
std::vector<CandidateRef> SelectCandidates(std::span<const std::vector<std::string>> keys_per_list,
                                           size_t limit);

// The median of one candidate's trial times.
float MedianMs(std::span<const float> trials);
// The candidate with the smallest median time; none when every candidate has no trial.
std::optional<size_t> FastestCandidate(std::span<const std::vector<float>> trials_per_candidate);

// The timed winner, checked: plans are timed on zeros, and cuDNN has returned wrong values from some of them
// (docs/results/conv-load-time-h200-2026-11-26.md). Candidates are taken fastest first until one gives finite
// values within kPlanAgreement (max|a - b| / max|b|) of a reference: the first other candidate that ran, was
// not rejected and gives finite values, runtime-compiled ones last. When the two disagree, a third such
// candidate decides which is wrong. A candidate without any reference passes on finite values alone.
// `output(i)`: candidate i's output on seeded operands (sampled), null when that run failed; asked at most
// once per candidate and only as often as the check needs, the values must outlive the call.
inline constexpr double kPlanAgreement = 1e-2;
using PlanOutput = std::function<const std::vector<float>*(size_t candidate)>;
struct RejectedPlan {
  size_t candidate = 0;
  std::string why;                       // "values that are not finite", "values 1 away from those of"
  std::optional<size_t> disagreed_with;  // the reference, when the values disagreed
};
struct CheckedWinner {
  std::optional<size_t> winner;        // none: no candidate passed
  std::vector<RejectedPlan> rejected;  // timed winners that failed the check, fastest first
};
CheckedWinner CheckedFastest(std::span<const std::vector<float>> trials_per_candidate,
                             const std::vector<bool>& runtime_compiled, const PlanOutput& output);

// The pointwise steps cuDNN's operation graph applies after the convolution, in the order Missile's epilogue
// defines (y = act(conv + bias + residual)).
enum class PointwiseStep { kAddBias, kAddResidual, kRelu, kClip, kSigmoid };
// All of a node's epilogue as graph steps, or none when its activation has no graph form (then the graph is
// the bare convolution and Missile's epilogue kernel follows it). Empty when there is nothing to apply.
std::optional<std::vector<PointwiseStep>> GraphEpilogueSteps(bool has_bias, bool has_residual,
                                                             const Activation& activation);
std::string PointwiseStepName(PointwiseStep step);

}  // namespace missile::ops
