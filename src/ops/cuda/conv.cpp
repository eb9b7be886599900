// Conv on cuDNN, with Missile's fused bias + residual + activation epilogue.
//
// The algorithm is chosen once per convolution shape by timing cuDNN's candidates on scratch buffers
// (cudnnFind), and remembered for the process. When the activation is ReLU and there is a bias, cuDNN's
// fused convolution-bias-activation call does the whole node; otherwise the convolution is followed by one
// epilogue pass. Pads cuDNN cannot express (asymmetric) are applied by copying the input into a zero-padded
// workspace first.
#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <map>
#include <mutex>
#include <vector>

#include "device/cuda/cuda_status.h"
#include "device/cuda/device_memory.h"
#include "ops/cuda/conv_pad.h"
#include "ops/cuda/cuda_kernels.h"
#include "ops/cuda/cudnn_descriptors.h"
#include "ops/cuda/epilogue.h"
#include "ops/window_geometry.h"

namespace missile::ops::cuda {
namespace {

// The most scratch one convolution may take; cuDNN's fastest algorithms rarely want more.
constexpr size_t kMaxConvWorkspace = size_t{512} << 20;

struct AlgorithmChoice {
  cudnnConvolutionFwdAlgo_t algorithm;
  cudnnMathType_t math;
  size_t workspace;
  bool fused;  // cuDNN's convolution-bias-ReLU call accepted this convolution in a trial run
};

std::mutex& AlgorithmCacheMutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<std::string, AlgorithmChoice>& AlgorithmCache() {
  static std::map<std::string, AlgorithmChoice> cache;
  return cache;
}

struct ConvSetup {
  DataType dtype;
  Window3d window;
  bool pre_pad = false;         // asymmetric pads: copy X into a padded workspace, convolve without pads
  std::vector<int64_t> x_dims;  // as cuDNN sees X (padded when pre_pad)
  std::vector<int64_t> w_dims;
  std::vector<int64_t> y_dims;
  int64_t groups = 1;
  bool has_bias = false;
  bool has_residual = false;
  Activation activation;
  bool allow_tf32 = true;

  bool WantsFusedCall() const {
    return has_bias && activation.kind == Activation::Kind::kRelu && FusedCallEnabled();
  }

  // MISSILE_CUDNN_FUSED=0 turns the fused call off (convolution + epilogue instead): a diagnostic switch for
  // comparing the two paths on one GPU, read once.
  static bool FusedCallEnabled() {
    static const bool enabled = [] {
      const char* value = std::getenv("MISSILE_CUDNN_FUSED");
      return value == nullptr || std::string_view(value) != "0";
    }();
    return enabled;
  }

  // Everything cudnnFind's answer depends on.
  std::string Key() const {
    std::string key =
        fmt::format("{}/{}/{}/{}/{}", static_cast<int>(dtype), groups, allow_tf32, pre_pad, WantsFusedCall());
    auto append = [&key](std::span<const int64_t> values) {
      key += '/';
      for (int64_t v : values) key += std::to_string(v) + ',';
    };
    append(x_dims);
    append(w_dims);
    append(y_dims);
    append(window.strides);
    append(window.dilations);
    append(window.pad_begin);
    return key;
  }
};

int64_t Elements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

class CudnnConvKernel final : public Kernel {
 public:
  explicit CudnnConvKernel(ConvSetup setup) : setup_(std::move(setup)) {}

  Status Init(const BuildContext& build) {
    MISSILE_ASSIGN_OR_RETURN(x_desc_, MakeTensorDescriptor(setup_.dtype, setup_.x_dims));
    MISSILE_ASSIGN_OR_RETURN(y_desc_, MakeTensorDescriptor(setup_.dtype, setup_.y_dims));
    MISSILE_ASSIGN_OR_RETURN(w_desc_, MakeFilterDescriptor(setup_.dtype, setup_.w_dims));
    if (setup_.has_bias) {
      std::vector<int64_t> bias_dims(setup_.y_dims.size(), 1);
      bias_dims[1] = setup_.y_dims[1];
      MISSILE_ASSIGN_OR_RETURN(bias_desc_, MakeTensorDescriptor(setup_.dtype, bias_dims));
    }
    MISSILE_RETURN_IF_ERROR(MakeConvolutionDescriptor());
    if (setup_.WantsFusedCall()) {
      cudnnActivationDescriptor_t raw = nullptr;
      MISSILE_CUDNN_RETURN_IF_ERROR(cudnnCreateActivationDescriptor(&raw));
      activation_desc_.reset(raw);
      MISSILE_CUDNN_RETURN_IF_ERROR(
          cudnnSetActivationDescriptor(raw, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0));
    }
    return ChooseAlgorithm(build);
  }

  size_t workspace_bytes() const override { return pad_bytes() + choice_.workspace; }

  Status Run(const KernelArgs& args) const override {
    const LaunchContext& launch = *args.launch;
    const void* x = args.inputs[0];
    std::byte* workspace = static_cast<std::byte*>(args.workspace);
    if (setup_.pre_pad) {
      MISSILE_RETURN_IF_ERROR(EnqueueZeroPad(setup_.dtype, setup_.window, setup_.x_dims[0] * setup_.x_dims[1],
                                             x, workspace, launch.stream));
      x = workspace;
    }
    void* algorithm_workspace = choice_.workspace > 0 ? workspace + pad_bytes() : nullptr;
    const void* w = args.inputs[1];
    const void* bias = setup_.has_bias ? args.inputs[2] : nullptr;
    const void* residual = setup_.has_residual ? args.inputs[3] : nullptr;
    void* y = args.outputs[0];
    // Scaling factors are float for both float and half data (cuDNN's rule for these types).
    const float one = 1.0f;
    const float zero = 0.0f;
    if (choice_.fused) {
      const float residual_scale = residual != nullptr ? 1.0f : 0.0f;
      MISSILE_CUDNN_RETURN_IF_ERROR(cudnnConvolutionBiasActivationForward(
          launch.cudnn, &one, x_desc_.get(), x, w_desc_.get(), w, conv_desc_.get(), choice_.algorithm,
          algorithm_workspace, choice_.workspace, &residual_scale, y_desc_.get(),
          residual != nullptr ? residual : y, bias_desc_.get(), bias, activation_desc_.get(), y_desc_.get(),
          y));
      return Status::Ok();
    }
    MISSILE_CUDNN_RETURN_IF_ERROR(cudnnConvolutionForward(
        launch.cudnn, &one, x_desc_.get(), x, w_desc_.get(), w, conv_desc_.get(), choice_.algorithm,
        algorithm_workspace, choice_.workspace, &zero, y_desc_.get(), y));
    if (bias == nullptr && residual == nullptr && setup_.activation.none()) return Status::Ok();
    EpilogueShape shape;
    shape.elements = Elements(setup_.y_dims);
    shape.channels = setup_.y_dims[1];
    shape.inner = shape.elements / std::max<int64_t>(1, setup_.y_dims[0] * setup_.y_dims[1]);
    return EnqueueEpilogue(setup_.dtype, shape, y, bias, residual, setup_.activation, launch.stream);
  }

 private:
  size_t pad_bytes() const {
    if (!setup_.pre_pad) return 0;
    // Rounded to 256 bytes so the algorithm's workspace after it stays aligned.
    const size_t bytes = static_cast<size_t>(Elements(setup_.x_dims)) * DataTypeSize(setup_.dtype);
    return (bytes + 255) / 256 * 256;
  }

  Status MakeConvolutionDescriptor() {
    // Spatial dims as cuDNN sees them: at least two (a 1-D convolution is a 2-D one over [W, 1]).
    const size_t spatial = std::max<size_t>(2, setup_.x_dims.size() - 2);
    std::vector<int> pads(spatial, 0), strides(spatial, 1), dilations(spatial, 1);
    const size_t rank = setup_.x_dims.size() - 2;
    // Window3d right-aligns the spatial dims in three slots; cuDNN takes them left-aligned.
    const size_t first = 3 - std::min<size_t>(rank, 3);
    for (size_t a = 0; a < std::min<size_t>(rank, 3); ++a) {
      pads[a] = setup_.pre_pad ? 0 : static_cast<int>(setup_.window.pad_begin[first + a]);
      strides[a] = static_cast<int>(setup_.window.strides[first + a]);
      dilations[a] = static_cast<int>(setup_.window.dilations[first + a]);
    }
    cudnnConvolutionDescriptor_t raw = nullptr;
    MISSILE_CUDNN_RETURN_IF_ERROR(cudnnCreateConvolutionDescriptor(&raw));
    conv_desc_.reset(raw);
    // Half data accumulates in float (PyTorch does the same).
    MISSILE_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionNdDescriptor(raw, static_cast<int>(spatial), pads.data(),
                                                                  strides.data(), dilations.data(),
                                                                  CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    MISSILE_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionGroupCount(raw, static_cast<int>(setup_.groups)));
    return Status::Ok();
  }

  cudnnMathType_t AllowedMath() const {
    if (setup_.dtype == DataType::kFloat16) return CUDNN_TENSOR_OP_MATH;
    return setup_.allow_tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
  }

  Status ChooseAlgorithm(const BuildContext& build) {
    const std::string key = setup_.Key();
    {
      std::lock_guard lock(AlgorithmCacheMutex());
      auto it = AlgorithmCache().find(key);
      if (it != AlgorithmCache().end()) {
        choice_ = it->second;
        MISSILE_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionMathType(conv_desc_.get(), choice_.math));
        return Status::Ok();
      }
    }
    MISSILE_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionMathType(conv_desc_.get(), AllowedMath()));
    // Scratch operands of the real sizes: cudnnFind times each algorithm on them.
    const size_t element = DataTypeSize(setup_.dtype);
    MISSILE_ASSIGN_OR_RETURN(auto x, device::cuda::DeviceBuffer::Allocate(Elements(setup_.x_dims) * element));
    MISSILE_ASSIGN_OR_RETURN(auto w, device::cuda::DeviceBuffer::Allocate(Elements(setup_.w_dims) * element));
    MISSILE_ASSIGN_OR_RETURN(auto y, device::cuda::DeviceBuffer::Allocate(Elements(setup_.y_dims) * element));
    size_t free_bytes = 0, total_bytes = 0;
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemGetInfo(&free_bytes, &total_bytes));
    const size_t limit = std::min(kMaxConvWorkspace, free_bytes / 4);
    MISSILE_ASSIGN_OR_RETURN(auto workspace, device::cuda::DeviceBuffer::Allocate(limit));
    // Zeros keep the trial runs free of NaNs and denormals that could skew the timings.
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(x.data(), 0, x.size(), build.launch->stream));
    MISSILE_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(w.data(), 0, w.size(), build.launch->stream));
    MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(build.launch->stream));

    constexpr int kCandidates = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
    cudnnConvolutionFwdAlgoPerf_t results[kCandidates];
    int returned = 0;
    MISSILE_CUDNN_RETURN_IF_ERROR(cudnnFindConvolutionForwardAlgorithmEx(
        build.launch->cudnn, x_desc_.get(), x.data(), w_desc_.get(), w.data(), conv_desc_.get(),
        y_desc_.get(), y.data(), kCandidates, &returned, results, workspace.data(), limit));
    const bool tensor_ops_allowed = AllowedMath() != CUDNN_FMA_MATH;
    for (int i = 0; i < returned; ++i) {
      const cudnnConvolutionFwdAlgoPerf_t& r = results[i];
      if (r.status != CUDNN_STATUS_SUCCESS || r.memory > limit) continue;
      if (!tensor_ops_allowed && r.mathType != CUDNN_FMA_MATH && r.mathType != CUDNN_DEFAULT_MATH) continue;
      choice_ = {r.algo, r.mathType, r.memory, false};
      MISSILE_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionMathType(conv_desc_.get(), choice_.math));
      if (setup_.WantsFusedCall()) {
        // Not every algorithm has a fused form: try it once, fall back to convolution + epilogue.
        MISSILE_ASSIGN_OR_RETURN(auto bias, device::cuda::DeviceBuffer::Allocate(setup_.y_dims[1] * element));
        MISSILE_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(bias.data(), 0, bias.size(), build.launch->stream));
        const float one = 1.0f, zero = 0.0f;
        choice_.fused = cudnnConvolutionBiasActivationForward(
                            build.launch->cudnn, &one, x_desc_.get(), x.data(), w_desc_.get(), w.data(),
                            conv_desc_.get(), choice_.algorithm, workspace.data(), choice_.workspace, &zero,
                            y_desc_.get(), y.data(), bias_desc_.get(), bias.data(), activation_desc_.get(),
                            y_desc_.get(), y.data()) == CUDNN_STATUS_SUCCESS;
        MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(build.launch->stream));
      }
      std::lock_guard lock(AlgorithmCacheMutex());
      AlgorithmCache().emplace(key, choice_);
      return Status::Ok();
    }
    return Error(ErrorCode::kUnimplemented, "cuDNN has no algorithm for this convolution ({})", key);
  }

  ConvSetup setup_;
  AlgorithmChoice choice_{};
  TensorDescriptor x_desc_;
  TensorDescriptor y_desc_;
  TensorDescriptor bias_desc_;
  FilterDescriptor w_desc_;
  ConvolutionDescriptor conv_desc_;
  ActivationDescriptor activation_desc_;
};

KernelResult CreateConv(const NodeContext& ctx, const BuildContext& build) {
  const Shape& x = ctx.input_shape(0);
  const Shape& w = ctx.input_shape(1);
  const std::span<const int64_t> x_spatial(x.begin() + 2, x.end());
  const std::span<const int64_t> w_spatial(w.begin() + 2, w.end());
  MISSILE_ASSIGN_OR_RETURN(WindowGeometry geometry,
                           ParseWindowGeometry(ctx.attributes(), x_spatial, w_spatial));
  ConvSetup setup;
  setup.dtype = ctx.input_dtype(0);
  MISSILE_ASSIGN_OR_RETURN(setup.window, ToWindow3d(geometry));
  setup.groups = ctx.attributes().Int("group", 1);
  setup.has_bias = ctx.has_input(2);
  setup.has_residual = ctx.has_input(3);
  setup.activation = ActivationFromAttributes(ctx.attributes());
  setup.allow_tf32 = build.allow_tf32;
  setup.pre_pad = geometry.pad_begin != geometry.pad_end;
  setup.x_dims.assign(x.begin(), x.end());
  if (setup.pre_pad) {
    for (size_t a = 0; a < x_spatial.size(); ++a) {
      setup.x_dims[2 + a] = x_spatial[a] + geometry.pad_begin[a] + geometry.pad_end[a];
    }
  }
  setup.w_dims.assign(w.begin(), w.end());
  setup.y_dims.assign(ctx.output_shape(0).begin(), ctx.output_shape(0).end());
  if (Elements(setup.y_dims) == 0) {
    return Error(ErrorCode::kUnimplemented,
                 "an empty convolution output is not supported by the CUDA backend");
  }
  auto kernel = std::make_unique<CudnnConvKernel>(std::move(setup));
  MISSILE_RETURN_IF_ERROR(kernel->Init(build));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

constexpr KernelEntry kConvKernels[] = {{"Conv", CreateConv}};

}  // namespace

std::span<const KernelEntry> ConvKernels() {
  return kConvKernels;
}

}  // namespace missile::ops::cuda
