// CPU Gemm and MatMul on OpenBLAS; C (or MatMul's fused bias) and the fused activation are applied in one
// pass after the product.
#include <cblas.h>

#include <algorithm>
#include <type_traits>

#include "core/parallel.h"
#include "ops/broadcast.h"
#include "ops/cpu/activation_cpu.h"
#include "ops/cpu/cpu_kernels.h"

namespace missile::ops::cpu {
namespace {

constexpr int64_t kMinParallelElements = 1 << 14;

// Sizes up to which OpenBLAS 0.3 computes on the calling thread alone (GEMM_MULTITHREAD_THRESHOLD 4 times its
// SMP thresholds): m * n * k for gemm, rows * columns for gemv. Batches of such products are spread over the
// cores by Missile instead.
constexpr int64_t kSingleThreadedGemmWork = 4 * 65536;
constexpr int64_t kSingleThreadedGemvWork = 4 * 2304;

// c [m, n] = alpha * op(a) x op(b), row-major, op(a) [m, k] and op(b) [k, n]. A single row or column goes
// through gemv: OpenBLAS's gemm would first pack the whole matrix, which makes it several times slower there
// (the classifier of a batch-1 CNN, a decoder's per-token projections).
void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           const float* b, float* c) {
  // BLAS rejects a leading dimension of 0 even when the matrix is empty.
  auto ld = [](int64_t cols) { return static_cast<int>(std::max<int64_t>(cols, 1)); };
  auto op = [](bool transpose) { return transpose ? CblasTrans : CblasNoTrans; };
  if (m == 1 && k > 0) {  // c^T = op(b)^T a, with b stored [k, n] or, transposed, [n, k]
    cblas_sgemv(CblasRowMajor, op(!trans_b), static_cast<int>(trans_b ? n : k),
                static_cast<int>(trans_b ? k : n), alpha, b, trans_b ? ld(k) : ld(n), a, 1, 0.0f, c, 1);
  } else if (n == 1 && k > 0) {  // c = op(a) b, with a stored [m, k] or, transposed, [k, m]
    cblas_sgemv(CblasRowMajor, op(trans_a), static_cast<int>(trans_a ? k : m),
                static_cast<int>(trans_a ? m : k), alpha, a, trans_a ? ld(m) : ld(k), b, 1, 0.0f, c, 1);
  } else {
    cblas_sgemm(CblasRowMajor, op(trans_a), op(trans_b), static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), alpha, a, trans_a ? ld(m) : ld(k), b, trans_b ? ld(k) : ld(n), 0.0f, c,
                ld(n));
  }
}

// Whether OpenBLAS computes Sgemm(m, n, k) without its own threads, so that several may run side by side.
bool RunsSingleThreaded(int64_t m, int64_t n, int64_t k) {
  if (m == 1) return k * n <= kSingleThreadedGemvWork;
  if (n == 1) return m * k <= kSingleThreadedGemvWork;
  return m * n * k <= kSingleThreadedGemmWork;
}

// A matrix added after the product, broadcast to its [rows, cols]: element (i, j) is
// data[i * row_stride + j * col_stride], a stride being 0 along a broadcast dim. Gemm's C, MatMul's bias.
struct Addend {
  const float* data = nullptr;  // nullptr: nothing to add
  int64_t row_stride = 0;
  int64_t col_stride = 0;
  float scale = 1.0f;
};

// y [rows, cols] = act(y + scale * c + residual): the epilogue, one parallel pass. `residual` (nullable) is a
// [rows, cols] matrix: MatMul's fused residual connection.
void AddAndActivate(float* y, int64_t rows, int64_t cols, const Addend& c, const Activation& activation,
                    const float* residual = nullptr) {
  ParallelFor(rows, std::max<int64_t>(1, kMinParallelElements / std::max<int64_t>(cols, 1)),
              [&](int64_t begin, int64_t end) {
                VisitActivationKind(activation.kind, [&](auto kind) {
                  const Activation act{kind(), activation.min, activation.max};
                  for (int64_t i = begin; i < end; ++i) {
                    float* y_row = y + i * cols;
                    if (residual != nullptr) {
                      const float* r_row = residual + i * cols;
                      for (int64_t j = 0; j < cols; ++j) y_row[j] += r_row[j];
                    }
                    if (c.data != nullptr) {
                      const float* c_row = c.data + i * c.row_stride;
                      for (int64_t j = 0; j < cols; ++j) {
                        y_row[j] = ApplyActivation(act, y_row[j] + c.scale * c_row[j * c.col_stride]);
                      }
                    } else {
                      for (int64_t j = 0; j < cols; ++j) y_row[j] = ApplyActivation(act, y_row[j]);
                    }
                  }
                });
              });
}

Status RequireFloat32(const NodeContext& ctx) {
  for (size_t i = 0; i < ctx.input_count(); ++i) {
    if (ctx.has_input(i) && ctx.input_dtype(i) != DataType::kFloat32) {
      return Error(ErrorCode::kUnimplemented,
                   "the CPU backend computes {} in float32 only, got {} for input {}", ctx.op_type(),
                   DataTypeName(ctx.input_dtype(i)), i);
    }
  }
  return Status::Ok();
}

// ---- Gemm -------------------------------------------------------------------------------------------------

// Y = act(alpha * op(A) x op(B) + beta * C), C broadcast to [M, N].
class GemmKernel final : public Kernel {
 public:
  struct Plan {
    int64_t m = 0, n = 0, k = 0;
    bool trans_a = false, trans_b = false;
    float alpha = 1.0f;
    bool has_c = false;  // and beta != 0
    Addend c;            // strides and beta; the data pointer is set per Run
    Activation activation;
  };
  explicit GemmKernel(Plan plan) : plan_(plan) {}

  Status Run(const KernelArgs& args) const override {
    auto* y = static_cast<float*>(args.outputs[0]);
    Sgemm(plan_.trans_a, plan_.trans_b, plan_.m, plan_.n, plan_.k, plan_.alpha,
          static_cast<const float*>(args.inputs[0]), static_cast<const float*>(args.inputs[1]), y);
    if (plan_.has_c || !plan_.activation.none()) {
      Addend c = plan_.c;
      c.data = plan_.has_c ? static_cast<const float*>(args.inputs[2]) : nullptr;
      AddAndActivate(y, plan_.m, plan_.n, c, plan_.activation);
    }
    return Status::Ok();
  }

 private:
  Plan plan_;
};

Result<std::unique_ptr<Kernel>> CreateGemm(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(RequireFloat32(ctx));
  const Shape& a = ctx.input_shape(0);
  const Shape& out = ctx.output_shape(0);
  GemmKernel::Plan plan;
  plan.trans_a = ctx.attributes().Int("transA", 0) != 0;
  plan.trans_b = ctx.attributes().Int("transB", 0) != 0;
  plan.m = out[0];
  plan.n = out[1];
  plan.k = plan.trans_a ? a[0] : a[1];
  plan.alpha = ctx.attributes().Float("alpha", 1.0f);
  plan.c.scale = ctx.attributes().Float("beta", 1.0f);
  plan.has_c = ctx.has_input(2) && plan.c.scale != 0.0f;
  if (plan.has_c) {
    // C has rank <= 2 and broadcasts to [M, N]: a dim of 1 (or a missing one) repeats.
    const Shape& c = ctx.input_shape(2);
    const int64_t c_rows = c.size() == 2 ? c[0] : 1;
    const int64_t c_cols = c.empty() ? 1 : c.back();
    plan.c.row_stride = c_rows == 1 ? 0 : c_cols;
    plan.c.col_stride = c_cols == 1 ? 0 : 1;
  }
  plan.activation = ActivationFromAttributes(ctx.attributes());
  return std::unique_ptr<Kernel>(new GemmKernel(plan));
}

// ---- MatMul -----------------------------------------------------------------------------------------------

// Y[b] = act(A[b] x B[b] + bias + residual[b]) for every (broadcast) batch index b.
class MatMulKernel final : public Kernel {
 public:
  struct Plan {
    int64_t m = 0, n = 0, k = 0;
    int64_t batch = 1;  // output matrices
    // B is one matrix and A's batch is not broadcast: the batch stacks into one [batch * M, K] x [K, N]
    // product.
    bool stack_batch = false;
    bool has_bias = false;
    bool has_residual = false;
    Activation activation;
  };
  // `batch_layout` maps an output matrix to A's and B's (broadcast batch dims).
  MatMulKernel(Plan plan, BroadcastLayout batch_layout)
      : plan_(plan), batch_layout_(std::move(batch_layout)) {}

  Status Run(const KernelArgs& args) const override {
    const auto* a = static_cast<const float*>(args.inputs[0]);
    const auto* b = static_cast<const float*>(args.inputs[1]);
    auto* y = static_cast<float*>(args.outputs[0]);
    if (plan_.stack_batch) {
      Sgemm(false, false, plan_.batch * plan_.m, plan_.n, plan_.k, 1.0f, a, b, y);
    } else {
      RunBatch(a, b, y);
    }
    if (plan_.has_bias || plan_.has_residual || !plan_.activation.none()) {
      // The bias is one value per column, the same for every row.
      const Addend bias{plan_.has_bias ? static_cast<const float*>(args.inputs[2]) : nullptr, 0, 1, 1.0f};
      AddAndActivate(y, plan_.batch * plan_.m, plan_.n, bias, plan_.activation,
                     plan_.has_residual ? static_cast<const float*>(args.inputs[3]) : nullptr);
    }
    return Status::Ok();
  }

 private:
  void RunBatch(const float* a, const float* b, float* y) const {
    const BroadcastLayout& layout = batch_layout_;
    auto multiply = [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const int64_t row = i / layout.inner();
        const int64_t col = i % layout.inner();
        const int64_t a_index = layout.RowOffset(0, row) + col * layout.inner_stride(0);
        const int64_t b_index = layout.RowOffset(1, row) + col * layout.inner_stride(1);
        Sgemm(false, false, plan_.m, plan_.n, plan_.k, 1.0f, a + a_index * plan_.m * plan_.k,
              b + b_index * plan_.k * plan_.n, y + i * plan_.m * plan_.n);
      }
    };
    // Large products use OpenBLAS's own threads; small ones would each run on one core, so split the batch.
    if (!RunsSingleThreaded(plan_.m, plan_.n, plan_.k)) {
      multiply(0, plan_.batch);
    } else {
      ParallelFor(plan_.batch, std::max<int64_t>(1, kMinParallelElements / (plan_.m * plan_.n * plan_.k + 1)),
                  multiply);
    }
  }

  Plan plan_;
  BroadcastLayout batch_layout_;
};

Result<std::unique_ptr<Kernel>> CreateMatMul(const NodeContext& ctx) {
  MISSILE_RETURN_IF_ERROR(RequireFloat32(ctx));
  const Shape& a = ctx.input_shape(0);
  const Shape& b = ctx.input_shape(1);
  // A 1-D A is one row and a 1-D B one column: the same row-major buffers as [1, K] and [K, 1].
  const Shape a_batch(a.begin(), a.end() - std::min<size_t>(a.size(), 2));
  const Shape b_batch(b.begin(), b.end() - std::min<size_t>(b.size(), 2));
  const Shape& out = ctx.output_shape(0);
  const size_t batch_rank = std::max(a_batch.size(), b_batch.size());
  const Shape out_batch(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(batch_rank));

  MatMulKernel::Plan plan;
  plan.m = a.size() >= 2 ? a[a.size() - 2] : 1;
  plan.k = a.back();
  plan.n = b.size() >= 2 ? b.back() : 1;
  plan.batch = NumElements(out_batch);
  plan.stack_batch = NumElements(b_batch) == 1 && NumElements(a_batch) == plan.batch;
  plan.has_bias = ctx.has_input(2);
  plan.has_residual = ctx.has_input(3);
  plan.activation = ActivationFromAttributes(ctx.attributes());
  return std::unique_ptr<Kernel>(
      new MatMulKernel(plan, BroadcastLayout(out_batch, std::vector{a_batch, b_batch})));
}

const KernelEntry kKernels[] = {
    {"Gemm", CreateGemm},
    {"MatMul", CreateMatMul},
};

}  // namespace

std::span<const KernelEntry> MatMulKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
