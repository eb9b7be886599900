// The per-element arithmetic of the elementwise operators, on compute types (float for float16): the CPU
// backend's expressions (ops/cpu/elementwise.cpp) spelled for the device. Comparisons are written the way
// std::min/std::max evaluate them so NaNs propagate as on the CPU, and HardSigmoid's multiply-add is rounded
// twice (no FMA contraction) as the CPU computes it.
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "ops/cuda/activation.cuh"
#include "ops/cuda/device_types.cuh"

namespace missile::ops::cuda::elementwise {

// ---- Unary, any arithmetic type ---------------------------------------------------------------------------

struct ReluOp {
  template <typename T>
  __device__ T operator()(T x) const {
    return x > T(0) ? x : T(0);
  }
};
struct NegOp {
  template <typename T>
  __device__ T operator()(T x) const {
    return -x;
  }
};
struct AbsOp {
  template <typename T>
  __device__ T operator()(T x) const {
    return x < T(0) ? -x : x;
  }
};

// ---- Unary, float -----------------------------------------------------------------------------------------

template <Activation::Kind kKind>
struct ActivationOp {
  __device__ float operator()(float x) const { return ApplyActivation<kKind>(x, 0.0f, 0.0f); }
};
struct TanhOp {
  __device__ float operator()(float x) const { return tanhf(x); }
};
struct ErfOp {
  __device__ float operator()(float x) const { return erff(x); }
};
struct SqrtOp {
  __device__ float operator()(float x) const { return sqrtf(x); }
};
struct ExpOp {
  __device__ float operator()(float x) const { return expf(x); }
};
struct LogOp {
  __device__ float operator()(float x) const { return logf(x); }
};
struct ReciprocalOp {
  __device__ float operator()(float x) const { return 1.0f / x; }
};
struct FloorOp {
  __device__ float operator()(float x) const { return floorf(x); }
};
struct CeilOp {
  __device__ float operator()(float x) const { return ceilf(x); }
};
struct SinOp {
  __device__ float operator()(float x) const { return sinf(x); }
};
struct CosOp {
  __device__ float operator()(float x) const { return cosf(x); }
};
struct SoftplusOp {
  __device__ float operator()(float x) const { return log1pf(expf(-fabsf(x))) + StdMax(x, 0.0f); }
};
struct HardSigmoidOp {
  float alpha, beta;
  __device__ float operator()(float x) const {
    return StdMin(StdMax(__fadd_rn(__fmul_rn(alpha, x), beta), 0.0f), 1.0f);
  }
};
struct LeakyReluOp {
  float alpha;
  __device__ float operator()(float x) const { return x >= 0.0f ? x : alpha * x; }
};
struct EluOp {
  float alpha;
  __device__ float operator()(float x) const { return x >= 0.0f ? x : alpha * (expf(x) - 1.0f); }
};
struct ClipOp {
  float lo, hi;
  __device__ float operator()(float x) const { return StdMin(StdMax(x, lo), hi); }
};
struct ClipInt64Op {
  int64_t lo, hi;
  __device__ int64_t operator()(int64_t x) const {
    const int64_t m = x < lo ? lo : x;
    return hi < m ? hi : m;
  }
};
// Pow with a constant exponent, in the forms the CPU backend special-cases.
struct SquareOp {
  __device__ float operator()(float x) const { return x * x; }
};
struct CubeOp {
  __device__ float operator()(float x) const { return x * x * x; }
};
struct PowScalarOp {
  float exponent;
  __device__ float operator()(float x) const { return powf(x, exponent); }
};

struct NotOp {
  __device__ bool operator()(bool x) const { return !x; }
};

// ---- Cast -------------------------------------------------------------------------------------------------

// float -> integer as the CPU backend's x86 code converts: truncation toward zero through a 32-bit
// conversion for every type narrower than 64 bits (then wrapped to the width: 300.7 -> int8 44), and the
// "integer indefinite" minimum for NaN and out-of-range values, where C++ leaves the result undefined.
template <typename To, typename From>
__device__ __forceinline__ To TruncateToInteger(From v) {
  const double d = static_cast<double>(v);
  if constexpr (sizeof(To) == 8) {
    const bool in_range = d >= -9223372036854775808.0 && d < 9223372036854775808.0;
    return in_range ? static_cast<To>(v) : static_cast<To>(std::numeric_limits<int64_t>::min());
  } else {
    const bool in_range = d > -2147483649.0 && d < 2147483648.0;
    return static_cast<To>(in_range ? static_cast<int32_t>(v) : std::numeric_limits<int32_t>::min());
  }
}

// ONNX Cast as ConvertElements (core/dtype.cpp) does it: x != 0 -> true, float -> int truncates, to float16
// through float32. From is the source's compute type (float for float16); the result is To's compute type,
// rounded to float16 by the store.
template <typename To>
struct CastOp {
  template <typename From>
  __device__ ComputeType<To> operator()(From v) const {
    if constexpr (std::is_same_v<To, bool>) {
      return v != From(0);
    } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
      return TruncateToInteger<To>(v);
    } else {
      return static_cast<ComputeType<To>>(v);
    }
  }
};

// ---- Binary -----------------------------------------------------------------------------------------------

struct AddOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};
struct SubOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a - b;
  }
};
struct MulOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a * b;
  }
};
struct DivOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return b == 0 ? T(0) : a / b;  // as the CPU: no trap on a bad model
    } else {
      return a / b;
    }
  }
};
// Mod with fmod=1: C's fmod, the dividend's sign.
struct FmodOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      return b == 0 ? T(0) : a % b;
    } else if constexpr (std::is_same_v<T, float>) {
      return fmodf(a, b);
    } else {
      return fmod(a, b);
    }
  }
};
// Mod with fmod=0 (integers only): the divisor's sign, like Python's %.
struct ModOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    if (b == 0) return T(0);
    const T r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  }
};
struct PowOp {
  __device__ float operator()(float a, float b) const { return powf(a, b); }
};
struct MaxOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a > b ? a : b;
  }
};
struct MinOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a < b ? a : b;
  }
};
// The last step of Mean: the sum's final addition and the division by the input count, as the CPU's
// separate scaling pass computes them (the sum rounded to float first).
struct AddScaleOp {
  float scale;
  __device__ float operator()(float a, float b) const { return (a + b) * scale; }
};

struct EqualOp {
  template <typename T>
  __device__ bool operator()(T a, T b) const {
    return a == b;
  }
};
struct LessOp {
  template <typename T>
  __device__ bool operator()(T a, T b) const {
    return a < b;
  }
};
struct LessEqualOp {
  template <typename T>
  __device__ bool operator()(T a, T b) const {
    return a <= b;
  }
};
struct GreaterOp {
  template <typename T>
  __device__ bool operator()(T a, T b) const {
    return a > b;
  }
};
struct GreaterEqualOp {
  template <typename T>
  __device__ bool operator()(T a, T b) const {
    return a >= b;
  }
};

struct AndOp {
  __device__ bool operator()(bool a, bool b) const { return a && b; }
};
struct OrOp {
  __device__ bool operator()(bool a, bool b) const { return a || b; }
};
struct XorOp {
  __device__ bool operator()(bool a, bool b) const { return a != b; }
};

// ---- Ternary ----------------------------------------------------------------------------------------------

struct WhereOp {
  template <typename T>
  __device__ T operator()(bool condition, T x, T y) const {
    return condition ? x : y;
  }
};

}  // namespace missile::ops::cuda::elementwise
