// CPU kernels of the elementwise operators.
#include <cmath>
#include <cstring>
#include <functional>

#include "core/parallel.h"
#include "ops/broadcast.h"
#include "ops/cpu/activation_cpu.h"
#include "ops/cpu/copy_kernel.h"
#include "ops/cpu/cpu_kernels.h"

namespace missile::ops::cpu {
namespace {

constexpr int64_t kMinParallelElements = 1 << 15;

// ---- Unary
// -------------------------------------------------------------------------------------------------------

template <typename T, typename Fn>
class UnaryKernel final : public Kernel {
 public:
  UnaryKernel(int64_t count, Fn fn) : count_(count), fn_(fn) {}
  Status Run(const KernelArgs& args) const override {
    const T* in = static_cast<const T*>(args.inputs[0]);
    T* out = static_cast<T*>(args.outputs[0]);
    ParallelFor(count_, kMinParallelElements, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) out[i] = fn_(in[i]);
    });
    return Status::Ok();
  }

 private:
  int64_t count_;
  Fn fn_;
};

template <typename T, typename Fn>
std::unique_ptr<Kernel> MakeUnary(const NodeContext& ctx, Fn fn) {
  return std::make_unique<UnaryKernel<T, Fn>>(NumElements(ctx.output_shape(0)), fn);
}

Result<std::unique_ptr<Kernel>> RequireFloat32(const NodeContext& ctx) {
  return Error(ErrorCode::kUnimplemented, "the CPU backend computes {} in float32 only, got {}",
               ctx.op_type(), DataTypeName(ctx.input_dtype(0)));
}

// A float32 map: f(x) -> y.
template <typename Fn>
Result<std::unique_ptr<Kernel>> FloatMap(const NodeContext& ctx, Fn fn) {
  if (ctx.input_dtype(0) != DataType::kFloat32) return RequireFloat32(ctx);
  return MakeUnary<float>(ctx, fn);
}

// A map over any signed numeric type (Relu, Neg, Abs on shape math too).
template <template <typename> class Op>
Result<std::unique_ptr<Kernel>> NumericMap(const NodeContext& ctx) {
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(), [&](auto tag) -> KernelResult {
    using T = decltype(tag);
    return MakeUnary<T>(ctx, Op<T>{});
  });
}

template <typename T>
struct ReluOp {
  T operator()(T x) const { return x > T(0) ? x : T(0); }
};
template <typename T>
struct NegOp {
  T operator()(T x) const { return -x; }
};
template <typename T>
struct AbsOp {
  T operator()(T x) const { return x < T(0) ? -x : x; }
};

Result<std::unique_ptr<Kernel>> CreateActivationMap(const NodeContext& ctx, Activation activation) {
  return FloatMap(ctx, [activation](float x) { return ApplyActivation(activation, x); });
}

Result<std::unique_ptr<Kernel>> CreateClip(const NodeContext& ctx) {
  float lo = -INFINITY, hi = INFINITY;
  if (ctx.has_input(1)) {
    MISSILE_ASSIGN_OR_RETURN(lo, ctx.ConstantScalar(1));
  }
  if (ctx.has_input(2)) {
    MISSILE_ASSIGN_OR_RETURN(hi, ctx.ConstantScalar(2));
  }
  switch (ctx.input_dtype(0)) {
    case DataType::kFloat32:
      return MakeUnary<float>(ctx, [lo, hi](float x) { return std::min(std::max(x, lo), hi); });
    case DataType::kInt64:
      return MakeUnary<int64_t>(ctx, [lo, hi](int64_t x) {
        return std::min<int64_t>(std::max<int64_t>(x, static_cast<int64_t>(std::max(lo, -9.2e18f))),
                                 static_cast<int64_t>(std::min(hi, 9.2e18f)));
      });
    default:
      return RequireFloat32(ctx);
  }
}

Result<std::unique_ptr<Kernel>> CreateCast(const NodeContext& ctx) {
  class CastKernel final : public Kernel {
   public:
    CastKernel(DataType from, DataType to, int64_t count) : from_(from), to_(to), count_(count) {}
    Status Run(const KernelArgs& args) const override {
      ConvertElements(from_, args.inputs[0], to_, args.outputs[0], count_);
      return Status::Ok();
    }

   private:
    DataType from_, to_;
    int64_t count_;
  };
  return std::unique_ptr<Kernel>(
      new CastKernel(ctx.input_dtype(0), ctx.output(0).dtype, NumElements(ctx.output_shape(0))));
}

// ---- Broadcasting n-ary
// --------------------------------------------------------------------------------------------

// out = fn(in0, in1, ...) elementwise with broadcasting; In is the operands' type, Out the result's.
template <typename In, typename Out, size_t N, typename Fn>
class BroadcastKernel final : public Kernel {
 public:
  BroadcastKernel(BroadcastLayout layout, Fn fn) : layout_(std::move(layout)), fn_(fn) {}

  Status Run(const KernelArgs& args) const override {
    const int64_t inner = layout_.inner();
    Out* out = static_cast<Out*>(args.outputs[0]);
    const int64_t min_rows = std::max<int64_t>(1, kMinParallelElements / std::max<int64_t>(inner, 1));
    ParallelFor(layout_.rows(), min_rows, [&](int64_t row_begin, int64_t row_end) {
      for (int64_t row = row_begin; row < row_end; ++row) {
        std::array<const In*, N> in;
        std::array<int64_t, N> step;
        for (size_t k = 0; k < N; ++k) {
          in[k] = static_cast<const In*>(args.inputs[k]) + layout_.RowOffset(k, row);
          step[k] = layout_.inner_stride(k);
        }
        Out* o = out + row * inner;
        RunRow(in, step, o, inner, std::make_index_sequence<N>{});
      }
    });
    return Status::Ok();
  }

 private:
  template <size_t... K>
  void RunRow(const std::array<const In*, N>& in, const std::array<int64_t, N>& step, Out* out, int64_t n,
              std::index_sequence<K...>) const {
    for (int64_t i = 0; i < n; ++i) out[i] = fn_(in[K][i * step[K]]...);
  }

  BroadcastLayout layout_;
  Fn fn_;
};

template <typename In, typename Out, size_t N, typename Fn>
std::unique_ptr<Kernel> MakeBroadcast(const NodeContext& ctx, Fn fn) {
  std::vector<Shape> shapes;
  for (size_t k = 0; k < N; ++k) shapes.push_back(ctx.input_shape(k));
  return std::make_unique<BroadcastKernel<In, Out, N, Fn>>(BroadcastLayout(ctx.output_shape(0), shapes), fn);
}

// Dispatches a binary op over the numeric dtypes shape math and models use.
template <template <typename> class Op, bool kComparison = false>
Result<std::unique_ptr<Kernel>> NumericBinary(const NodeContext& ctx) {
  auto make = [&](auto tag) -> std::unique_ptr<Kernel> {
    using T = decltype(tag);
    using Out = std::conditional_t<kComparison, bool, T>;
    return MakeBroadcast<T, Out, 2>(ctx, Op<T>{});
  };
  if constexpr (kComparison) {
    if (ctx.input_dtype(0) == DataType::kBool) return make(bool{});
  }
  return DispatchArithmetic(ctx.input_dtype(0), ctx.op_type(), make);
}

template <typename T>
struct AddOp {
  T operator()(T a, T b) const { return a + b; }
};
template <typename T>
struct SubOp {
  T operator()(T a, T b) const { return a - b; }
};
template <typename T>
struct MulOp {
  T operator()(T a, T b) const { return a * b; }
};
template <typename T>
struct DivOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>)
      return b == 0 ? T(0) : a / b;  // no SIGFPE from a bad model
    else
      return a / b;
  }
};
// fmod=1: C's fmod, the dividend's sign (the only form ONNX allows for floats).
template <typename T>
struct FmodOp {
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>)
      return b == 0 ? T(0) : a % b;
    else
      return std::fmod(a, b);
  }
};
// ONNX Mod with fmod=0: the result takes the divisor's sign, like Python's %.
template <typename T>
struct ModOp {
  T operator()(T a, T b) const {
    if (b == 0) return T(0);
    const T r = FmodOp<T>{}(a, b);
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  }
};

Result<std::unique_ptr<Kernel>> CreateMod(const NodeContext& ctx) {
  if (ctx.attributes().Int("fmod", 0) == 1) return NumericBinary<FmodOp>(ctx);
  if (IsFloatingPoint(ctx.input_dtype(0))) return InvalidNode("Mod on floating point needs fmod=1");
  return NumericBinary<ModOp>(ctx);
}
template <typename T>
struct MaxOp {
  T operator()(T a, T b) const { return a > b ? a : b; }
};
template <typename T>
struct MinOp {
  T operator()(T a, T b) const { return a < b ? a : b; }
};
template <typename T>
struct EqualOp {
  bool operator()(T a, T b) const { return a == b; }
};
template <typename T>
struct LessOp {
  bool operator()(T a, T b) const { return a < b; }
};
template <typename T>
struct LessEqualOp {
  bool operator()(T a, T b) const { return a <= b; }
};
template <typename T>
struct GreaterOp {
  bool operator()(T a, T b) const { return a > b; }
};
template <typename T>
struct GreaterEqualOp {
  bool operator()(T a, T b) const { return a >= b; }
};

Result<std::unique_ptr<Kernel>> CreatePow(const NodeContext& ctx) {
  if (ctx.input_dtype(0) != DataType::kFloat32) return RequireFloat32(ctx);
  // The common exported forms x^2, x^3, x^0.5 with a constant exponent: exact and fast.
  if (const Tensor* e = ctx.constant_input(1); e != nullptr && e->num_elements() == 1) {
    float exponent = 0;
    ConvertElements(e->dtype(), e->raw_data(), DataType::kFloat32, &exponent, 1);
    if (exponent == 2.0f) return MakeUnary<float>(ctx, [](float x) { return x * x; });
    if (exponent == 3.0f) return MakeUnary<float>(ctx, [](float x) { return x * x * x; });
    if (exponent == 0.5f) return MakeUnary<float>(ctx, [](float x) { return std::sqrt(x); });
    if (exponent == 1.0f) return MakeUnary<float>(ctx, [](float x) { return x; });
    return MakeUnary<float>(ctx, [exponent](float x) { return std::pow(x, exponent); });
  }
  if (ctx.input_dtype(1) != DataType::kFloat32) {
    return Error(ErrorCode::kUnimplemented, "Pow with a non-constant {} exponent is not supported",
                 DataTypeName(ctx.input_dtype(1)));
  }
  return MakeBroadcast<float, float, 2>(ctx, [](float a, float b) { return std::pow(a, b); });
}

template <typename Fn>
Result<std::unique_ptr<Kernel>> BoolBinary(const NodeContext& ctx, Fn fn) {
  return MakeBroadcast<bool, bool, 2>(ctx, fn);
}

// Max/Min/Sum/Mean over n inputs: folded pairwise into the output, which is first filled by broadcasting
// input 0.
template <template <typename> class Op>
class VariadicKernel final : public Kernel {
 public:
  VariadicKernel(std::vector<std::unique_ptr<Kernel>> steps, float scale, int64_t count)
      : steps_(std::move(steps)), scale_(scale), count_(count) {}
  Status Run(const KernelArgs& args) const override {
    // steps_[0] writes broadcast(input0, input1); later steps fold input k into the output in place.
    const void* pair[2] = {args.inputs[0], args.inputs[1]};
    void* out[1] = {args.outputs[0]};
    MISSILE_RETURN_IF_ERROR(steps_[0]->Run({pair, out, nullptr}));
    for (size_t k = 1; k < steps_.size(); ++k) {
      const void* next[2] = {args.outputs[0], args.inputs[k + 1]};
      MISSILE_RETURN_IF_ERROR(steps_[k]->Run({next, out, nullptr}));
    }
    if (scale_ != 1.0f) {
      float* o = static_cast<float*>(args.outputs[0]);
      for (int64_t i = 0; i < count_; ++i) o[i] *= scale_;
    }
    return Status::Ok();
  }

 private:
  std::vector<std::unique_ptr<Kernel>> steps_;
  float scale_;
  int64_t count_;
};

template <template <typename> class Op>
Result<std::unique_ptr<Kernel>> CreateVariadic(const NodeContext& ctx, bool mean) {
  const size_t n = ctx.input_count();
  const Shape& out_shape = ctx.output_shape(0);
  if (ctx.input_dtype(0) != DataType::kFloat32 && (mean || n > 2)) return RequireFloat32(ctx);
  if (n == 1) return MakeCopyKernel(ctx.output(0).nbytes());
  if (n == 2 && !mean) return NumericBinary<Op>(ctx);
  std::vector<std::unique_ptr<Kernel>> steps;
  Shape accumulated = ctx.input_shape(0);
  for (size_t k = 1; k < n; ++k) {
    // Intermediate results are written into the output buffer, laid out as the final broadcast shape: read
    // the running value at its own (possibly smaller) shape only in the first step.
    std::vector<Shape> shapes = {k == 1 ? accumulated : out_shape, ctx.input_shape(k)};
    steps.push_back(std::make_unique<BroadcastKernel<float, float, 2, Op<float>>>(
        BroadcastLayout(out_shape, shapes), Op<float>{}));
  }
  return std::unique_ptr<Kernel>(new VariadicKernel<Op>(
      std::move(steps), mean ? 1.0f / static_cast<float>(n) : 1.0f, NumElements(out_shape)));
}

Result<std::unique_ptr<Kernel>> CreateWhere(const NodeContext& ctx) {
  // Branches of any dtype are moved as bytes; the condition picks which.
  class WhereKernel final : public Kernel {
   public:
    WhereKernel(BroadcastLayout layout, size_t element_size)
        : layout_(std::move(layout)), size_(element_size) {}
    Status Run(const KernelArgs& args) const override {
      const auto* cond = static_cast<const bool*>(args.inputs[0]);
      const auto* a = static_cast<const std::byte*>(args.inputs[1]);
      const auto* b = static_cast<const std::byte*>(args.inputs[2]);
      auto* out = static_cast<std::byte*>(args.outputs[0]);
      const int64_t inner = layout_.inner();
      ParallelFor(layout_.rows(), 1, [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const bool* c = cond + layout_.RowOffset(0, row);
          const std::byte* x = a + layout_.RowOffset(1, row) * static_cast<int64_t>(size_);
          const std::byte* y = b + layout_.RowOffset(2, row) * static_cast<int64_t>(size_);
          std::byte* o = out + row * inner * static_cast<int64_t>(size_);
          const int64_t sc = layout_.inner_stride(0), sx = layout_.inner_stride(1),
                        sy = layout_.inner_stride(2);
          for (int64_t i = 0; i < inner; ++i) {
            const std::byte* src = c[i * sc] ? x + i * sx * static_cast<int64_t>(size_)
                                             : y + i * sy * static_cast<int64_t>(size_);
            std::memcpy(o + i * static_cast<int64_t>(size_), src, size_);
          }
        }
      });
      return Status::Ok();
    }

   private:
    BroadcastLayout layout_;
    size_t size_;
  };
  std::vector<Shape> shapes = {ctx.input_shape(0), ctx.input_shape(1), ctx.input_shape(2)};
  return std::unique_ptr<Kernel>(
      new WhereKernel(BroadcastLayout(ctx.output_shape(0), shapes), DataTypeSize(ctx.output(0).dtype)));
}

Result<std::unique_ptr<Kernel>> CreateView(const NodeContext& ctx) {
  return MakeCopyKernel(ctx.output(0).nbytes());
}

const KernelEntry kKernels[] = {
    {"Relu", [](const NodeContext& c) { return NumericMap<ReluOp>(c); }},
    {"Neg", [](const NodeContext& c) { return NumericMap<NegOp>(c); }},
    {"Abs", [](const NodeContext& c) { return NumericMap<AbsOp>(c); }},
    {"Sigmoid", [](const NodeContext& c) { return CreateActivationMap(c, {Activation::Kind::kSigmoid}); }},
    {"HardSwish",
     [](const NodeContext& c) { return CreateActivationMap(c, {Activation::Kind::kHardSwish}); }},
    {"Gelu",
     [](const NodeContext& c) -> KernelResult {
       MISSILE_ASSIGN_OR_RETURN(Activation gelu, GeluFromAttributes(c.attributes()));
       return CreateActivationMap(c, gelu);
     }},
    {"Tanh", [](const NodeContext& c) { return FloatMap(c, [](float x) { return std::tanh(x); }); }},
    {"Erf", [](const NodeContext& c) { return FloatMap(c, [](float x) { return std::erf(x); }); }},
    {"Sqrt", [](const NodeContext& c) { return FloatMap(c, [](float x) { return std::sqrt(x); }); }},
    {"Exp", [](const NodeContext& c) { return FloatMap(c, [](float x) { return std::exp(x); }); }},
    {"Log", [](const NodeContext& c) { return FloatMap(c, [](float x) { return std::log(x); }); }},
    {"Reciprocal", [](const NodeContext& c) { return FloatMap(c, [](float x) { return 1.0f / x; }); }},
    {"Floor", [](const NodeContext& c) { return FloatMap(c, [](float x) { return std::floor(x); }); }},
    {"Ceil", [](const NodeContext& c) { return FloatMap(c, [](float x) { return std::ceil(x); }); }},
    {"Sin", [](const NodeContext& c) { return FloatMap(c, [](float x) { return std::sin(x); }); }},
    {"Cos", [](const NodeContext& c) { return FloatMap(c, [](float x) { return std::cos(x); }); }},
    {"Softplus",
     [](const NodeContext& c) {
       return FloatMap(c, [](float x) { return std::log1p(std::exp(-std::abs(x))) + std::max(x, 0.0f); });
     }},
    {"HardSigmoid",
     [](const NodeContext& c) {
       const float alpha = c.attributes().Float("alpha", 0.2f), beta = c.attributes().Float("beta", 0.5f);
       return FloatMap(c,
                       [alpha, beta](float x) { return std::min(std::max(alpha * x + beta, 0.0f), 1.0f); });
     }},
    {"LeakyRelu",
     [](const NodeContext& c) {
       const float alpha = c.attributes().Float("alpha", 0.01f);
       return FloatMap(c, [alpha](float x) { return x >= 0.0f ? x : alpha * x; });
     }},
    {"Elu",
     [](const NodeContext& c) {
       const float alpha = c.attributes().Float("alpha", 1.0f);
       return FloatMap(c, [alpha](float x) { return x >= 0.0f ? x : alpha * (std::exp(x) - 1.0f); });
     }},
    {"Not",
     [](const NodeContext& c) {
       return Result<std::unique_ptr<Kernel>>(MakeUnary<bool>(c, [](bool x) { return !x; }));
     }},
    {"Cast", CreateCast},
    {"Clip", CreateClip},
    {"Identity", CreateView},
    {"Dropout", CreateView},
    {"Add", [](const NodeContext& c) { return NumericBinary<AddOp>(c); }},
    {"Sub", [](const NodeContext& c) { return NumericBinary<SubOp>(c); }},
    {"Mul", [](const NodeContext& c) { return NumericBinary<MulOp>(c); }},
    {"Div", [](const NodeContext& c) { return NumericBinary<DivOp>(c); }},
    {"Mod", CreateMod},
    {"Pow", CreatePow},
    {"Equal", [](const NodeContext& c) { return NumericBinary<EqualOp, true>(c); }},
    {"Less", [](const NodeContext& c) { return NumericBinary<LessOp, true>(c); }},
    {"LessOrEqual", [](const NodeContext& c) { return NumericBinary<LessEqualOp, true>(c); }},
    {"Greater", [](const NodeContext& c) { return NumericBinary<GreaterOp, true>(c); }},
    {"GreaterOrEqual", [](const NodeContext& c) { return NumericBinary<GreaterEqualOp, true>(c); }},
    {"And", [](const NodeContext& c) { return BoolBinary(c, [](bool a, bool b) { return a && b; }); }},
    {"Or", [](const NodeContext& c) { return BoolBinary(c, [](bool a, bool b) { return a || b; }); }},
    {"Xor", [](const NodeContext& c) { return BoolBinary(c, [](bool a, bool b) { return a != b; }); }},
    {"Max", [](const NodeContext& c) { return CreateVariadic<MaxOp>(c, false); }},
    {"Min", [](const NodeContext& c) { return CreateVariadic<MinOp>(c, false); }},
    {"Sum", [](const NodeContext& c) { return CreateVariadic<AddOp>(c, false); }},
    {"Mean", [](const NodeContext& c) { return CreateVariadic<AddOp>(c, true); }},
    {"Where", CreateWhere},
};

}  // namespace

std::span<const KernelEntry> ElementwiseKernels() {
  return kKernels;
}

}  // namespace missile::ops::cpu
