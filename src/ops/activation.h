// Activations that fusion folds into the op before them (Conv, Gemm, MatMul): decided once, applied by each
// backend in its epilogue so the activation costs no extra pass over memory.
#pragma once

#include <string>

#include "core/status.h"
#include "graph/attributes.h"

namespace missile::ops {

struct Activation {
  // kGelu: x * (1 + erf(x / sqrt 2)) / 2 (exact); kGeluTanh: its tanh approximation (GPT-2's "gelu_new").
  enum class Kind { kNone, kRelu, kClip, kSigmoid, kHardSwish, kGelu, kGeluTanh };
  Kind kind = Kind::kNone;
  float min = 0.0f;  // kClip bounds
  float max = 0.0f;

  bool none() const { return kind == Kind::kNone; }
};

// The attribute names a fused node carries (set by passes/fuse_activation, read by kernels).
inline constexpr const char* kFusedActivationAttr = "missile.activation";
inline constexpr const char* kFusedClipMinAttr = "missile.clip_min";
inline constexpr const char* kFusedClipMaxAttr = "missile.clip_max";

Activation ActivationFromAttributes(const graph::Attributes& attributes);
// The activation of a Gelu node (ONNX opset 20's operator, which passes/fuse_gelu creates from the
// decompositions older exporters write): its `approximate` attribute, "none" (default) or "tanh".
Result<Activation> GeluFromAttributes(const graph::Attributes& attributes);
void SetActivationAttributes(const Activation& activation, graph::Attributes& attributes);
std::string ActivationName(Activation::Kind kind);

}  // namespace missile::ops
