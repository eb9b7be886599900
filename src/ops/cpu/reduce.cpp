// CPU kernels of the reductions and of Softmax / LogSoftmax.
#include <cmath>
#include <limits>

#include "core/parallel.h"
#include "ops/cpu/copy_kernel.h"
#include "ops/cpu/cpu_kernels.h"
#include "ops/reduce_geometry.h"

namespace missile::ops::cpu {
namespace {

// Input elements per ParallelFor chunk at least: below that, waking the pool costs more than it saves.
constexpr int64_t kMinParallelElements = 1 << 15;

// ---- Reductions -------------------------------------------------------------------------------------------

// A reduction: Step folds one element into an accumulator, Merge joins two partial accumulators, Finish turns
// the accumulator of n elements into the result.
template <typename T>
struct SumOp {
  static T Init() { return T(0); }
  static T Step(T acc, T x) { return acc + x; }
  static T Merge(T a, T b) { return a + b; }
  static T Finish(T acc, int64_t) { return acc; }
};
template <typename T>
struct MeanOp : SumOp<T> {
  static T Finish(T acc, int64_t n) { return acc / static_cast<T>(n); }
};
template <typename T>
struct SumSquareOp : SumOp<T> {
  static T Step(T acc, T x) { return acc + x * x; }
};
template <typename T>
struct L2Op : SumSquareOp<T> {
  static T Finish(T acc, int64_t) { return std::sqrt(acc); }
};
template <typename T>
struct L1Op : SumOp<T> {
  static T Step(T acc, T x) { return acc + std::abs(x); }
};
template <typename T>
struct ProdOp {
  static T Init() { return T(1); }
  static T Step(T acc, T x) { return acc * x; }
  static T Merge(T a, T b) { return a * b; }
  static T Finish(T acc, int64_t) { return acc; }
};
// The identities of Max and Min: infinities for floats (so an all -inf input reduces to -inf), else the
// limits.
template <typename T>
constexpr T Lowest() {
  return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                              : std::numeric_limits<T>::lowest();
}
template <typename T>
constexpr T Highest() {
  return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                              : std::numeric_limits<T>::max();
}

template <typename T>
struct MaxOp {
  static T Init() { return Lowest<T>(); }
  static T Step(T acc, T x) { return x > acc ? x : acc; }
  static T Merge(T a, T b) { return Step(a, b); }
  static T Finish(T acc, int64_t) { return acc; }
};
template <typename T>
struct MinOp {
  static T Init() { return Highest<T>(); }
  static T Step(T acc, T x) { return x < acc ? x : acc; }
  static T Merge(T a, T b) { return Step(a, b); }
  static T Finish(T acc, int64_t) { return acc; }
};

// Folds n contiguous elements into acc. Eight independent partial accumulators let the compiler vectorize
// without reassociating floating-point math itself, and shorten the chain of roundings in long float sums.
template <typename Op, typename T>
T FoldRun(T acc, const T* x, int64_t n) {
  T lanes[8];
  std::fill(lanes, lanes + 8, Op::Init());
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) lanes[k] = Op::Step(lanes[k], x[i + k]);
  }
  for (; i < n; ++i) acc = Op::Step(acc, x[i]);
  for (int k = 0; k < 8; ++k) acc = Op::Merge(acc, lanes[k]);
  return acc;
}

// Dims of one kind (kept or reduced) after merging: sizes and input strides.
struct DimGroup {
  std::vector<int64_t> sizes, strides;
  int64_t count() const { return NumElements(sizes); }
  // Input offset of the position-th element of this group, in row-major order.
  int64_t Offset(int64_t position) const {
    int64_t offset = 0;
    for (size_t d = sizes.size(); d-- > 0;) {
      offset += (position % sizes[d]) * strides[d];
      position /= sizes[d];
    }
    return offset;
  }
};

// The input's dims split into kept and reduced groups; adjacent dims of one kind merge, size-1 dims vanish.
// The innermost input dim decides the loop: when reduced, each result folds contiguous runs (FoldRun); when
// kept, each output row accumulates whole contiguous input rows.
struct ReduceLayout {
  DimGroup kept, reduced;
  bool inner_reduced = true;
  int64_t inner = 1;  // the innermost merged dim's size (a run of input elements)

  ReduceLayout(const Shape& shape, const std::vector<bool>& is_reduced) {
    const std::vector<int64_t> strides = ContiguousStrides(shape);
    DimGroup* last = nullptr;  // the group of the previous dim that counts
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;
      DimGroup& group = is_reduced[d] ? reduced : kept;
      if (last == &group) {  // adjacent to the previous dim of its kind: one contiguous dim
        group.sizes.back() *= shape[d];
        group.strides.back() = strides[d];
      } else {
        group.sizes.push_back(shape[d]);
        group.strides.push_back(strides[d]);
      }
      last = &group;
    }
    if (last == nullptr) return;  // every dim has size 1: one element per result
    inner_reduced = last == &reduced;
    DimGroup& inner_group = *last;
    inner = inner_group.sizes.back();
    inner_group.sizes.pop_back();
    inner_group.strides.pop_back();
  }
};

template <typename T, typename Op>
class ReduceKernel final : public Kernel {
 public:
  ReduceKernel(ReduceLayout layout, int64_t count) : layout_(std::move(layout)), count_(count) {}

  Status Run(const KernelArgs& args) const override {
    const T* in = static_cast<const T*>(args.inputs[0]);
    T* out = static_cast<T*>(args.outputs[0]);
    if (layout_.inner_reduced) {
      ReduceInnerRuns(in, out);
    } else {
      ReduceRows(in, out);
    }
    return Status::Ok();
  }

 private:
  // Each result folds reduced.count() runs of `inner` contiguous elements (softmax-like rows, global
  // pooling).
  void ReduceInnerRuns(const T* in, T* out) const {
    const int64_t results = layout_.kept.count();
    const int64_t runs = layout_.reduced.count();
    const int64_t min_results = std::max<int64_t>(1, kMinParallelElements / std::max<int64_t>(count_, 1));
    ParallelFor(results, min_results, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const T* base = in + layout_.kept.Offset(r);
        T acc = Op::Init();
        for (int64_t run = 0; run < runs; ++run) {
          acc = FoldRun<Op>(acc, base + layout_.reduced.Offset(run), layout_.inner);
        }
        out[r] = Op::Finish(acc, count_);
      }
    });
  }

  // Each output row of `inner` results accumulates reduced.count() contiguous input rows, in place.
  void ReduceRows(const T* in, T* out) const {
    const int64_t rows = layout_.kept.count();
    const int64_t inner = layout_.inner;
    const int64_t reduced_rows = layout_.reduced.count();
    const int64_t min_rows =
        std::max<int64_t>(1, kMinParallelElements / std::max<int64_t>(count_ * inner, 1));
    ParallelFor(rows, min_rows, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const T* base = in + layout_.kept.Offset(r);
        T* dst = out + r * inner;
        std::fill(dst, dst + inner, Op::Init());
        for (int64_t k = 0; k < reduced_rows; ++k) {
          const T* src = base + layout_.reduced.Offset(k);
          for (int64_t j = 0; j < inner; ++j) dst[j] = Op::Step(dst[j], src[j]);
        }
        for (int64_t j = 0; j < inner; ++j) dst[j] = Op::Finish(dst[j], count_);
      }
    });
  }

  ReduceLayout layout_;
  int64_t count_;  // input elements per result
};

template <template <typename> class Op, bool kFloatOnly>
KernelResult CreateReduce(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ReduceGeometry g, ReduceGeometry::From(ctx));
  if (g.noop) return MakeCopyKernel(ctx.output(0).nbytes());
  ReduceLayout layout(ctx.input_shape(0), g.reduced);
  auto make = [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    return MakeKernel<ReduceKernel<T, Op<T>>>(std::move(layout), g.reduced_elements);
  };
  const DataType dtype = ctx.input_dtype(0);
  if (dtype == DataType::kFloat32) return make(float{});
  if (!kFloatOnly && dtype == DataType::kInt64) return make(int64_t{});
  if (!kFloatOnly && dtype == DataType::kInt32) return make(int32_t{});
  return Error(ErrorCode::kUnimplemented, "{} on {} is not supported on the CPU", ctx.op_type(),
               DataTypeName(dtype));
}

// ---- Softmax ----------------------------------------------------------------------------------------------

// Softmax / LogSoftmax along one axis of a float32 tensor viewed as [outer, dim, inner].
template <bool kLog>
class SoftmaxKernel final : public Kernel {
 public:
  explicit SoftmaxKernel(AxisView view) : outer_(view.outer), dim_(view.dim), inner_(view.inner) {}

  Status Run(const KernelArgs& args) const override {
    const auto* in = static_cast<const float*>(args.inputs[0]);
    auto* out = static_cast<float*>(args.outputs[0]);
    const int64_t min_outer =
        std::max<int64_t>(1, kMinParallelElements / std::max<int64_t>(dim_ * inner_, 1));
    ParallelFor(outer_, min_outer, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) {
        const float* x = in + o * dim_ * inner_;
        float* y = out + o * dim_ * inner_;
        if (inner_ == 1) {
          Row(x, y);
        } else {
          for (int64_t j = 0; j < inner_; j += kLanes) Lanes(x + j, y + j, std::min(kLanes, inner_ - j));
        }
      }
    });
    return Status::Ok();
  }

 private:
  // The common case (the last axis): one contiguous row. Subtracting the max keeps exp from overflowing.
  void Row(const float* x, float* y) const {
    const float max = FoldRun<MaxOp<float>>(MaxOp<float>::Init(), x, dim_);
    float sum = 0.0f;
    for (int64_t i = 0; i < dim_; ++i) {
      y[i] = std::exp(x[i] - max);
      sum += y[i];
    }
    if constexpr (kLog) {
      const float shift = max + std::log(sum);
      for (int64_t i = 0; i < dim_; ++i) y[i] = x[i] - shift;
    } else {
      const float scale = 1.0f / sum;
      for (int64_t i = 0; i < dim_; ++i) y[i] *= scale;
    }
  }

  // Another axis: `lanes` (<= kLanes) neighbouring softmaxes, each strided by inner, processed side by side
  // so every pass reads contiguous memory; their running max and sum live on the stack.
  void Lanes(const float* x, float* y, int64_t lanes) const {
    float max[kLanes], sum[kLanes];
    std::fill(max, max + lanes, -std::numeric_limits<float>::infinity());
    std::fill(sum, sum + lanes, 0.0f);
    for (int64_t i = 0; i < dim_; ++i) {
      for (int64_t j = 0; j < lanes; ++j) max[j] = std::max(max[j], x[i * inner_ + j]);
    }
    for (int64_t i = 0; i < dim_; ++i) {
      for (int64_t j = 0; j < lanes; ++j) {
        const float e = std::exp(x[i * inner_ + j] - max[j]);
        if constexpr (!kLog) y[i * inner_ + j] = e;
        sum[j] += e;
      }
    }
    for (int64_t j = 0; j < lanes; ++j) {
      sum[j] = kLog ? max[j] + std::log(sum[j]) : 1.0f / sum[j];  // the shift to subtract, or the scale
    }
    for (int64_t i = 0; i < dim_; ++i) {
      for (int64_t j = 0; j < lanes; ++j) {
        float& v = y[i * inner_ + j];
        v = kLog ? x[i * inner_ + j] - sum[j] : v * sum[j];
      }
    }
  }

  static constexpr int64_t kLanes = 64;
  int64_t outer_, dim_, inner_;
};

template <bool kLog>
KernelResult CreateSoftmax(const NodeContext& ctx) {
  if (ctx.input_dtype(0) != DataType::kFloat32) {
    return Error(ErrorCode::kUnimplemented, "{} on {} is not supported on the CPU", ctx.op_type(),
                 DataTypeName(ctx.input_dtype(0)));
  }
  MISSILE_ASSIGN_OR_RETURN(SoftmaxGeometry g, SoftmaxGeometry::From(ctx));
  return MakeKernel<SoftmaxKernel<kLog>>(g.view);
}

const KernelEntry kKernels[] = {
    {"ReduceSum", CreateReduce<SumOp, false>},   {"ReduceMean", CreateReduce<MeanOp, true>},
    {"ReduceMax", CreateReduce<MaxOp, false>},   {"ReduceMin", CreateReduce<MinOp, false>},
    {"ReduceProd", CreateReduce<ProdOp, false>}, {"ReduceSumSquare", CreateReduce<SumSquareOp, true>},
    {"ReduceL2", CreateReduce<L2Op, true>},      {"ReduceL1", CreateReduce<L1Op, true>},
    {"Softmax", CreateSoftmax<false>},           {"LogSoftmax", CreateSoftmax<true>},
};

}  // namespace

std::span<const KernelEntry> ReduceKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
