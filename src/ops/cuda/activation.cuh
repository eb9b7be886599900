// The fused activation (ops/activation.h) on the GPU: the same arithmetic as the CPU epilogue
// (ops/cpu/activation_cpu.h), in float.
#pragma once

#include "ops/activation.h"

namespace missile::ops::cuda {

// Passed by value into kernels (ops::Activation is a plain struct of an enum and two floats).
__device__ __forceinline__ float ApplyActivation(const Activation& a, float x) {
  switch (a.kind) {
    case Activation::Kind::kNone:
      return x;
    case Activation::Kind::kRelu:
      return x > 0.0f ? x : 0.0f;
    case Activation::Kind::kClip:
      return fminf(fmaxf(x, a.min), a.max);
    case Activation::Kind::kSigmoid:
      return 1.0f / (1.0f + expf(-x));
    case Activation::Kind::kHardSwish:
      return x * fminf(fmaxf(x / 6.0f + 0.5f, 0.0f), 1.0f);
  }
  return x;
}

}  // namespace missile::ops::cuda
