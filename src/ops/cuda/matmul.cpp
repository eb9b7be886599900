// Gemm and MatMul on cuBLASLt. The bias (Gemm's C when it is a row vector, MatMul's fused bias), MatMul's
// fused residual (cuBLASLt's C, beta 1) and ReLU run in cuBLASLt's epilogue; any other fused activation in
// one pass after.
//
// MatMul's batch dims become, in order of preference: rows of one GEMM (B shared by every batch, as in a
// transformer's Linear on [batch, tokens, features]), one strided-batched GEMM (each operand either per
// batch or shared), or, for mixed broadcasts, one GEMM per output batch.
#include <algorithm>
#include <vector>

#include "ops/broadcast.h"
#include "ops/cuda/broadcast_copy.h"
#include "ops/cuda/cuda_kernels.h"
#include "ops/cuda/epilogue.h"
#include "ops/cuda/lt_gemm.h"
#include "ops/strided_index.h"

namespace missile::ops::cuda {
namespace {

int64_t Product(std::span<const int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// The activation cuBLASLt cannot apply, run after the product (none when it can).
Activation ActivationAfter(const Activation& activation) {
  return activation.kind == Activation::Kind::kRelu ? Activation{} : activation;
}

class GemmKernel final : public Kernel {
 public:
  struct Setup {
    DataType dtype;
    int64_t m = 0, n = 0;
    int64_t output_elements = 0;
    // Element offsets of A, B and D for each GEMM call (one entry when batches are in the problem itself).
    std::vector<int64_t> a_offsets{0}, b_offsets{0}, d_offsets{0};
    int bias_input = -1;        // input index of a [n] bias applied in the epilogue
    int addend_input = -1;      // Gemm's C of any other broadcastable shape, copied into D first
    int residual_input = -1;    // MatMul's fused residual: cuBLASLt's C, of D's shape
    StridedIndex addend_index;  // how C is read when broadcast to [m, n]
    Activation after;
  };

  GemmKernel(Setup setup, std::unique_ptr<LtGemm> gemm) : setup_(std::move(setup)), gemm_(std::move(gemm)) {}

  size_t workspace_bytes() const override { return gemm_->workspace_bytes(); }

  Status Run(const KernelArgs& args) const override {
    const LaunchContext& launch = *args.launch;
    const size_t element = DataTypeSize(setup_.dtype);
    auto at = [element](const void* base, int64_t offset) {
      return static_cast<const std::byte*>(base) + offset * static_cast<int64_t>(element);
    };
    if (setup_.addend_input >= 0) {
      MISSILE_RETURN_IF_ERROR(EnqueueBroadcastCopy(setup_.dtype, setup_.addend_index, setup_.m * setup_.n,
                                                   args.inputs[setup_.addend_input], args.outputs[0],
                                                   launch.stream));
    }
    const void* bias = setup_.bias_input >= 0 ? args.inputs[setup_.bias_input] : nullptr;
    for (size_t call = 0; call < setup_.a_offsets.size(); ++call) {
      void* d = const_cast<std::byte*>(at(args.outputs[0], setup_.d_offsets[call]));
      const void* c = setup_.residual_input >= 0
                          ? at(args.inputs[setup_.residual_input], setup_.d_offsets[call])
                          : nullptr;
      MISSILE_RETURN_IF_ERROR(gemm_->Enqueue(launch, at(args.inputs[0], setup_.a_offsets[call]),
                                             at(args.inputs[1], setup_.b_offsets[call]), bias, c, d,
                                             args.workspace));
    }
    if (setup_.after.none()) return Status::Ok();
    EpilogueShape shape;
    shape.elements = setup_.output_elements;
    return EnqueueEpilogue(setup_.dtype, shape, args.outputs[0], nullptr, nullptr, setup_.after,
                           launch.stream);
  }

 private:
  Setup setup_;
  std::unique_ptr<LtGemm> gemm_;
};

KernelResult Finish(GemmKernel::Setup setup, const GemmProblem& problem, const BuildContext& build) {
  MISSILE_ASSIGN_OR_RETURN(auto gemm, LtGemm::Plan(problem, build.launch->cublaslt));
  return MakeKernel<GemmKernel>(std::move(setup), std::move(gemm));
}

Status RequireFloat(const NodeContext& ctx) {
  const DataType dtype = ctx.input_dtype(0);
  if (dtype != DataType::kFloat32 && dtype != DataType::kFloat16) {
    return Error(ErrorCode::kUnimplemented, "{} on {} is not supported by the CUDA backend", ctx.op_type(),
                 DataTypeName(dtype));
  }
  return Status::Ok();
}

Status RequireNonEmpty(const NodeContext& ctx, int64_t m, int64_t n, int64_t k) {
  if (m == 0 || n == 0 || k == 0) {
    return Error(ErrorCode::kUnimplemented,
                 "{} with an empty dim ({}x{}x{}) is not supported by the CUDA backend", ctx.op_type(), m, n,
                 k);
  }
  return Status::Ok();
}

KernelResult CreateGemm(const NodeContext& ctx, const BuildContext& build) {
  MISSILE_RETURN_IF_ERROR(RequireFloat(ctx));
  const Shape& a = ctx.input_shape(0);
  GemmProblem problem;
  problem.dtype = ctx.input_dtype(0);
  problem.trans_a = ctx.attributes().Int("transA", 0) != 0;
  problem.trans_b = ctx.attributes().Int("transB", 0) != 0;
  problem.m = problem.trans_a ? a[1] : a[0];
  problem.k = problem.trans_a ? a[0] : a[1];
  problem.n = ctx.output_shape(0)[1];
  problem.alpha = ctx.attributes().Float("alpha", 1.0f);
  problem.allow_tf32 = build.allow_tf32;
  MISSILE_RETURN_IF_ERROR(RequireNonEmpty(ctx, problem.m, problem.n, problem.k));
  const Activation activation = ActivationFromAttributes(ctx.attributes());
  problem.relu = activation.kind == Activation::Kind::kRelu;

  GemmKernel::Setup setup;
  setup.dtype = problem.dtype;
  setup.m = problem.m;
  setup.n = problem.n;
  setup.after = ActivationAfter(activation);
  const float beta = ctx.attributes().Float("beta", 1.0f);
  if (ctx.has_input(2) && beta != 0.0f) {
    const Shape& c = ctx.input_shape(2);
    const bool row_vector = NumElements(c) == problem.n && (c.size() == 1 || (c.size() == 2 && c[0] == 1));
    if (row_vector && beta == 1.0f) {
      problem.bias = true;
      setup.bias_input = 2;
    } else {
      problem.beta = beta;
      setup.addend_input = 2;
      MISSILE_ASSIGN_OR_RETURN(setup.addend_index, PlanBroadcastCopy(c, ctx.output_shape(0)));
    }
  }
  setup.output_elements = problem.m * problem.n;
  return Finish(std::move(setup), problem, build);
}

KernelResult CreateMatMul(const NodeContext& ctx, const BuildContext& build) {
  MISSILE_RETURN_IF_ERROR(RequireFloat(ctx));
  Shape a = ctx.input_shape(0);
  Shape b = ctx.input_shape(1);
  // NumPy's 1-D operands: a row [1, K] or a column [K, 1]; the output has the same elements either way.
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  const int64_t m = a[a.size() - 2];
  const int64_t k = a.back();
  const int64_t n = b.back();
  MISSILE_RETURN_IF_ERROR(RequireNonEmpty(ctx, m, n, k));

  const Shape a_batch(a.begin(), a.end() - 2);
  const Shape b_batch(b.begin(), b.end() - 2);
  const Shape out_batch = BroadcastShapes(a_batch, b_batch).value();
  const int64_t batches = Product(out_batch);
  auto covers_output = [&](const Shape& batch) { return Product(batch) == batches; };
  auto is_shared = [](const Shape& batch) { return Product(batch) == 1; };

  GemmProblem problem;
  problem.dtype = ctx.input_dtype(0);
  problem.m = m;
  problem.n = n;
  problem.k = k;
  problem.allow_tf32 = build.allow_tf32;
  const Activation activation = ActivationFromAttributes(ctx.attributes());
  problem.relu = activation.kind == Activation::Kind::kRelu;
  problem.bias = ctx.has_input(2);

  GemmKernel::Setup setup;
  setup.dtype = problem.dtype;
  setup.m = m;
  setup.n = n;
  setup.bias_input = ctx.has_input(2) ? 2 : -1;
  setup.after = ActivationAfter(activation);
  if (ctx.has_input(3)) {
    setup.residual_input = 3;
    problem.beta = 1.0f;
  }

  if (is_shared(b_batch) && covers_output(a_batch)) {
    problem.m = m * batches;  // B serves every batch: the batches are rows of one GEMM
  } else if ((is_shared(a_batch) || covers_output(a_batch)) &&
             (is_shared(b_batch) || covers_output(b_batch))) {
    problem.batch = batches;
    problem.stride_a = is_shared(a_batch) ? 0 : m * k;
    problem.stride_b = is_shared(b_batch) ? 0 : k * n;
    problem.stride_d = m * n;
  } else {
    // Mixed broadcast (e.g. [2,1] x [1,3] batches): one call per output batch, offsets tabulated now.
    MISSILE_ASSIGN_OR_RETURN(StridedIndex a_index,
                             MakeStridedIndex(out_batch, BroadcastStrides(a_batch, out_batch)));
    MISSILE_ASSIGN_OR_RETURN(StridedIndex b_index,
                             MakeStridedIndex(out_batch, BroadcastStrides(b_batch, out_batch)));
    setup.a_offsets.clear();
    setup.b_offsets.clear();
    setup.d_offsets.clear();
    for (int64_t batch = 0; batch < batches; ++batch) {
      setup.a_offsets.push_back(a_index.Offset(batch) * m * k);
      setup.b_offsets.push_back(b_index.Offset(batch) * k * n);
      setup.d_offsets.push_back(batch * m * n);
    }
  }
  setup.output_elements = NumElements(ctx.output_shape(0));
  return Finish(std::move(setup), problem, build);
}

constexpr KernelEntry kMatMulKernels[] = {{"Gemm", CreateGemm}, {"MatMul", CreateMatMul}};

}  // namespace

std::span<const KernelEntry> MatMulKernels() {
  return kMatMulKernels;
}

}  // namespace missile::ops::cuda
