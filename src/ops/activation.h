// Activations that fusion folds into the op before them (Conv, Gemm, MatMul): decided once, applied by each
// backend in its epilogue so the activation costs no extra pass over memory.
#pragma once

#include <string>

#include "graph/attributes.h"

namespace missile::ops {

struct Activation {
  enum class Kind { kNone, kRelu, kClip, kSigmoid, kHardSwish };
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
void SetActivationAttributes(const Activation& activation, graph::Attributes& attributes);
std::string ActivationName(Activation::Kind kind);

}  // namespace missile::ops
