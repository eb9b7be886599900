// CPU kernels of Pad and Resize. Pad and nearest Resize are one operation, a per-dim index map (each output
// index reads one input index, or the fill); linear Resize blends the two nearest input rows and columns.
#include <array>
#include <cstring>

#include "ops/cpu/copy_kernel.h"
#include "ops/cpu/cpu_kernels.h"
#include "ops/cpu/movement.h"
#include "ops/pad_geometry.h"
#include "ops/resize_geometry.h"

namespace missile::ops::cpu {
namespace {

// ---- Index maps: Pad, nearest Resize ----------------------------------------------------------------------

// out[j_0, ..., j_n] = in[map_0[j_0], ..., map_n[j_n]], or `fill` where any map holds -1: each output dim
// reads its own table of input indices. The longest run of the last dim's map that reads consecutive input
// elements is copied with memcpy (a padded row's interior, an unscaled width).
class IndexMapKernel final : public Kernel {
 public:
  IndexMapKernel(const Shape& in, Shape out, std::vector<std::vector<int64_t>> maps,
                 std::array<std::byte, 8> fill, size_t element_size)
      : out_dims_(std::move(out)),
        in_strides_(ContiguousStrides(in)),
        maps_(std::move(maps)),
        fill_(fill),
        element_size_(element_size) {
    const std::vector<int64_t>& last = maps_.back();
    for (int64_t begin = 0, end = 0; begin < static_cast<int64_t>(last.size()); begin = end) {
      for (end = begin + 1;
           end < static_cast<int64_t>(last.size()) && last[begin] >= 0 && last[end] == last[end - 1] + 1;) {
        ++end;
      }
      if (last[begin] >= 0 && end - begin > run_end_ - run_begin_) {
        run_begin_ = begin;
        run_end_ = end;
      }
    }
  }

  Status Run(const KernelArgs& args) const override {
    const int64_t inner = out_dims_.back();
    const int64_t total = NumElements(out_dims_);
    if (total == 0) return Status::Ok();
    const std::span<const int64_t> outer(out_dims_.data(), out_dims_.size() - 1);
    const std::vector<int64_t>& last = maps_.back();
    VisitElementBits(element_size_, [&](auto tag) {
      using T = decltype(tag);
      T fill;
      std::memcpy(&fill, fill_.data(), sizeof(T));
      const T* in = static_cast<const T*>(args.inputs[0]);
      T* out = static_cast<T*>(args.outputs[0]);
      ParallelFor(total / inner, MinChunk(inner * sizeof(T)), [&](int64_t begin, int64_t end) {
        Odometer index(outer, begin);
        for (int64_t row = begin; row < end; ++row, index.Next()) {
          T* dst = out + row * inner;
          const T* src = RowSource(in, index);
          if (src == nullptr) {
            std::fill(dst, dst + inner, fill);
            continue;
          }
          for (int64_t i = 0; i < run_begin_; ++i) dst[i] = last[i] < 0 ? fill : src[last[i]];
          if (run_end_ > run_begin_) {
            std::memcpy(dst + run_begin_, src + last[run_begin_],
                        static_cast<size_t>(run_end_ - run_begin_) * sizeof(T));
          }
          for (int64_t i = run_end_; i < inner; ++i) dst[i] = last[i] < 0 ? fill : src[last[i]];
        }
      });
    });
    return Status::Ok();
  }

 private:
  // The start of the input row an output row reads (the last dim's map applies within it), or nullptr when
  // the row lies in the fill.
  template <typename T>
  const T* RowSource(const T* in, const Odometer& index) const {
    for (size_t d = 0; d + 1 < out_dims_.size(); ++d) {
      const int64_t source = maps_[d][index[d]];
      if (source < 0) return nullptr;
      in += source * in_strides_[d];
    }
    return in;
  }

  Shape out_dims_;
  std::vector<int64_t> in_strides_;
  std::vector<std::vector<int64_t>> maps_;
  std::array<std::byte, 8> fill_;
  size_t element_size_;
  int64_t run_begin_ = 0, run_end_ = 0;
};

// An index-map kernel whose map along dim d sends output index j to source(d, j). A scalar has no dims to
// map: it is copied.
template <typename Source>
KernelResult MakeIndexMap(const NodeContext& ctx, const Shape& in, const Shape& out, Source source,
                          std::array<std::byte, 8> fill) {
  if (in.empty()) return MakeCopyKernel(ctx.output(0).nbytes());
  MISSILE_RETURN_IF_ERROR(CheckDims(in.size()));
  std::vector<std::vector<int64_t>> maps(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    for (int64_t j = 0; j < out[d]; ++j) maps[d].push_back(source(d, j));
  }
  return MakeKernel<IndexMapKernel>(in, out, std::move(maps), fill, DataTypeSize(ctx.input_dtype(0)));
}

KernelResult CreatePad(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(PadGeometry g, PadGeometry::From(ctx));
  return MakeIndexMap(
      ctx, g.input, g.output, [&](size_t d, int64_t j) { return g.SourceIndex(d, j); }, g.fill);
}

// ---- Linear Resize ----------------------------------------------------------------------------------------

// Bilinear interpolation over the last two dims of a float32 tensor, the leading dims being planes.
class ResizeLinearKernel final : public Kernel {
 public:
  // Per output coordinate of one axis: the two input indices it blends and the weight of the second.
  struct Taps {
    std::vector<int64_t> lo, hi;
    std::vector<float> weight;
  };

  ResizeLinearKernel(int64_t planes, int64_t in_h, int64_t in_w, Taps rows, Taps cols)
      : planes_(planes), in_h_(in_h), in_w_(in_w), rows_(std::move(rows)), cols_(std::move(cols)) {}

  static Taps AxisTaps(const ResizeGeometry& g, size_t d) {
    const int64_t in_len = g.input[d];
    Taps taps;
    for (int64_t j = 0; j < g.output[d]; ++j) {
      // Outside the input the nearest edge element is used, as onnxruntime and PyTorch do.
      const float x = std::clamp(g.InputCoordinate(d, j), 0.0f, static_cast<float>(in_len - 1));
      const int64_t lo = std::min(static_cast<int64_t>(x), in_len - 1);
      taps.lo.push_back(lo);
      taps.hi.push_back(std::min(lo + 1, in_len - 1));
      taps.weight.push_back(x - static_cast<float>(lo));
    }
    return taps;
  }

  Status Run(const KernelArgs& args) const override {
    const auto* in = static_cast<const float*>(args.inputs[0]);
    auto* out = static_cast<float*>(args.outputs[0]);
    const int64_t out_h = static_cast<int64_t>(rows_.lo.size());
    const int64_t out_w = static_cast<int64_t>(cols_.lo.size());
    ParallelFor(planes_ * out_h, MinChunk(out_w * 4), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t plane = r / out_h, y = r % out_h;
        const float* top = in + (plane * in_h_ + rows_.lo[y]) * in_w_;
        const float* bottom = in + (plane * in_h_ + rows_.hi[y]) * in_w_;
        const float wy = rows_.weight[y];
        float* dst = out + r * out_w;
        for (int64_t x = 0; x < out_w; ++x) {
          const int64_t lo = cols_.lo[x], hi = cols_.hi[x];
          const float wx = cols_.weight[x];
          const float t = top[lo] + (top[hi] - top[lo]) * wx;
          const float b = bottom[lo] + (bottom[hi] - bottom[lo]) * wx;
          dst[x] = t + (b - t) * wy;
        }
      }
    });
    return Status::Ok();
  }

 private:
  int64_t planes_, in_h_, in_w_;
  Taps rows_, cols_;
};

KernelResult CreateResize(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(ResizeGeometry g, ResizeGeometry::From(ctx));
  if (g.mode == ResizeGeometry::Mode::kNearest) {
    return MakeIndexMap(
        ctx, g.input, g.output, [&](size_t d, int64_t j) { return g.NearestIndex(d, j); },
        std::array<std::byte, 8>{});
  }
  if (ctx.input_dtype(0) != DataType::kFloat32) {
    return Error(ErrorCode::kUnimplemented, "linear Resize on {} is not supported on the CPU",
                 DataTypeName(ctx.input_dtype(0)));
  }
  const size_t h = g.input.size() - 2, w = g.input.size() - 1;
  return MakeKernel<ResizeLinearKernel>(DimProduct(g.input, 0, h), g.input[h], g.input[w],
                                        ResizeLinearKernel::AxisTaps(g, h),
                                        ResizeLinearKernel::AxisTaps(g, w));
}

const KernelEntry kKernels[] = {
    {"Pad", CreatePad},
    {"Resize", CreateResize},
};

}  // namespace

std::span<const KernelEntry> PadResizeKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
