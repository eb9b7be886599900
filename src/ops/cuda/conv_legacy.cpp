// Conv on cuDNN's legacy API, with Missile's fused bias + residual + activation epilogue: the fallback when
// the graph API (conv_graph_kernel.cpp) has no engine for a convolution, and MISSILE_CUDNN_API=legacy.
//
// The algorithm is chosen once per convolution shape by timing cuDNN's candidates on scratch buffers
// (cudnnFind), and remembered for the process. When the activation is ReLU and there is a bias, cuDNN's
// fused convolution-bias-activation call does the whole node; otherwise the convolution is followed by one
// epilogue pass. Pads cuDNN cannot express (asymmetric) are applied by copying the input into a zero-padded
// workspace first.
#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

#include "device/cuda/cuda_status.h"
#include "device/cuda/device_memory.h"
#include "ops/cuda/conv_pad.h"
#include "ops/cuda/conv_setup.h"
#include "ops/cuda/cudnn_descriptors.h"
#include "ops/cuda/epilogue.h"

namespace missile::ops::cuda {
namespace {

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

class LegacyConvKernel final : public Kernel {
 public:
  explicit LegacyConvKernel(ConvSetup setup) : setup_(std::move(setup)) {}

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
  size_t pad_bytes() const { return setup_.PadBytes(); }

  Status MakeConvolutionDescriptor() {
    auto to_int = [](const std::vector<int64_t>& values) {
      return std::vector<int>(values.begin(), values.end());
    };
    std::vector<int> pads = to_int(setup_.CudnnPads());
    std::vector<int> strides = to_int(setup_.CudnnStrides());
    std::vector<int> dilations = to_int(setup_.CudnnDilations());
    cudnnConvolutionDescriptor_t raw = nullptr;
    MISSILE_CUDNN_RETURN_IF_ERROR(cudnnCreateConvolutionDescriptor(&raw));
    conv_desc_.reset(raw);
    // Half data accumulates in float (PyTorch does the same).
    MISSILE_CUDNN_RETURN_IF_ERROR(
        cudnnSetConvolutionNdDescriptor(raw, static_cast<int>(pads.size()), pads.data(), strides.data(),
                                        dilations.data(), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
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

}  // namespace

KernelResult CreateLegacyConv(const ConvSetup& setup, const BuildContext& build) {
  auto kernel = std::make_unique<LegacyConvKernel>(setup);
  MISSILE_RETURN_IF_ERROR(kernel->Init(build));
  return std::unique_ptr<Kernel>(std::move(kernel));
}

}  // namespace missile::ops::cuda
