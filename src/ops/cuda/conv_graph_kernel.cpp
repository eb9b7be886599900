// Conv through cuDNN's graph (backend) API, autotuned per shape (conv_graph_tuning.h): the path PyTorch takes
// to cuDNN's newer engines, which the legacy cudnnFind algorithms do not reach. The tuned plan is cached for
// the process; when no engine takes a convolution the caller falls back to the legacy API (conv_legacy.cpp).
#include <fmt/format.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "device/cuda/cuda_status.h"
#include "ops/cuda/conv_graph_tuning.h"
#include "ops/cuda/conv_pad.h"
#include "ops/cuda/conv_setup.h"
#include "ops/cuda/cudnn/variant_pack.h"

namespace missile::ops::cuda {
namespace {

std::mutex& TunedCacheMutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<std::string, std::shared_ptr<const TunedConv>>& TunedCache() {
  static std::map<std::string, std::shared_ptr<const TunedConv>> cache;
  return cache;
}

class GraphConvKernel final : public Kernel {
 public:
  GraphConvKernel(ConvSetup setup, std::shared_ptr<const TunedConv> tuned)
      : setup_(std::move(setup)), tuned_(std::move(tuned)) {}

  size_t workspace_bytes() const override {
    return setup_.PadBytes() + static_cast<size_t>(tuned_->plan.workspace_bytes);
  }

  Status Run(const KernelArgs& args) const override {
    const LaunchContext& launch = *args.launch;
    std::byte* workspace = static_cast<std::byte*>(args.workspace);
    ConvPointers p;
    p.x = args.inputs[0];
    if (setup_.pre_pad) {
      MISSILE_RETURN_IF_ERROR(EnqueueZeroPad(setup_.dtype, setup_.window, setup_.x_dims[0] * setup_.x_dims[1],
                                             p.x, workspace, launch.stream));
      p.x = workspace;
    }
    p.w = args.inputs[1];
    p.y = args.outputs[0];
    p.bias = setup_.has_bias ? args.inputs[2] : nullptr;
    p.residual = setup_.has_residual ? args.inputs[3] : nullptr;
    void* plan_workspace = tuned_->plan.workspace_bytes > 0 ? workspace + setup_.PadBytes() : nullptr;
    {
      // The variant pack is rebuilt only when the buffers change (they rarely do: the arena is fixed per
      // executable). cuDNN reads it on the host during Execute, so it stays under the lock.
      std::lock_guard lock(pack_mutex_);
      std::vector<void*> bound = BindPointers(tuned_->graph->uids, p);
      if (!pack_ || bound != pack_pointers_ || plan_workspace != pack_workspace_) {
        MISSILE_ASSIGN_OR_RETURN(pack_, cudnn::MakeVariantPack(tuned_->graph->uids, bound, plan_workspace));
        pack_pointers_ = std::move(bound);
        pack_workspace_ = plan_workspace;
      }
      MISSILE_RETURN_IF_ERROR(cudnn::Execute(launch.cudnn, tuned_->plan.plan, pack_));
    }
    if (tuned_->epilogue_after) MISSILE_RETURN_IF_ERROR(EnqueueEpilogueAfter(setup_, p, launch.stream));
    return Status::Ok();
  }

 private:
  ConvSetup setup_;
  std::shared_ptr<const TunedConv> tuned_;
  mutable std::mutex pack_mutex_;
  mutable cudnn::BackendDescriptor pack_;
  mutable std::vector<void*> pack_pointers_;
  mutable void* pack_workspace_ = nullptr;
};

}  // namespace

KernelResult CreateGraphConv(const ConvSetup& setup, const BuildContext& build) {
  // Plans are shared by every kernel of the shape in the process, whichever handle runs them, but a plan
  // belongs to the GPU it was built for.
  int device = 0;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));
  const std::string key = fmt::format("gpu{}/{}", device, setup.Key());
  std::shared_ptr<const TunedConv> tuned;
  bool cached = false;
  {
    std::lock_guard lock(TunedCacheMutex());
    auto it = TunedCache().find(key);
    if (it != TunedCache().end()) {
      cached = true;
      tuned = it->second;
    }
  }
  if (cached && tuned == nullptr) {
    return Error(ErrorCode::kUnimplemented, "cuDNN's graph API has no engine for this convolution ({})", key);
  }
  if (!cached) {
    auto result = TuneGraphConv(setup, build);
    // "No engine" is remembered like a plan, so later nodes of this shape go straight to the legacy API.
    if (!result.ok() && result.status().code() != ErrorCode::kUnimplemented) return result.status();
    std::lock_guard lock(TunedCacheMutex());
    TunedCache().emplace(key, result.ok() ? *result : nullptr);
    if (!result.ok()) return result.status();
    tuned = *result;
  }
  return std::unique_ptr<Kernel>(new GraphConvKernel(setup, std::move(tuned)));
}

}  // namespace missile::ops::cuda
