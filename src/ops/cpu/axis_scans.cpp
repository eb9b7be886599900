// CPU kernels of the scans along one axis: CumSum, ArgMax and ArgMin, each over the input seen as
// [outer, dim, inner].
#include "ops/axis_geometry.h"
#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/movement.h"

namespace missile::ops::cpu {
namespace {

// CumSum along the axis; each output row is the previous output row plus one input row, so no scratch is
// needed.
template <typename T>
class CumSumKernel final : public Kernel {
 public:
  explicit CumSumKernel(const CumSumGeometry& g) : g_(g) {}
  Status Run(const KernelArgs& args) const override {
    const T* in = static_cast<const T*>(args.inputs[0]);
    T* out = static_cast<T*>(args.outputs[0]);
    const int64_t block = g_.view.dim * g_.view.inner;
    ParallelFor(g_.view.outer, MinChunk(block * static_cast<int64_t>(sizeof(T))),
                [&](int64_t begin, int64_t end) {
                  for (int64_t o = begin; o < end; ++o) Scan(in + o * block, out + o * block);
                });
    return Status::Ok();
  }

 private:
  // One [dim, inner] block: `inner` independent sums, advanced together one row at a time.
  void Scan(const T* in, T* out) const {
    const int64_t dim = g_.view.dim, inner = g_.view.inner;
    if (dim == 0) return;
    const int64_t first = g_.reverse ? dim - 1 : 0;
    const int64_t direction = g_.reverse ? -1 : 1;
    for (int64_t j = 0; j < inner; ++j) out[first * inner + j] = g_.exclusive ? T(0) : in[first * inner + j];
    for (int64_t step = 1; step < dim; ++step) {
      const int64_t l = first + step * direction;
      const int64_t previous = l - direction;
      // Exclusive sums stop one row short: they add the previous input row, not this one.
      const T* src = in + (g_.exclusive ? previous : l) * inner;
      for (int64_t j = 0; j < inner; ++j) out[l * inner + j] = out[previous * inner + j] + src[j];
    }
  }

  CumSumGeometry g_;
};

KernelResult CreateCumSum(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(CumSumGeometry g, CumSumGeometry::From(ctx));
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(),
                            [&](auto tag) { return MakeKernel<CumSumKernel<decltype(tag)>>(g); });
}

// ArgMax / ArgMin: the first (or, with select_last_index, the last) position of the extreme along the axis.
template <typename T, bool kMax>
class ArgReduceKernel final : public Kernel {
 public:
  ArgReduceKernel(AxisView view, bool select_last) : view_(view), select_last_(select_last) {}
  Status Run(const KernelArgs& args) const override {
    const T* in = static_cast<const T*>(args.inputs[0]);
    auto* out = static_cast<int64_t*>(args.outputs[0]);
    const auto [outer, dim, inner] = view_;
    ParallelFor(outer * inner, MinChunk(dim * static_cast<int64_t>(sizeof(T))),
                [&](int64_t begin, int64_t end) {
                  for (int64_t r = begin; r < end; ++r) {
                    out[r] = Position(in + (r / inner) * dim * inner + r % inner);
                  }
                });
    return Status::Ok();
  }

 private:
  // The extreme's position among x[0], x[inner], x[2 * inner], ...
  int64_t Position(const T* x) const {
    T best = x[0];
    int64_t best_index = 0;
    for (int64_t l = 1; l < view_.dim; ++l) {
      const T v = x[l * view_.inner];
      const bool better = kMax ? v > best : v < best;
      if (better || (select_last_ && v == best)) {
        best = v;
        best_index = l;
      }
    }
    return best_index;
  }

  AxisView view_;
  bool select_last_;
};

template <bool kMax>
KernelResult CreateArgReduce(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ArgReduceGeometry g, ArgReduceGeometry::From(ctx));
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(), [&](auto tag) {
    return MakeKernel<ArgReduceKernel<decltype(tag), kMax>>(g.view, g.select_last);
  });
}

const KernelEntry kKernels[] = {
    {"CumSum", CreateCumSum},
    {"ArgMax", CreateArgReduce<true>},
    {"ArgMin", CreateArgReduce<false>},
};

}  // namespace

std::span<const KernelEntry> AxisScanKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
