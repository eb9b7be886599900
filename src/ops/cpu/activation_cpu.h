// Fused activation epilogue for CPU kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ops/activation.h"

namespace missile::ops::cpu {

inline constexpr float kInvSqrt2 = 0.70710678118654752f;
inline constexpr float kSqrt2OverPi = 0.79788456080286536f;

inline float ApplyActivation(const Activation& a, float x) {
  switch (a.kind) {
    case Activation::Kind::kNone:
      return x;
    case Activation::Kind::kRelu:
      return x > 0.0f ? x : 0.0f;
    case Activation::Kind::kClip:
      return std::min(std::max(x, a.min), a.max);
    case Activation::Kind::kSigmoid:
      return 1.0f / (1.0f + std::exp(-x));
    case Activation::Kind::kHardSwish:
      return x * std::min(std::max(x / 6.0f + 0.5f, 0.0f), 1.0f);
    case Activation::Kind::kGelu:
      return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2));
    case Activation::Kind::kGeluTanh:
      return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
  }
  return x;
}

// Calls fn(std::integral_constant<Kind, kind>) so that ApplyActivation's switch is resolved at compile time
// and the epilogue loops vectorise.
template <typename Fn>
void VisitActivationKind(Activation::Kind kind, Fn&& fn) {
  using K = Activation::Kind;
  switch (kind) {
    case K::kNone:
      return fn(std::integral_constant<K, K::kNone>{});
    case K::kRelu:
      return fn(std::integral_constant<K, K::kRelu>{});
    case K::kClip:
      return fn(std::integral_constant<K, K::kClip>{});
    case K::kSigmoid:
      return fn(std::integral_constant<K, K::kSigmoid>{});
    case K::kHardSwish:
      return fn(std::integral_constant<K, K::kHardSwish>{});
    case K::kGelu:
      return fn(std::integral_constant<K, K::kGelu>{});
    case K::kGeluTanh:
      return fn(std::integral_constant<K, K::kGeluTanh>{});
  }
}

inline void ApplyActivation(const Activation& a, float* data, int64_t n) {
  if (a.none()) return;
  for (int64_t i = 0; i < n; ++i) data[i] = ApplyActivation(a, data[i]);
}

}  // namespace missile::ops::cpu
