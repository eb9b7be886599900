// CPU Gemm and MatMul on OpenBLAS, with the fused bias / C and activation applied in one pass after the
// product.
#include <cblas.h>

#include <algorithm>
#include <optional>
#include <type_traits>

#include "core/parallel.h"
#include "ops/broadcast.h"
#include "ops/cpu/activation_cpu.h"
#include "ops/cpu/cpu_kernels.h"

namespace missile::ops::cpu {
namespace {

constexpr int64_t kMinParallelElements = 1 << 14;

// OpenBLAS runs a product of at most this many multiply-adds (m * n * k) on the calling thread alone; batches
// of such products are spread over the cores by Missile instead.
constexpr int64_t kSingleThreadedGemmWork = 1 << 18;

// Calls fn(std::integral_constant<Kind, kind>) so that ApplyActivation's switch is resolved at compile time
// and the epilogue loops vectorise.
template <typename Fn>
void VisitActivationKind(Activation::Kind kind, Fn&& fn) {
  using K = Activation::Kind;
  switch (kind) {
    case K::kNone:
      return fn(std::integral_constant<K, K::kNone>{});
    case K::kRelu:
      return fn(std::integral_constant<K, K::kRelu>{});
    case K::kClip:
      return fn(std::integral_constant<K, K::kClip>{});
    case K::kSigmoid:
      return fn(std::integral_constant<K, K::kSigmoid>{});
    case K::kHardSwish:
      return fn(std::integral_constant<K, K::kHardSwish>{});
  }
}

// c [m, n] = alpha * op(a) x op(b), row-major, op(a) [m, k] and op(b) [k, n].
void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           const float* b, float* c) {
  // BLAS rejects a leading dimension of 0 even when the matrix is empty.
  auto ld = [](int64_t cols) { return static_cast<int>(std::max<int64_t>(cols, 1)); };
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a,
              trans_a ? ld(m) : ld(k), b, trans_b ? ld(k) : ld(n), 0.0f, c, ld(n));
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

// ---- Gemm
// ----------------------------------------------------------------------------------------------------------

// Y = act(alpha * op(A) x op(B) + beta * C), C broadcast to [M, N].
class GemmKernel final : public Kernel {
 public:
  struct Plan {
    int64_t m = 0, n = 0, k = 0;
    bool trans_a = false, trans_b = false;
    float alpha = 1.0f, beta = 1.0f;
    std::optional<BroadcastLayout> c_layout;  // C broadcast to [M, N]; absent without C or when beta is 0
    Activation activation;
  };
  explicit GemmKernel(Plan plan) : plan_(std::move(plan)) {}

  Status Run(const KernelArgs& args) const override {
    const auto* a = static_cast<const float*>(args.inputs[0]);
    const auto* b = static_cast<const float*>(args.inputs[1]);
    auto* y = static_cast<float*>(args.outputs[0]);
    Sgemm(plan_.trans_a, plan_.trans_b, plan_.m, plan_.n, plan_.k, plan_.alpha, a, b, y);
    if (plan_.c_layout) {
      AddC(static_cast<const float*>(args.inputs[2]), y);
    } else if (!plan_.activation.none()) {
      const int64_t count = plan_.m * plan_.n;
      ParallelFor(count, kMinParallelElements, [&](int64_t begin, int64_t end) {
        ApplyActivation(plan_.activation, y + begin, end - begin);
      });
    }
    return Status::Ok();
  }

 private:
  void AddC(const float* c, float* y) const {
    const BroadcastLayout& layout = *plan_.c_layout;
    const int64_t inner = layout.inner();
    const int64_t stride = layout.inner_stride(0);
    ParallelFor(layout.rows(), std::max<int64_t>(1, kMinParallelElements / inner),
                [&](int64_t begin, int64_t end) {
                  VisitActivationKind(plan_.activation.kind, [&](auto kind) {
                    const Activation act{kind(), plan_.activation.min, plan_.activation.max};
                    for (int64_t row = begin; row < end; ++row) {
                      const float* c_row = c + layout.RowOffset(0, row);
                      float* y_row = y + row * inner;
                      for (int64_t i = 0; i < inner; ++i)
                        y_row[i] = ApplyActivation(act, y_row[i] + plan_.beta * c_row[i * stride]);
                    }
                  });
                });
  }

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
  plan.beta = ctx.attributes().Float("beta", 1.0f);
  if (ctx.has_input(2) && plan.beta != 0.0f)
    plan.c_layout = BroadcastLayout(out, std::vector<Shape>{ctx.input_shape(2)});
  plan.activation = ActivationFromAttributes(ctx.attributes());
  return std::unique_ptr<Kernel>(new GemmKernel(std::move(plan)));
}

// ---- MatMul
// --------------------------------------------------------------------------------------------------------

// Y[b] = act(A[b] x B[b] + bias) for every (broadcast) batch index b.
class MatMulKernel final : public Kernel {
 public:
  struct Plan {
    int64_t m = 0, n = 0, k = 0;
    int64_t batch = 1;  // output matrices
    // B is one matrix and A's batch is not broadcast: the batch stacks into one [batch * M, K] x [K, N]
    // product.
    bool stack_batch = false;
    bool has_bias = false;
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
    if (plan_.has_bias || !plan_.activation.none()) {
      Epilogue(plan_.has_bias ? static_cast<const float*>(args.inputs[2]) : nullptr, y);
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
    if (plan_.m * plan_.n * plan_.k > kSingleThreadedGemmWork) {
      multiply(0, plan_.batch);
    } else {
      ParallelFor(plan_.batch, std::max<int64_t>(1, kMinParallelElements / (plan_.m * plan_.n * plan_.k + 1)),
                  multiply);
    }
  }

  // Every output row of N values gets the bias and the activation.
  void Epilogue(const float* bias, float* y) const {
    const int64_t n = plan_.n;
    ParallelFor(plan_.batch * plan_.m, std::max<int64_t>(1, kMinParallelElements / std::max<int64_t>(n, 1)),
                [&](int64_t begin, int64_t end) {
                  VisitActivationKind(plan_.activation.kind, [&](auto kind) {
                    const Activation act{kind(), plan_.activation.min, plan_.activation.max};
                    for (int64_t row = begin; row < end; ++row) {
                      float* y_row = y + row * n;
                      if (bias != nullptr) {
                        for (int64_t j = 0; j < n; ++j) y_row[j] = ApplyActivation(act, y_row[j] + bias[j]);
                      } else {
                        for (int64_t j = 0; j < n; ++j) y_row[j] = ApplyActivation(act, y_row[j]);
                      }
                    }
                  });
                });
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
