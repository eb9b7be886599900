// Fused activations on the GPU: the same arithmetic as ops/cpu/activation_cpu.h, expression for expression,
// so an epilogue (Conv, Gemm, MatMul) and the standalone operators (Relu, Clip, Sigmoid, HardSwish) give the
// CPU backend's results, NaN handling included: the comparisons are written out rather than calling
// fminf/fmaxf, which drop NaNs where std::min/std::max keep them.
#pragma once

#include "ops/activation.h"

namespace missile::ops::cuda {

// std::max(x, lo) and std::min(x, hi) as the CPU backend evaluates them.
__device__ __forceinline__ float StdMax(float a, float b) {
  return a < b ? b : a;
}
__device__ __forceinline__ float StdMin(float a, float b) {
  return b < a ? b : a;
}

// The activation of a kind fixed at compile time (epilogues instantiate one per kind, see
// VisitActivationKind in activation_cpu.h); `min`/`max` are used by kClip only.
template <Activation::Kind kKind>
__device__ __forceinline__ float ApplyActivation(float x, float min, float max) {
  using K = Activation::Kind;
  if constexpr (kKind == K::kRelu) {
    return x > 0.0f ? x : 0.0f;
  } else if constexpr (kKind == K::kClip) {
    return StdMin(StdMax(x, min), max);
  } else if constexpr (kKind == K::kSigmoid) {
    return 1.0f / (1.0f + expf(-x));
  } else if constexpr (kKind == K::kHardSwish) {
    return x * StdMin(StdMax(x / 6.0f + 0.5f, 0.0f), 1.0f);
  } else if constexpr (kKind == K::kGelu) {
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  } else if constexpr (kKind == K::kGeluTanh) {
    return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  } else {
    return x;
  }
}

// The activation chosen at run time (a uniform branch when every thread applies the same one).
__device__ __forceinline__ float ApplyActivation(const Activation& a, float x) {
  using K = Activation::Kind;
  switch (a.kind) {
    case K::kNone:
      return x;
    case K::kRelu:
      return ApplyActivation<K::kRelu>(x, a.min, a.max);
    case K::kClip:
      return ApplyActivation<K::kClip>(x, a.min, a.max);
    case K::kSigmoid:
      return ApplyActivation<K::kSigmoid>(x, a.min, a.max);
    case K::kHardSwish:
      return ApplyActivation<K::kHardSwish>(x, a.min, a.max);
    case K::kGelu:
      return ApplyActivation<K::kGelu>(x, a.min, a.max);
    case K::kGeluTanh:
      return ApplyActivation<K::kGeluTanh>(x, a.min, a.max);
  }
  return x;
}

}  // namespace missile::ops::cuda
