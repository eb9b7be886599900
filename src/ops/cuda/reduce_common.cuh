// Device building blocks of the reductions, softmax, normalizations and pools: the folding operators (each
// the GPU twin of a CPU reduction in ops/cpu/reduce.cpp or pool.cpp, with the same identity and NaN rule) and
// warp / block combines.
//
// An operator is a class template over the accumulator type A (ComputeType<T>: float for float16, the storage
// type otherwise), with Init (the identity), Step (fold one element), Merge (join two partial results, in any
// order) and Finish (the result of n folded elements).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "ops/cuda/device_types.cuh"

namespace missile::ops::cuda {

inline constexpr unsigned kFullWarp = 0xffffffffu;

template <typename A>
__device__ __forceinline__ bool IsNan(A v) {
  if constexpr (std::is_floating_point_v<A>) {
    return v != v;
  } else {
    return false;
  }
}

// The identities of Max and Min: infinities for floats (an all -inf input reduces to -inf), else the limits.
template <typename A>
__device__ __forceinline__ A LowestValue() {
  if constexpr (std::numeric_limits<A>::has_infinity) {
    return -std::numeric_limits<A>::infinity();
  } else {
    return std::numeric_limits<A>::lowest();
  }
}
template <typename A>
__device__ __forceinline__ A HighestValue() {
  if constexpr (std::numeric_limits<A>::has_infinity) {
    return std::numeric_limits<A>::infinity();
  } else {
    return std::numeric_limits<A>::max();
  }
}

template <typename A>
struct SumOp {
  __device__ static A Init() { return A(0); }
  __device__ static A Step(A acc, A x) { return acc + x; }
  __device__ static A Merge(A a, A b) { return a + b; }
  __device__ static A Finish(A acc, int64_t) { return acc; }
};
template <typename A>
struct MeanOp : SumOp<A> {
  // n == 0 (an empty reduced dim) gives 0 / 0 = NaN, as on the CPU.
  __device__ static A Finish(A acc, int64_t n) { return acc / static_cast<A>(n); }
};
template <typename A>
struct SumSquareOp : SumOp<A> {
  __device__ static A Step(A acc, A x) { return acc + x * x; }
};
template <typename A>
struct L2Op : SumSquareOp<A> {
  __device__ static A Finish(A acc, int64_t) { return sqrt(acc); }
};
template <typename A>
struct L1Op : SumOp<A> {
  __device__ static A Step(A acc, A x) { return acc + (x < A(0) ? -x : x); }
};
template <typename A>
struct ProdOp {
  __device__ static A Init() { return A(1); }
  __device__ static A Step(A acc, A x) { return acc * x; }
  __device__ static A Merge(A a, A b) { return a * b; }
  __device__ static A Finish(A acc, int64_t) { return acc; }
};
// ReduceMax / ReduceMin as the CPU computes them: a NaN never compares greater (or less), so NaNs are
// skipped, whatever the order the elements are folded in.
template <typename A>
struct MaxOp {
  __device__ static A Init() { return LowestValue<A>(); }
  __device__ static A Step(A acc, A x) { return x > acc ? x : acc; }
  __device__ static A Merge(A a, A b) { return Step(a, b); }
  __device__ static A Finish(A acc, int64_t) { return acc; }
};
template <typename A>
struct MinOp {
  __device__ static A Init() { return HighestValue<A>(); }
  __device__ static A Step(A acc, A x) { return x < acc ? x : acc; }
  __device__ static A Merge(A a, A b) { return Step(a, b); }
  __device__ static A Finish(A acc, int64_t) { return acc; }
};
// The pools' maximum (MaxPool, GlobalMaxPool): a NaN wins, as in PyTorch and the CPU pools.
template <typename A>
struct NanMaxOp {
  __device__ static A Init() { return LowestValue<A>(); }
  __device__ static A Step(A acc, A x) { return IsNan(x) ? x : (acc < x ? x : acc); }
  __device__ static A Merge(A a, A b) { return Step(a, b); }
  __device__ static A Finish(A acc, int64_t) { return acc; }
};

// Every lane of the (full) warp gets the merge of all 32 lanes' values.
template <typename Op, typename A>
__device__ __forceinline__ A WarpAllReduce(A v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v = Op::Merge(v, __shfl_xor_sync(kFullWarp, v, offset));
  return v;
}

// Every thread of a 1-D block (a multiple of 32 threads, all of them calling) gets the merge of all threads'
// values. Safe to call repeatedly: the leading barrier keeps a call from overwriting partial results the
// previous call is still reading.
template <typename Op, typename A>
__device__ __forceinline__ A BlockAllReduce(A v) {
  __shared__ A partial[32];
  v = WarpAllReduce<Op>(v);
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int warps = static_cast<int>(blockDim.x + 31) / 32;
  v = lane < warps ? partial[lane] : Op::Init();
  return WarpAllReduce<Op>(v);
}

__device__ __forceinline__ float WarpSum(float v) {
  return WarpAllReduce<SumOp<float>>(v);
}
__device__ __forceinline__ float BlockSum(float v) {
  return BlockAllReduce<SumOp<float>>(v);
}

// Threads for a block that strides over `n` elements with `per_thread` each: a multiple of 32 in
// [32, max_threads].
inline int ThreadsToCover(int64_t n, int per_thread, int max_threads) {
  const int64_t warps = (n + 32LL * per_thread - 1) / (32LL * per_thread);
  const int64_t threads = warps * 32;
  return static_cast<int>(threads < 32 ? 32 : (threads > max_threads ? max_threads : threads));
}

}  // namespace missile::ops::cuda
