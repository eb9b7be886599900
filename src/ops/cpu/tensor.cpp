// CPU kernels of the data-movement and shape operators.
//
// Most of them move elements without looking at them, so they are written once over the element's size and
// serve every dtype: shape sub-graphs (Shape -> Gather -> Concat -> Reshape) fold at load through these same
// kernels in int64. Transpose, Slice, Expand and Tile are all one operation, a strided view of the input
// copied into a contiguous output; Pad and nearest Resize are another, a per-dim index map.
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/parallel.h"
#include "ops/cpu/copy_kernel.h"
#include "ops/cpu/cpu_kernels.h"
#include "ops/op_schema.h"

namespace missile::ops::cpu {
namespace {

// Below this much data a loop runs on the calling thread: waking the pool costs more than it saves.
constexpr int64_t kMinParallelBytes = int64_t{1} << 17;
// Dims a kernel walks with an odometer (after merging the dims a view keeps contiguous).
constexpr size_t kMaxDims = 16;

using KernelResult = Result<std::unique_ptr<Kernel>>;

template <typename K, typename... Args>
KernelResult Make(Args&&... args) {
  return std::unique_ptr<Kernel>(new K(std::forward<Args>(args)...));
}

// A constant int operand, or `fallback` when the optional input is omitted.
Result<std::vector<int64_t>> OptionalInts(const NodeContext& ctx, size_t i, std::vector<int64_t> fallback) {
  if (!ctx.has_input(i)) return fallback;
  return ctx.ConstantInts(i);
}

// Calls fn(T{}) with T an unsigned integer as wide as one element: movement kernels copy bits, not values.
template <typename Fn>
void VisitElementBits(size_t element_size, Fn&& fn) {
  switch (element_size) {
    case 1:
      fn(uint8_t{});
      return;
    case 2:
      fn(uint16_t{});
      return;
    case 4:
      fn(uint32_t{});
      return;
    default:
      fn(uint64_t{});
      return;
  }
}

// Rows (or other units) per ParallelFor chunk, so that each chunk moves at least kMinParallelBytes.
int64_t MinChunk(int64_t unit_bytes) {
  return std::max<int64_t>(1, kMinParallelBytes / std::max<int64_t>(unit_bytes, 1));
}

void ParallelCopy(std::byte* dst, const std::byte* src, int64_t bytes) {
  ParallelFor(bytes, kMinParallelBytes, [&](int64_t begin, int64_t end) {
    std::memcpy(dst + begin, src + begin, static_cast<size_t>(end - begin));
  });
}

Status CheckDims(size_t dims) {
  if (dims > kMaxDims) {
    return Error(ErrorCode::kUnimplemented, "tensors of more than {} dims are not supported", kMaxDims);
  }
  return Status::Ok();
}

// A multi-index over `dims` that starts at a linear position and steps in row-major order.
class Odometer {
 public:
  Odometer(std::span<const int64_t> dims, int64_t position) : dims_(dims) {
    for (size_t d = dims.size(); d-- > 0;) {
      index_[d] = position % dims[d];
      position /= dims[d];
    }
  }
  int64_t operator[](size_t d) const { return index_[d]; }
  void Next() {
    for (size_t d = dims_.size(); d-- > 0;) {
      if (++index_[d] < dims_[d]) return;
      index_[d] = 0;
    }
  }

 private:
  std::span<const int64_t> dims_;
  std::array<int64_t, kMaxDims> index_{};
};

// ---- Strided views: Transpose, Slice, Expand, Tile --------------------------------------------------------

// out[i_0, ..., i_n] = in[offset + sum_d i_d * strides[d]] into a contiguous output of `shape`; strides are
// in elements and may be 0 (broadcast) or negative (reversed slices). Dims the view keeps contiguous are
// merged at build time, so Run copies the longest runs it can: memcpy when the innermost run is contiguous in
// the input too.
class StridedCopyKernel final : public Kernel {
 public:
  StridedCopyKernel(std::span<const int64_t> shape, std::span<const int64_t> strides, int64_t offset,
                    size_t element_size)
      : total_(NumElements(shape)), offset_(offset), element_size_(element_size) {
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;  // a size-1 dim moves nothing
      if (!dims_.empty() && strides_.back() == strides[d] * shape[d]) {
        dims_.back() *= shape[d];
        strides_.back() = strides[d];
      } else {
        dims_.push_back(shape[d]);
        strides_.push_back(strides[d]);
      }
    }
    if (dims_.empty()) {
      dims_ = {1};
      strides_ = {0};
    }
    inner_ = dims_.back();
    inner_stride_ = strides_.back();
    dims_.pop_back();  // the outer dims, walked row by row
    strides_.pop_back();
  }

  size_t rank() const { return dims_.size() + 1; }

  Status Run(const KernelArgs& args) const override {
    if (total_ == 0) return Status::Ok();
    VisitElementBits(element_size_, [&](auto tag) {
      using T = decltype(tag);
      const T* in = static_cast<const T*>(args.inputs[0]) + offset_;
      T* out = static_cast<T*>(args.outputs[0]);
      ParallelFor(total_ / inner_, MinChunk(inner_ * sizeof(T)), [&](int64_t begin, int64_t end) {
        Odometer index(dims_, begin);
        for (int64_t row = begin; row < end; ++row, index.Next()) {
          const T* src = in;
          for (size_t d = 0; d < dims_.size(); ++d) src += index[d] * strides_[d];
          T* dst = out + row * inner_;
          if (inner_stride_ == 1) {
            std::memcpy(dst, src, static_cast<size_t>(inner_) * sizeof(T));
          } else {
            for (int64_t i = 0; i < inner_; ++i) dst[i] = src[i * inner_stride_];
          }
        }
      });
    });
    return Status::Ok();
  }

 private:
  int64_t total_;
  int64_t offset_;
  size_t element_size_;
  std::vector<int64_t> dims_, strides_;
  int64_t inner_ = 1, inner_stride_ = 0;
};

KernelResult MakeStridedCopy(const NodeContext& ctx, std::span<const int64_t> shape,
                             std::span<const int64_t> strides, int64_t offset = 0) {
  auto kernel = std::make_unique<StridedCopyKernel>(shape, strides, offset, DataTypeSize(ctx.input_dtype(0)));
  MISSILE_RETURN_IF_ERROR(CheckDims(kernel->rank()));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

KernelResult CreateTranspose(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  std::vector<int64_t> reversed(in.size());
  std::iota(reversed.rbegin(), reversed.rend(), 0);
  const std::vector<int64_t> perm = ctx.attributes().Ints("perm", reversed);
  const std::vector<int64_t> in_strides = ContiguousStrides(in);
  std::vector<int64_t> strides(in.size());
  for (size_t i = 0; i < perm.size(); ++i) strides[i] = in_strides[static_cast<size_t>(perm[i])];
  return MakeStridedCopy(ctx, ctx.output_shape(0), strides);
}

KernelResult CreateSlice(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> starts, ctx.ConstantInts(1));
  std::vector<int64_t> all_axes(starts.size());
  std::iota(all_axes.begin(), all_axes.end(), 0);
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, OptionalInts(ctx, 3, all_axes));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> steps,
                           OptionalInts(ctx, 4, std::vector<int64_t>(starts.size(), 1)));
  std::vector<int64_t> strides = ContiguousStrides(in);
  int64_t offset = 0;
  // The schema validated the operands and sized the output; only the first index and the step are needed
  // here, with the schema's normalization: negative counts from the end, then clamped (to dim - 1 going
  // backward).
  for (size_t i = 0; i < starts.size(); ++i) {
    MISSILE_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axes[i], in.size()));
    const int64_t dim = in[axis];
    const int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    const int64_t last = steps[i] > 0 ? dim : dim - 1;
    offset += std::clamp<int64_t>(start, 0, std::max<int64_t>(last, 0)) * strides[axis];
    strides[axis] *= steps[i];
  }
  return MakeStridedCopy(ctx, ctx.output_shape(0), strides, offset);
}

KernelResult CreateExpand(const NodeContext& ctx) {
  const Shape& out = ctx.output_shape(0);
  // The input's dims aligned to the output's trailing dims; broadcast dims read one element over and over.
  Shape in(out.size() - ctx.input_shape(0).size(), 1);
  in.insert(in.end(), ctx.input_shape(0).begin(), ctx.input_shape(0).end());
  std::vector<int64_t> strides = ContiguousStrides(in);
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] == 1) strides[d] = 0;
  }
  return MakeStridedCopy(ctx, out, strides);
}

KernelResult CreateTile(const NodeContext& ctx) {
  // Output dim d of size repeats * dim is, in row-major order, a [repeats, dim] pair: the repeat index reads
  // with stride 0. So Tile is a strided view of shape [r0, d0, r1, d1, ...].
  const Shape& in = ctx.input_shape(0);
  const Shape& out = ctx.output_shape(0);
  const std::vector<int64_t> in_strides = ContiguousStrides(in);
  Shape shape;
  std::vector<int64_t> strides;
  for (size_t d = 0; d < in.size(); ++d) {
    shape.insert(shape.end(), {in[d] == 0 ? 0 : out[d] / in[d], in[d]});
    strides.insert(strides.end(), {0, in_strides[d]});
  }
  return MakeStridedCopy(ctx, shape, strides);
}

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

// Reflection about the first and last elements (no repeat of the edge), periodic for pads longer than the
// dim, as numpy's 'reflect'.
int64_t Reflect(int64_t i, int64_t dim) {
  if (dim == 1) return 0;
  const int64_t period = 2 * (dim - 1);
  i = ((i % period) + period) % period;
  return i < dim ? i : period - i;
}

KernelResult CreatePad(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const Shape& out = ctx.output_shape(0);
  if (in.empty()) return MakeCopyKernel(ctx.output(0).nbytes());
  MISSILE_RETURN_IF_ERROR(CheckDims(in.size()));
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> pads, ctx.ConstantInts(1));
  const std::string mode = ctx.attributes().String("mode", "constant");
  std::vector<std::vector<int64_t>> maps(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    for (int64_t j = 0; j < out[d]; ++j) {
      const int64_t i = j - pads[d];
      if (i >= 0 && i < in[d]) {
        maps[d].push_back(i);
      } else if (mode == "edge") {
        maps[d].push_back(std::clamp<int64_t>(i, 0, in[d] - 1));
      } else if (mode == "reflect") {
        maps[d].push_back(Reflect(i, in[d]));
      } else {
        maps[d].push_back(-1);
      }
    }
  }
  std::array<std::byte, 8> fill{};
  if (const Tensor* value = ctx.constant_input(2)) {
    ConvertElements(value->dtype(), value->raw_data(), ctx.input_dtype(0), fill.data(), 1);
  }
  return Make<IndexMapKernel>(in, out, std::move(maps), fill, DataTypeSize(ctx.input_dtype(0)));
}

// ---- Resize -----------------------------------------------------------------------------------------------

// Per-dim resize parameters: the factor ONNX's coordinate transforms divide by, given (scales) or derived
// (sizes).
Result<std::vector<float>> ResizeScales(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const Shape& out = ctx.output_shape(0);
  std::vector<float> scales(in.size());
  const Tensor* given = ctx.constant_input(2);
  if (given != nullptr && given->num_elements() > 0) {
    ConvertElements(given->dtype(), given->raw_data(), DataType::kFloat32, scales.data(),
                    given->num_elements());
  } else {
    for (size_t d = 0; d < in.size(); ++d) {
      scales[d] = in[d] == 0 ? 1.0f : static_cast<float>(out[d]) / static_cast<float>(in[d]);
    }
  }
  return scales;
}

// Maps an output coordinate to the input's (coordinate_transformation_mode), in float as onnxruntime does.
class CoordinateTransform {
 public:
  static Result<CoordinateTransform> Parse(const std::string& name) {
    for (Mode mode : {kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn}) {
      if (name == kNames[mode]) return CoordinateTransform(mode);
    }
    return Error(ErrorCode::kUnimplemented, "Resize coordinate_transformation_mode '{}' is not supported",
                 name);
  }

  float operator()(int64_t x, float scale, int64_t in_len, int64_t out_len) const {
    const float xf = static_cast<float>(x);
    switch (mode_) {
      case kHalfPixel:
        return (xf + 0.5f) / scale - 0.5f;
      case kPytorchHalfPixel:
        return out_len > 1 ? (xf + 0.5f) / scale - 0.5f : 0.0f;
      case kAlignCorners:
        return out_len == 1 ? 0.0f : xf * static_cast<float>(in_len - 1) / static_cast<float>(out_len - 1);
      case kAsymmetric:
        return xf / scale;
      case kTfHalfPixelForNn:
        return (xf + 0.5f) / scale;
    }
    return xf;
  }

 private:
  enum Mode { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn };
  static constexpr const char* kNames[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                           "tf_half_pixel_for_nn"};
  explicit CoordinateTransform(Mode mode) : mode_(mode) {}
  Mode mode_;
};

// nearest_mode: how a fractional input coordinate becomes an index.
Result<float (*)(float)> NearestRounding(const std::string& name) {
  if (name == "round_prefer_floor") {
    return +[](float x) { return x == std::floor(x) + 0.5f ? std::floor(x) : std::round(x); };
  }
  // std::round breaks ties away from zero: up for the coordinates >= 0 that matter (negatives clamp to 0).
  if (name == "round_prefer_ceil") return +[](float x) { return std::round(x); };
  if (name == "floor") return +[](float x) { return std::floor(x); };
  if (name == "ceil") return +[](float x) { return std::ceil(x); };
  return Error(ErrorCode::kUnimplemented, "Resize nearest_mode '{}' is not supported", name);
}

KernelResult CreateResizeNearest(const NodeContext& ctx, const CoordinateTransform& transform,
                                 const std::vector<float>& scales) {
  const Shape& in = ctx.input_shape(0);
  const Shape& out = ctx.output_shape(0);
  if (in.empty()) return MakeCopyKernel(ctx.output(0).nbytes());
  MISSILE_RETURN_IF_ERROR(CheckDims(in.size()));
  MISSILE_ASSIGN_OR_RETURN(auto round,
                           NearestRounding(ctx.attributes().String("nearest_mode", "round_prefer_floor")));
  std::vector<std::vector<int64_t>> maps(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    for (int64_t j = 0; j < out[d]; ++j) {
      const float x = round(transform(j, scales[d], in[d], out[d]));
      maps[d].push_back(std::clamp<int64_t>(static_cast<int64_t>(x), 0, in[d] - 1));
    }
  }
  return Make<IndexMapKernel>(in, out, std::move(maps), std::array<std::byte, 8>{},
                              DataTypeSize(ctx.input_dtype(0)));
}

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

  static Taps AxisTaps(const CoordinateTransform& transform, float scale, int64_t in_len, int64_t out_len) {
    Taps taps;
    for (int64_t j = 0; j < out_len; ++j) {
      // Outside the input the nearest edge element is used, as onnxruntime and PyTorch do.
      const float x = std::clamp(transform(j, scale, in_len, out_len), 0.0f, static_cast<float>(in_len - 1));
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
  MISSILE_ASSIGN_OR_RETURN(
      CoordinateTransform transform,
      CoordinateTransform::Parse(ctx.attributes().String("coordinate_transformation_mode", "half_pixel")));
  MISSILE_ASSIGN_OR_RETURN(std::vector<float> scales, ResizeScales(ctx));
  if (ctx.attributes().String("mode", "nearest") == "nearest") {
    return CreateResizeNearest(ctx, transform, scales);
  }
  if (ctx.input_dtype(0) != DataType::kFloat32) {
    return Error(ErrorCode::kUnimplemented, "linear Resize on {} is not supported on the CPU",
                 DataTypeName(ctx.input_dtype(0)));
  }
  const Shape& in = ctx.input_shape(0);
  const Shape& out = ctx.output_shape(0);
  const size_t h = in.size() - 2, w = in.size() - 1;
  return Make<ResizeLinearKernel>(DimProduct(in, 0, h), in[h], in[w],
                                  ResizeLinearKernel::AxisTaps(transform, scales[h], in[h], out[h]),
                                  ResizeLinearKernel::AxisTaps(transform, scales[w], in[w], out[w]));
}

// ---- Concat, Split, Gather, ScatterND ---------------------------------------------------------------------

// Concat and Split see the whole tensor as [outer, dim * inner] rows: along the axis, each part owns one
// contiguous chunk of every row.
struct AxisChunks {
  int64_t outer = 1;
  int64_t row_bytes = 0;
  std::vector<int64_t> bytes;   // per part: its chunk of a row
  std::vector<int64_t> offset;  // per part: where its chunk starts in a row of the whole
};

// `part_dims` are the parts' sizes along the axis.
AxisChunks MakeAxisChunks(const Shape& whole, int axis, std::span<const int64_t> part_dims,
                          size_t element_size) {
  AxisChunks chunks;
  chunks.outer = DimProduct(whole, 0, static_cast<size_t>(axis));
  const int64_t inner_bytes = DimProduct(whole, axis + 1, whole.size()) * static_cast<int64_t>(element_size);
  for (int64_t dim : part_dims) {
    chunks.offset.push_back(chunks.row_bytes);
    chunks.bytes.push_back(dim * inner_bytes);
    chunks.row_bytes += chunks.bytes.back();
  }
  return chunks;
}

// Copies chunk k of row r from src(k, r) to dst(k, r) for every part and row; dst may return nullptr (an
// omitted output of Split). With a single row (DenseNet's channel concat) each part is one big copy, split
// across threads.
template <typename Src, typename Dst>
void CopyChunks(const AxisChunks& chunks, Src src, Dst dst) {
  if (chunks.outer == 1) {
    for (size_t k = 0; k < chunks.bytes.size(); ++k) {
      if (chunks.bytes[k] > 0 && dst(k, 0) != nullptr) ParallelCopy(dst(k, 0), src(k, 0), chunks.bytes[k]);
    }
    return;
  }
  ParallelFor(chunks.outer, MinChunk(chunks.row_bytes), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      for (size_t k = 0; k < chunks.bytes.size(); ++k) {
        if (chunks.bytes[k] > 0 && dst(k, row) != nullptr) {
          std::memcpy(dst(k, row), src(k, row), static_cast<size_t>(chunks.bytes[k]));
        }
      }
    }
  });
}

class ConcatKernel final : public Kernel {
 public:
  explicit ConcatKernel(AxisChunks chunks) : chunks_(std::move(chunks)) {}
  Status Run(const KernelArgs& args) const override {
    auto* out = static_cast<std::byte*>(args.outputs[0]);
    CopyChunks(
        chunks_,
        [&](size_t k, int64_t row) {
          return static_cast<const std::byte*>(args.inputs[k]) + row * chunks_.bytes[k];
        },
        [&](size_t k, int64_t row) { return out + row * chunks_.row_bytes + chunks_.offset[k]; });
    return Status::Ok();
  }

 private:
  AxisChunks chunks_;
};

class SplitKernel final : public Kernel {
 public:
  explicit SplitKernel(AxisChunks chunks) : chunks_(std::move(chunks)) {}
  Status Run(const KernelArgs& args) const override {
    const auto* in = static_cast<const std::byte*>(args.inputs[0]);
    CopyChunks(
        chunks_, [&](size_t k, int64_t row) { return in + row * chunks_.row_bytes + chunks_.offset[k]; },
        [&](size_t k, int64_t row) {
          auto* part = static_cast<std::byte*>(args.outputs[k]);
          return part == nullptr ? nullptr : part + row * chunks_.bytes[k];
        });
    return Status::Ok();
  }

 private:
  AxisChunks chunks_;
};

KernelResult CreateConcat(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(int64_t attr, ctx.attributes().Int("axis"));
  MISSILE_ASSIGN_OR_RETURN(int axis, NormalizeAxis(attr, ctx.output_shape(0).size()));
  std::vector<int64_t> parts;
  for (size_t i = 0; i < ctx.input_count(); ++i) parts.push_back(ctx.input_shape(i)[axis]);
  return Make<ConcatKernel>(
      MakeAxisChunks(ctx.output_shape(0), axis, parts, DataTypeSize(ctx.input_dtype(0))));
}

KernelResult CreateSplit(const NodeContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.attributes().Int("axis", 0), in.size()));
  // The sizes come from the operands as the schema read them, not from the output shapes: an omitted output
  // has none.
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> parts, OptionalInts(ctx, 1, {}));
  if (parts.empty()) parts.assign(ctx.output_count(), in[axis] / static_cast<int64_t>(ctx.output_count()));
  return Make<SplitKernel>(MakeAxisChunks(in, axis, parts, DataTypeSize(ctx.input_dtype(0))));
}

// Reads indices of either integer type as int64.
template <typename Index>
int64_t IndexAt(const void* indices, int64_t i) {
  return static_cast<int64_t>(static_cast<const Index*>(indices)[i]);
}

// Gather: data viewed as [outer, dim, inner]; each index picks one inner block per outer row.
template <typename Index>
class GatherKernel final : public Kernel {
 public:
  GatherKernel(int64_t outer, int64_t dim, int64_t count, int64_t inner_bytes, int axis)
      : outer_(outer), dim_(dim), count_(count), inner_bytes_(inner_bytes), axis_(axis) {}

  Status Run(const KernelArgs& args) const override {
    // Indices come from the request (token ids): check them all before moving anything.
    for (int64_t i = 0; i < count_; ++i) {
      const int64_t index = IndexAt<Index>(args.inputs[1], i);
      if (index < -dim_ || index >= dim_) {
        return Error(ErrorCode::kInvalidArgument,
                     "Gather index {} (position {} of the indices) is out of range [{}, {}) for axis {}",
                     index, i, -dim_, dim_, axis_);
      }
    }
    const auto* data = static_cast<const std::byte*>(args.inputs[0]);
    auto* out = static_cast<std::byte*>(args.outputs[0]);
    ParallelFor(outer_ * count_, MinChunk(inner_bytes_), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t o = r / count_;
        int64_t index = IndexAt<Index>(args.inputs[1], r % count_);
        if (index < 0) index += dim_;
        std::memcpy(out + r * inner_bytes_, data + (o * dim_ + index) * inner_bytes_,
                    static_cast<size_t>(inner_bytes_));
      }
    });
    return Status::Ok();
  }

 private:
  int64_t outer_, dim_, count_, inner_bytes_;
  int axis_;
};

KernelResult CreateGather(const NodeContext& ctx) {
  const Shape& data = ctx.input_shape(0);
  MISSILE_ASSIGN_OR_RETURN(int axis, NormalizeAxis(ctx.attributes().Int("axis", 0), data.size()));
  const int64_t outer = DimProduct(data, 0, static_cast<size_t>(axis));
  const int64_t inner_bytes =
      DimProduct(data, axis + 1, data.size()) * static_cast<int64_t>(DataTypeSize(ctx.input_dtype(0)));
  const int64_t count = NumElements(ctx.input_shape(1));
  if (ctx.input_dtype(1) == DataType::kInt32) {
    return Make<GatherKernel<int32_t>>(outer, data[axis], count, inner_bytes, axis);
  }
  return Make<GatherKernel<int64_t>>(outer, data[axis], count, inner_bytes, axis);
}

// ScatterND: a copy of data with the slices the index tuples name overwritten (or combined) with updates.
template <typename T>
class ScatterNDKernel final : public Kernel {
 public:
  enum class Reduction { kNone, kAdd, kMul };
  ScatterNDKernel(Shape data, int64_t tuples, int64_t depth, Reduction reduction)
      : data_(std::move(data)),
        strides_(ContiguousStrides(data_)),
        tuples_(tuples),
        depth_(depth),
        slice_(DimProduct(data_, static_cast<size_t>(depth), data_.size())),
        reduction_(reduction) {}

  Status Run(const KernelArgs& args) const override {
    const T* data = static_cast<const T*>(args.inputs[0]);
    const auto* indices = static_cast<const int64_t*>(args.inputs[1]);
    const T* updates = static_cast<const T*>(args.inputs[2]);
    T* out = static_cast<T*>(args.outputs[0]);
    if (out != data) {
      ParallelCopy(reinterpret_cast<std::byte*>(out), reinterpret_cast<const std::byte*>(data),
                   NumElements(data_) * static_cast<int64_t>(sizeof(T)));
    }
    // Sequential: later tuples win (or accumulate) over earlier ones naming the same slice.
    for (int64_t t = 0; t < tuples_; ++t) {
      int64_t offset = 0;
      for (int64_t k = 0; k < depth_; ++k) {
        int64_t index = indices[t * depth_ + k];
        const int64_t dim = data_[static_cast<size_t>(k)];
        if (index < -dim || index >= dim) {
          return Error(ErrorCode::kInvalidArgument,
                       "ScatterND index {} (tuple {}, element {}) is out of range [{}, {})", index, t, k,
                       -dim, dim);
        }
        offset += (index < 0 ? index + dim : index) * strides_[static_cast<size_t>(k)];
      }
      T* dst = out + offset;
      const T* src = updates + t * slice_;
      switch (reduction_) {
        case Reduction::kNone:
          std::copy(src, src + slice_, dst);
          break;
        case Reduction::kAdd:
          for (int64_t i = 0; i < slice_; ++i) dst[i] += src[i];
          break;
        case Reduction::kMul:
          for (int64_t i = 0; i < slice_; ++i) dst[i] *= src[i];
          break;
      }
    }
    return Status::Ok();
  }

 private:
  Shape data_;
  std::vector<int64_t> strides_;
  int64_t tuples_, depth_, slice_;
  Reduction reduction_;
};

KernelResult CreateScatterND(const NodeContext& ctx) {
  const Shape& indices = ctx.input_shape(1);
  const int64_t depth = indices.back();
  const int64_t tuples = DimProduct(indices, 0, indices.size() - 1);
  const std::string name = ctx.attributes().String("reduction", "none");
  auto make = [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    using Reduction = typename ScatterNDKernel<T>::Reduction;
    const Reduction reduction = name == "add"   ? Reduction::kAdd
                                : name == "mul" ? Reduction::kMul
                                                : Reduction::kNone;
    return Make<ScatterNDKernel<T>>(ctx.input_shape(0), tuples, depth, reduction);
  };
  switch (ctx.input_dtype(0)) {
    case DataType::kFloat32:
      return make(float{});
    case DataType::kFloat64:
      return make(double{});
    case DataType::kInt64:
      return make(int64_t{});
    case DataType::kInt32:
      return make(int32_t{});
    default:
      if (name != "none") {
        return Error(ErrorCode::kUnimplemented, "ScatterND reduction '{}' on {} is not supported", name,
                     DataTypeName(ctx.input_dtype(0)));
      }
      // Without a reduction only bits move (bool, int8, uint8, float16): any type of the same width will do.
      if (DataTypeSize(ctx.input_dtype(0)) == 1) return make(uint8_t{});
      return make(uint16_t{});
  }
}

// ---- Generators and folded values -------------------------------------------------------------------------

// Shape, Size and Constant: the schema's value, written out. Their results are folded at load, so this only
// runs when a graph is executed without folding.
class ValueKernel final : public Kernel {
 public:
  explicit ValueKernel(Tensor value) : value_(std::move(value)) {}
  Status Run(const KernelArgs& args) const override {
    if (value_.nbytes() > 0) std::memcpy(args.outputs[0], value_.raw_data(), value_.nbytes());
    return Status::Ok();
  }

 private:
  Tensor value_;
};

KernelResult CreateValue(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(Tensor value, FindSchema(ctx.op_type())->value_from_shapes(ctx));
  return Make<ValueKernel>(std::move(value));
}

class FillKernel final : public Kernel {
 public:
  FillKernel(int64_t count, std::array<std::byte, 8> value, size_t element_size)
      : count_(count), value_(value), element_size_(element_size) {}
  Status Run(const KernelArgs& args) const override {
    VisitElementBits(element_size_, [&](auto tag) {
      using T = decltype(tag);
      T value;
      std::memcpy(&value, value_.data(), sizeof(T));
      std::fill_n(static_cast<T*>(args.outputs[0]), count_, value);
    });
    return Status::Ok();
  }

 private:
  int64_t count_;
  std::array<std::byte, 8> value_;
  size_t element_size_;
};

KernelResult CreateConstantOfShape(const NodeContext& ctx) {
  const TensorSpec& out = ctx.output(0);
  std::array<std::byte, 8> value{};
  if (ctx.attributes().Has("value")) {
    MISSILE_ASSIGN_OR_RETURN(Tensor tensor, ctx.attributes().TensorValue("value"));
    std::memcpy(value.data(), tensor.raw_data(), tensor.nbytes());
  }
  return Make<FillKernel>(NumElements(out.shape), value, DataTypeSize(out.dtype));
}

// Range: start + i * delta, with start and delta read from the (constant) inputs when it runs.
template <typename T>
class RangeKernel final : public Kernel {
 public:
  explicit RangeKernel(int64_t count) : count_(count) {}
  Status Run(const KernelArgs& args) const override {
    const T start = *static_cast<const T*>(args.inputs[0]);
    const T delta = *static_cast<const T*>(args.inputs[2]);
    T* out = static_cast<T*>(args.outputs[0]);
    for (int64_t i = 0; i < count_; ++i) out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    return Status::Ok();
  }

 private:
  int64_t count_;
};

KernelResult CreateRange(const NodeContext& ctx) {
  const int64_t count = NumElements(ctx.output_shape(0));
  switch (ctx.input_dtype(0)) {
    case DataType::kFloat32:
      return Make<RangeKernel<float>>(count);
    case DataType::kFloat64:
      return Make<RangeKernel<double>>(count);
    case DataType::kInt64:
      return Make<RangeKernel<int64_t>>(count);
    case DataType::kInt32:
      return Make<RangeKernel<int32_t>>(count);
    default:
      return Error(ErrorCode::kUnimplemented, "Range on {} is not supported",
                   DataTypeName(ctx.input_dtype(0)));
  }
}

// Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of each matrix; zero bits elsewhere are
// zero in every dtype.
class TriluKernel final : public Kernel {
 public:
  TriluKernel(int64_t matrices, int64_t rows, int64_t cols, int64_t k, bool upper, size_t element_size)
      : matrices_(matrices), rows_(rows), cols_(cols), k_(k), upper_(upper), element_size_(element_size) {}
  Status Run(const KernelArgs& args) const override {
    const auto* in = static_cast<const std::byte*>(args.inputs[0]);
    auto* out = static_cast<std::byte*>(args.outputs[0]);
    const int64_t row_bytes = cols_ * static_cast<int64_t>(element_size_);
    ParallelFor(matrices_ * rows_, MinChunk(row_bytes), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t i = r % rows_;
        // Columns [keep_begin, keep_end) of this row survive.
        const int64_t keep_begin = upper_ ? std::clamp<int64_t>(i + k_, 0, cols_) : 0;
        const int64_t keep_end = upper_ ? cols_ : std::clamp<int64_t>(i + k_ + 1, 0, cols_);
        const auto bytes = [&](int64_t columns) { return static_cast<size_t>(columns) * element_size_; };
        std::byte* dst = out + r * row_bytes;
        std::memset(dst, 0, bytes(keep_begin));
        std::memcpy(dst + bytes(keep_begin), in + r * row_bytes + bytes(keep_begin),
                    bytes(keep_end - keep_begin));
        std::memset(dst + bytes(keep_end), 0, bytes(cols_ - keep_end));
      }
    });
    return Status::Ok();
  }

 private:
  int64_t matrices_, rows_, cols_, k_;
  bool upper_;
  size_t element_size_;
};

KernelResult CreateTrilu(const NodeContext& ctx) {
  const Shape& shape = ctx.input_shape(0);
  int64_t k = 0;
  if (ctx.has_input(1)) {
    MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> values, ctx.ConstantInts(1));
    k = values[0];
  }
  const size_t rank = shape.size();
  return Make<TriluKernel>(DimProduct(shape, 0, rank - 2), shape[rank - 2], shape[rank - 1], k,
                           ctx.attributes().Int("upper", 1) != 0, DataTypeSize(ctx.input_dtype(0)));
}

// ---- Scans along one axis: CumSum, ArgMax, ArgMin ---------------------------------------------------------

// The [outer, dim, inner] view of a tensor around one axis.
struct AxisView {
  int64_t outer, dim, inner;
};

AxisView ViewAround(const Shape& shape, int axis) {
  return {DimProduct(shape, 0, static_cast<size_t>(axis)), shape[axis],
          DimProduct(shape, static_cast<size_t>(axis) + 1, shape.size())};
}

// CumSum along the axis; each output row is the previous output row plus one input row, so no scratch is
// needed.
template <typename T>
class CumSumKernel final : public Kernel {
 public:
  CumSumKernel(AxisView view, bool exclusive, bool reverse)
      : view_(view), exclusive_(exclusive), reverse_(reverse) {}
  Status Run(const KernelArgs& args) const override {
    const T* in = static_cast<const T*>(args.inputs[0]);
    T* out = static_cast<T*>(args.outputs[0]);
    const int64_t block = view_.dim * view_.inner;
    ParallelFor(view_.outer, MinChunk(block * static_cast<int64_t>(sizeof(T))),
                [&](int64_t begin, int64_t end) {
                  for (int64_t o = begin; o < end; ++o) Scan(in + o * block, out + o * block);
                });
    return Status::Ok();
  }

 private:
  // One [dim, inner] block: `inner` independent sums, advanced together one row at a time.
  void Scan(const T* in, T* out) const {
    const int64_t dim = view_.dim, inner = view_.inner;
    if (dim == 0) return;
    const int64_t first = reverse_ ? dim - 1 : 0;
    const int64_t direction = reverse_ ? -1 : 1;
    for (int64_t j = 0; j < inner; ++j) out[first * inner + j] = exclusive_ ? T(0) : in[first * inner + j];
    for (int64_t step = 1; step < dim; ++step) {
      const int64_t l = first + step * direction;
      const int64_t previous = l - direction;
      // Exclusive sums stop one row short: they add the previous input row, not this one.
      const T* src = in + (exclusive_ ? previous : l) * inner;
      for (int64_t j = 0; j < inner; ++j) out[l * inner + j] = out[previous * inner + j] + src[j];
    }
  }

  AxisView view_;
  bool exclusive_, reverse_;
};

KernelResult CreateCumSum(const NodeContext& ctx) {
  MISSILE_ASSIGN_OR_RETURN(std::vector<int64_t> axis_value, ctx.ConstantInts(1));
  MISSILE_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_value[0], ctx.input_shape(0).size()));
  const AxisView view = ViewAround(ctx.input_shape(0), axis);
  const bool exclusive = ctx.attributes().Int("exclusive", 0) != 0;
  const bool reverse = ctx.attributes().Int("reverse", 0) != 0;
  switch (ctx.input_dtype(0)) {
    case DataType::kFloat32:
      return Make<CumSumKernel<float>>(view, exclusive, reverse);
    case DataType::kFloat64:
      return Make<CumSumKernel<double>>(view, exclusive, reverse);
    case DataType::kInt64:
      return Make<CumSumKernel<int64_t>>(view, exclusive, reverse);
    case DataType::kInt32:
      return Make<CumSumKernel<int32_t>>(view, exclusive, reverse);
    default:
      return Error(ErrorCode::kUnimplemented, "CumSum on {} is not supported",
                   DataTypeName(ctx.input_dtype(0)));
  }
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
  MISSILE_ASSIGN_OR_RETURN(int axis,
                           NormalizeAxis(ctx.attributes().Int("axis", 0), ctx.input_shape(0).size()));
  const AxisView view = ViewAround(ctx.input_shape(0), axis);
  const bool select_last = ctx.attributes().Int("select_last_index", 0) != 0;
  switch (ctx.input_dtype(0)) {
    case DataType::kFloat32:
      return Make<ArgReduceKernel<float, kMax>>(view, select_last);
    case DataType::kFloat64:
      return Make<ArgReduceKernel<double, kMax>>(view, select_last);
    case DataType::kInt64:
      return Make<ArgReduceKernel<int64_t, kMax>>(view, select_last);
    case DataType::kInt32:
      return Make<ArgReduceKernel<int32_t, kMax>>(view, select_last);
    default:
      return Error(ErrorCode::kUnimplemented, "{} on {} is not supported", ctx.op_type(),
                   DataTypeName(ctx.input_dtype(0)));
  }
}

KernelResult CreateView(const NodeContext& ctx) {
  return MakeCopyKernel(ctx.output(0).nbytes());
}

const KernelEntry kKernels[] = {
    {"Reshape", CreateView},
    {"Flatten", CreateView},
    {"Squeeze", CreateView},
    {"Unsqueeze", CreateView},
    {"Transpose", CreateTranspose},
    {"Concat", CreateConcat},
    {"Split", CreateSplit},
    {"Slice", CreateSlice},
    {"Gather", CreateGather},
    {"Expand", CreateExpand},
    {"Tile", CreateTile},
    {"Pad", CreatePad},
    {"Resize", CreateResize},
    {"ScatterND", CreateScatterND},
    {"Constant", CreateValue},
    {"Shape", CreateValue},
    {"Size", CreateValue},
    {"ConstantOfShape", CreateConstantOfShape},
    {"Range", CreateRange},
    {"Trilu", CreateTrilu},
    {"CumSum", CreateCumSum},
    {"ArgMax", CreateArgReduce<true>},
    {"ArgMin", CreateArgReduce<false>},
};

}  // namespace

std::span<const KernelEntry> TensorKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
