// CUDA kernels of Transpose, Slice, Expand and Tile: as on the CPU (ops/cpu/strided_copy.cpp), all four are a
// strided view of the input gathered into a contiguous output, out[i] = in[index.Offset(i)]. Views whose
// innermost dim stays contiguous (the attention transposes [B, S, H, D] -> [B, H, S, D], most slices and
// expands) move 16-byte vectors; views that are a batch of matrix transposes ([B, H, S, D] -> [B, H, D, S],
// NCHW <-> NHWC) go through shared-memory tiles so that both reads and writes are whole rows. Also the
// plain copy of the view operators.
#include <algorithm>
#include <optional>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/device_types.cuh"
#include "ops/cuda/launch_geometry.cuh"
#include "ops/cuda/movement_common.cuh"
#include "ops/cuda/movement_factories.h"
#include "ops/movement_plan.h"
#include "ops/slice_geometry.h"
#include "ops/strided_index.h"
#include "ops/tensor_geometry.h"

namespace missile::ops::cuda::movement {
namespace {

// ---- Device code ------------------------------------------------------------------------------------------

template <typename U>
__global__ void StridedGatherKernel(const U* __restrict__ in, U* __restrict__ out, StridedIndex index,
                                    int64_t n) {
  MISSILE_GRID_STRIDE_LOOP(i, n) {
    out[i] = in[index.Offset(i)];
  }
}

template <typename U>
__global__ void TileGatherKernel(const U* __restrict__ in, U* __restrict__ out, TileIndex index, int64_t n) {
  MISSILE_GRID_STRIDE_LOOP(i, n) {
    out[i] = in[index.Offset(i)];
  }
}

// A kTile x kTile tile per block iteration, kTile x kTileRows threads: each thread moves kTile / kTileRows
// elements in and out. The +1 column keeps the transposed reads of the tile off a single bank.
constexpr int kTile = 32;
constexpr int kTileRows = 8;

// out[b, c, r] = in[b, r, c] for a contiguous input [batch, rows, cols]. Blocks walk the tiles grid-stride.
template <typename U>
__global__ void BatchedTransposeKernel(const U* __restrict__ in, U* __restrict__ out, BatchedTranspose shape,
                                       int64_t tile_rows, int64_t tile_cols) {
  __shared__ U tile[kTile][kTile + 1];
  const int64_t rows = shape.rows, cols = shape.cols;
  const int64_t tiles_per_matrix = tile_rows * tile_cols;
  const int64_t tiles = shape.batch * tiles_per_matrix;
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const int64_t b = t / tiles_per_matrix;
    const int64_t within = t - b * tiles_per_matrix;
    const int64_t r0 = within / tile_cols * kTile;
    const int64_t c0 = within % tile_cols * kTile;
    const U* src = in + b * rows * cols;
    U* dst = out + b * rows * cols;
    // Read rows r0.. of the input, threadIdx.x along its columns.
    for (int i = threadIdx.y; i < kTile; i += kTileRows) {
      const int64_t r = r0 + i, c = c0 + threadIdx.x;
      if (r < rows && c < cols) tile[i][threadIdx.x] = src[r * cols + c];
    }
    __syncthreads();
    // Write rows c0.. of the output (the input's columns), threadIdx.x along the input's rows.
    for (int i = threadIdx.y; i < kTile; i += kTileRows) {
      const int64_t c = c0 + i, r = r0 + threadIdx.x;
      if (c < cols && r < rows) dst[c * rows + r] = tile[threadIdx.x][i];
    }
    __syncthreads();  // before the next iteration overwrites the tile
  }
}

// ---- Kernels ----------------------------------------------------------------------------------------------

// Below this many rows or columns a transpose tile would be mostly idle threads: the plain strided gather
// reads such narrow matrices about as well.
constexpr int64_t kMinTransposeExtent = 16;

class StridedCopyKernel final : public Kernel {
 public:
  StridedCopyKernel(const StridedIndex& index, int64_t total, int element_bytes)
      : index_(index), total_(total), element_bytes_(element_bytes) {
    const std::optional<BatchedTranspose> transpose = AsBatchedTranspose(index);
    if (transpose && transpose->rows >= kMinTransposeExtent && transpose->cols >= kMinTransposeExtent) {
      transpose_ = transpose;
      return;
    }
    // The widest vector in which the view can be read: 16 bytes when its innermost contiguous run allows.
    for (int bytes = 16; bytes > element_bytes; bytes /= 2) {
      vector_ = VectorizedIndex(index, bytes / element_bytes);
      if (vector_) {
        vector_bytes_ = bytes;
        break;
      }
    }
  }

  Status Run(const KernelArgs& args) const override {
    if (total_ == 0) return Status::Ok();
    const cudaStream_t stream = args.launch->stream;
    const void* in = args.inputs[0];
    void* out = args.outputs[0];
    if (transpose_) {
      return VisitElementUnit(element_bytes_, [&](auto unit) -> Status {
        using U = decltype(unit);
        const int64_t tile_rows = (transpose_->rows + kTile - 1) / kTile;
        const int64_t tile_cols = (transpose_->cols + kTile - 1) / kTile;
        const int64_t tiles = transpose_->batch * tile_rows * tile_cols;
        const auto blocks = static_cast<unsigned>(std::min<int64_t>(tiles, kMaxBlocks));
        BatchedTransposeKernel<U><<<blocks, dim3(kTile, kTileRows), 0, stream>>>(
            static_cast<const U*>(in), static_cast<U*>(out), *transpose_, tile_rows, tile_cols);
        MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
        return Status::Ok();
      });
    }
    const bool vectorized = vector_ && AlignedTo(vector_bytes_, in, out);
    const StridedIndex& index = vectorized ? *vector_ : index_;
    const int64_t n = vectorized ? total_ / (vector_bytes_ / element_bytes_) : total_;
    return VisitUnit(vectorized ? vector_bytes_ : element_bytes_, [&](auto unit) -> Status {
      using U = decltype(unit);
      StridedGatherKernel<U><<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(static_cast<const U*>(in),
                                                                            static_cast<U*>(out), index, n);
      MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
      return Status::Ok();
    });
  }

 private:
  StridedIndex index_;
  int64_t total_;
  int element_bytes_;
  std::optional<BatchedTranspose> transpose_;
  std::optional<StridedIndex> vector_;  // the same view in vectors of vector_bytes_
  int vector_bytes_ = 0;
};

class TileCopyKernel final : public Kernel {
 public:
  TileCopyKernel(const TileIndex& index, int64_t total, int element_bytes)
      : index_(index), total_(total), element_bytes_(element_bytes) {}

  Status Run(const KernelArgs& args) const override {
    if (total_ == 0) return Status::Ok();
    return VisitElementUnit(element_bytes_, [&](auto unit) -> Status {
      using U = decltype(unit);
      TileGatherKernel<U><<<BlocksFor(total_), kThreadsPerBlock, 0, args.launch->stream>>>(
          static_cast<const U*>(args.inputs[0]), static_cast<U*>(args.outputs[0]), index_, total_);
      MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
      return Status::Ok();
    });
  }

 private:
  TileIndex index_;
  int64_t total_;
  int element_bytes_;
};

// Input 0 to output 0, byte for byte: an asynchronous device-to-device copy on the kernel's stream, which a
// CUDA graph captures like a kernel.
class ViewCopyKernel final : public Kernel {
 public:
  explicit ViewCopyKernel(size_t bytes) : bytes_(bytes) {}
  Status Run(const KernelArgs& args) const override {
    if (bytes_ == 0 || args.outputs[0] == args.inputs[0]) return Status::Ok();
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(args.outputs[0], args.inputs[0], bytes_,
                                                 cudaMemcpyDeviceToDevice, args.launch->stream));
    return Status::Ok();
  }

 private:
  size_t bytes_;
};

int ElementBytes(const NodeContext& ctx) {
  return static_cast<int>(DataTypeSize(ctx.input_dtype(0)));
}

// A strided view of shape `shape` reading input 0 through `strides` (in elements) from `base`.
KernelResult MakeStridedCopy(const NodeContext& ctx, std::span<const int64_t> shape,
                             std::span<const int64_t> strides, int64_t base = 0) {
  const int bytes = ElementBytes(ctx);
  return DispatchBySize(ctx.input_dtype(0), [&](auto) -> KernelResult {
    MISSILE_ASSIGN_OR_RETURN(StridedIndex index, MakeStridedIndex(shape, strides, base));
    return MakeKernel<StridedCopyKernel>(index, NumElements(shape), bytes);
  });
}

}  // namespace

KernelResult CreateViewCopy(const NodeContext& ctx, const BuildContext&) {
  return MakeKernel<ViewCopyKernel>(ctx.output(0).nbytes());
}

KernelResult CreateTranspose(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(TransposeGeometry g, TransposeGeometry::From(ctx));
  const std::vector<int64_t> in_strides = ContiguousStrides(ctx.input_shape(0));
  std::vector<int64_t> strides;
  for (int64_t axis : g.perm) strides.push_back(in_strides[static_cast<size_t>(axis)]);
  return MakeStridedCopy(ctx, g.output, strides);
}

KernelResult CreateSlice(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(SliceGeometry g, SliceGeometry::From(ctx));
  // A negative step reads backwards: a negative stride from the first element read.
  std::vector<int64_t> strides = ContiguousStrides(ctx.input_shape(0));
  int64_t base = 0;
  for (size_t d = 0; d < strides.size(); ++d) {
    base += g.start[d] * strides[d];
    strides[d] *= g.step[d];
  }
  return MakeStridedCopy(ctx, g.output, strides, base);
}

KernelResult CreateExpand(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(ExpandGeometry g, ExpandGeometry::From(ctx));
  // Broadcast dims read one element over and over.
  std::vector<int64_t> strides = ContiguousStrides(g.input);
  for (size_t d = 0; d < g.input.size(); ++d) {
    if (g.input[d] == 1) strides[d] = 0;
  }
  return MakeStridedCopy(ctx, g.output, strides);
}

KernelResult CreateTile(const NodeContext& ctx, const BuildContext&) {
  MISSILE_ASSIGN_OR_RETURN(TileGeometry g, TileGeometry::From(ctx));
  const int bytes = ElementBytes(ctx);
  return DispatchBySize(ctx.input_dtype(0), [&](auto) -> KernelResult {
    MISSILE_ASSIGN_OR_RETURN(TileIndex index, MakeTileIndex(ctx.input_shape(0), g.repeats));
    return MakeKernel<TileCopyKernel>(index, NumElements(g.output), bytes);
  });
}

}  // namespace missile::ops::cuda::movement
