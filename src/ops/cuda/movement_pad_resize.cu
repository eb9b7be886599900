// CUDA kernels of Pad and Resize. As on the CPU (ops/cpu/pad_resize.cpp), Pad and nearest Resize are one
// operation, a per-dim index map: each output index reads one input index, or the fill. The maps come from
// the same geometry functions the CPU calls (PadGeometry::SourceIndex, ResizeGeometry::NearestIndex),
// evaluated on the host when the kernel is built and uploaded once, so the GPU reads exactly the elements
// the CPU reads. Linear Resize blends the two nearest input rows and columns with taps computed the same way.
#include <array>
#include <cstring>

#include "device/cuda/cuda_status.h"
#include "device/cuda/device_memory.h"
#include "ops/cuda/device_types.cuh"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/movement_common.cuh"
#include "ops/cuda/movement_factories.h"
#include "ops/index_map_plan.h"
#include "ops/pad_geometry.h"
#include "ops/resize_geometry.h"
#include "ops/resize_linear_taps.h"

namespace missile::ops::cuda::movement {
namespace {

using device::cuda::DeviceBuffer;

// A device copy of `values`, made when the kernel is built (Run never allocates nor copies from the host).
template <typename T>
Result<DeviceBuffer> Upload(const std::vector<T>& values) {
  if (values.empty()) return DeviceBuffer();
  const size_t bytes = values.size() * sizeof(T);
  MISSILE_ASSIGN_OR_RETURN(DeviceBuffer buffer, DeviceBuffer::Allocate(bytes));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpy(buffer.data(), values.data(), bytes, cudaMemcpyHostToDevice));
  return std::move(buffer);  // into the Result: no implicit move through its constructor here
}

// ---- Index maps: Pad, nearest Resize ----------------------------------------------------------------------

template <typename U>
__global__ void IndexMapKernel(const U* __restrict__ in, U* __restrict__ out, IndexMapIndex index,
                               const int64_t* __restrict__ table, U fill, int64_t n) {
  MISSILE_GRID_STRIDE_LOOP(i, n) {
    const int64_t offset = index.Offset(i, table);
    out[i] = offset < 0 ? fill : in[offset];
  }
}

class IndexMapCopyKernel final : public Kernel {
 public:
  IndexMapCopyKernel(const IndexMapIndex& index, DeviceBuffer table, int64_t total,
                     std::array<std::byte, 8> fill, int element_bytes)
      : index_(index), table_(std::move(table)), total_(total), fill_(fill), element_bytes_(element_bytes) {}

  Status Run(const KernelArgs& args) const override {
    if (total_ == 0) return Status::Ok();
    return VisitElementUnit(element_bytes_, [&](auto unit) -> Status {
      using U = decltype(unit);
      U fill{};
      std::memcpy(&fill, fill_.data(), std::min(sizeof(U), fill_.size()));
      IndexMapKernel<U><<<BlocksFor(total_), kThreadsPerBlock, 0, args.launch->stream>>>(
          static_cast<const U*>(args.inputs[0]), static_cast<U*>(args.outputs[0]), index_,
          static_cast<const int64_t*>(table_.data()), fill, total_);
      MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
      return Status::Ok();
    });
  }

 private:
  IndexMapIndex index_;
  DeviceBuffer table_;  // the maps of the dims that are not the identity
  int64_t total_;
  std::array<std::byte, 8> fill_;
  int element_bytes_;
};

// Input 0 to output 0 (a scalar has no dims to map): a device-to-device copy on the kernel's stream.
class ScalarCopyKernel final : public Kernel {
 public:
  explicit ScalarCopyKernel(size_t bytes) : bytes_(bytes) {}
  Status Run(const KernelArgs& args) const override {
    if (bytes_ == 0 || args.outputs[0] == args.inputs[0]) return Status::Ok();
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(args.outputs[0], args.inputs[0], bytes_,
                                                 cudaMemcpyDeviceToDevice, args.launch->stream));
    return Status::Ok();
  }

 private:
  size_t bytes_;
};

// An index-map kernel whose map along dim d sends output index j to source(d, j).
KernelResult MakeIndexMap(const NodeContext& ctx, const Shape& in, const Shape& out,
                          FunctionRef<int64_t(size_t, int64_t)> source, std::array<std::byte, 8> fill) {
  if (in.empty()) return MakeKernel<ScalarCopyKernel>(ctx.output(0).nbytes());
  const int bytes = static_cast<int>(DataTypeSize(ctx.input_dtype(0)));
  return DispatchBySize(ctx.input_dtype(0), [&](auto) -> KernelResult {
    MISSILE_ASSIGN_OR_RETURN(IndexMapPlan plan, PlanIndexMap(in, out, source));
    MISSILE_ASSIGN_OR_RETURN(DeviceBuffer table, Upload(plan.table));
    return MakeKernel<IndexMapCopyKernel>(plan.index, std::move(table), NumElements(out), fill, bytes);
  });
}

// ---- Linear Resize ----------------------------------------------------------------------------------------

// Per output row and column: the two input indices blended and the weight of the second.
struct LinearTapsView {
  const int64_t* lo;
  const int64_t* hi;
  const float* weight;
};

// Bilinear interpolation over the last two dims, the leading dims being planes. Computed in float32 in the
// CPU kernel's order, with explicit roundings so that no multiply-add is fused where the CPU rounds twice.
template <typename T>
__global__ void ResizeLinearKernel(const T* __restrict__ in, T* __restrict__ out, LinearTapsView rows,
                                   LinearTapsView cols, int64_t in_h, int64_t in_w, int64_t out_h,
                                   int64_t out_w, int64_t n) {
  MISSILE_GRID_STRIDE_LOOP(i, n) {
    const int64_t r = i / out_w;  // plane * out_h + y
    const int64_t x = i - r * out_w;
    const int64_t plane = r / out_h;
    const int64_t y = r - plane * out_h;
    const T* top = in + (plane * in_h + rows.lo[y]) * in_w;
    const T* bottom = in + (plane * in_h + rows.hi[y]) * in_w;
    const int64_t lo = cols.lo[x], hi = cols.hi[x];
    const float wx = cols.weight[x], wy = rows.weight[y];
    const float top_lo = Load(top, lo), bottom_lo = Load(bottom, lo);
    const float t = __fadd_rn(top_lo, __fmul_rn(__fsub_rn(Load(top, hi), top_lo), wx));
    const float b = __fadd_rn(bottom_lo, __fmul_rn(__fsub_rn(Load(bottom, hi), bottom_lo), wx));
    out[i] = FromCompute<T>(__fadd_rn(t, __fmul_rn(__fsub_rn(b, t), wy)));
  }
}

template <typename T>
class ResizeLinearCopyKernel final : public Kernel {
 public:
  ResizeLinearCopyKernel(int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w,
                         DeviceBuffer taps)
      : planes_(planes), in_h_(in_h), in_w_(in_w), out_h_(out_h), out_w_(out_w), taps_(std::move(taps)) {}

  // The taps buffer: row lo, row hi, column lo, column hi (int64), then row weights, column weights (float).
  static Result<DeviceBuffer> UploadTaps(const LinearTaps& rows, const LinearTaps& cols) {
    std::vector<int64_t> packed = rows.lo;
    packed.insert(packed.end(), rows.hi.begin(), rows.hi.end());
    packed.insert(packed.end(), cols.lo.begin(), cols.lo.end());
    packed.insert(packed.end(), cols.hi.begin(), cols.hi.end());
    // The float weights follow in the same int64 array, two to an element.
    std::vector<float> weights = rows.weight;
    weights.insert(weights.end(), cols.weight.begin(), cols.weight.end());
    const size_t indices = packed.size();
    packed.resize(indices + (weights.size() + 1) / 2);
    std::memcpy(packed.data() + indices, weights.data(), weights.size() * sizeof(float));
    return Upload(packed);
  }

  Status Run(const KernelArgs& args) const override {
    const int64_t n = planes_ * out_h_ * out_w_;
    if (n == 0) return Status::Ok();
    const auto* indices = static_cast<const int64_t*>(taps_.data());
    const auto* weights = reinterpret_cast<const float*>(indices + 2 * (out_h_ + out_w_));
    const LinearTapsView rows{indices, indices + out_h_, weights};
    const LinearTapsView cols{indices + 2 * out_h_, indices + 2 * out_h_ + out_w_, weights + out_h_};
    ResizeLinearKernel<T><<<BlocksFor(n), kThreadsPerBlock, 0, args.launch->stream>>>(
        static_cast<const T*>(args.inputs[0]), static_cast<T*>(args.outputs[0]), rows, cols, in_h_, in_w_,
        out_h_, out_w_, n);
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    return Status::Ok();
  }

 private:
  int64_t planes_, in_h_, in_w_, out_h_, out_w_;
  DeviceBuffer taps_;
};

}  // namespace

KernelResult CreatePad(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(PadGeometry g, PadGeometry::From(ctx));
  return MakeIndexMap(
      ctx, g.input, g.output, [&](size_t d, int64_t j) { return g.SourceIndex(d, j); }, g.fill);
}

KernelResult CreateResize(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(ResizeGeometry g, ResizeGeometry::From(ctx));
  if (g.mode == ResizeGeometry::Mode::kNearest) {
    return MakeIndexMap(
        ctx, g.input, g.output, [&](size_t d, int64_t j) { return g.NearestIndex(d, j); },
        std::array<std::byte, 8>{});
  }
  // Linear: the geometry has checked that only the last two dims change and that the input is a float.
  const size_t h = g.input.size() - 2, w = g.input.size() - 1;
  const int64_t planes = DimProduct(g.input, 0, h);
  const int64_t out_h = g.output[h], out_w = g.output[w];
  const LinearTaps rows = AxisLinearTaps(g, h);
  const LinearTaps cols = AxisLinearTaps(g, w);
  return DispatchFloat(ctx.input_dtype(0), "linear Resize", [&](auto tag) -> KernelResult {
    using ResizeKernel = ResizeLinearCopyKernel<decltype(tag)>;
    MISSILE_ASSIGN_OR_RETURN(DeviceBuffer taps, ResizeKernel::UploadTaps(rows, cols));
    return MakeKernel<ResizeKernel>(planes, g.input[h], g.input[w], out_h, out_w, std::move(taps));
  });
}

}  // namespace missile::ops::cuda::movement
