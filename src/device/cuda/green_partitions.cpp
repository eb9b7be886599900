#include "device/cuda/green_partitions.h"

#include <cudaTypedefs.h>

#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "device/cuda/cuda_status.h"
#include "device/cuda/driver_entry.h"
#include "device/sm_partitions.h"

namespace missile::device::cuda {
namespace {

// The driver functions green contexts need (CUDA 12.4+; streams in green contexts 12.5+), fetched once.
struct GreenDriver {
  PFN_cuDeviceGet_v2000 device_get = nullptr;
  PFN_cuDeviceGetDevResource_v12040 get_resource = nullptr;
  PFN_cuDevSmResourceSplitByCount_v12040 split = nullptr;
  PFN_cuDevResourceGenerateDesc_v12040 generate_desc = nullptr;
  PFN_cuGreenCtxCreate_v12040 create = nullptr;
  PFN_cuGreenCtxDestroy_v12040 destroy = nullptr;
  PFN_cuGreenCtxStreamCreate_v12050 stream_create = nullptr;
  PFN_cuStreamDestroy_v4000 stream_destroy = nullptr;
  PFN_cuCtxFromGreenCtx_v12040 to_context = nullptr;
  PFN_cuCtxPushCurrent_v4000 push = nullptr;
  PFN_cuCtxPopCurrent_v4000 pop = nullptr;
  Status loaded;
};

const GreenDriver& Driver() {
  static const GreenDriver driver = [] {
    GreenDriver d;
    d.loaded = [&]() -> Status {
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuDeviceGet", 2000, d.device_get));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuDeviceGetDevResource", 12040, d.get_resource));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuDevSmResourceSplitByCount", 12040, d.split));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuDevResourceGenerateDesc", 12040, d.generate_desc));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuGreenCtxCreate", 12040, d.create));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuGreenCtxDestroy", 12040, d.destroy));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuGreenCtxStreamCreate", 12050, d.stream_create));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuStreamDestroy", 4000, d.stream_destroy));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuCtxFromGreenCtx", 12040, d.to_context));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuCtxPushCurrent", 4000, d.push));
      MISSILE_RETURN_IF_ERROR(FetchDriverFunction("cuCtxPopCurrent", 4000, d.pop));
      return Status::Ok();
    }();
    return d;
  }();
  return driver;
}

// One split of `all` into groups of `per_group` SMs (cuDevSmResourceSplitByCount with `flags`).
Status Split(const CUdevResource& all, unsigned int flags, int per_group, std::vector<CUdevResource>* groups,
             CUdevResource* remainder, DriverSmSplit* split) {
  const GreenDriver& driver = Driver();
  unsigned int count = 0;
  MISSILE_CU_RETURN_IF_ERROR(driver.split(nullptr, &count, &all, nullptr, flags, per_group));
  groups->assign(count, CUdevResource{});
  *remainder = CUdevResource{};
  MISSILE_CU_RETURN_IF_ERROR(driver.split(groups->data(), &count, &all, remainder, flags, per_group));
  groups->resize(count);
  split->sms = static_cast<int>(all.sm.smCount);
  split->sms_per_group = per_group;
  split->group_sms.clear();
  for (const CUdevResource& g : *groups) split->group_sms.push_back(static_cast<int>(g.sm.smCount));
  split->remainder_sms =
      remainder->type == CU_DEV_RESOURCE_TYPE_SM ? static_cast<int>(remainder->sm.smCount) : 0;
  return Status::Ok();
}

// Pops the context it pushed.
class PushedContext final : public GreenPartitions::CurrentScope {
 public:
  ~PushedContext() override {
    CUcontext popped = nullptr;
    Driver().pop(&popped);
  }
};

class GreenPartitionsImpl final : public GreenPartitions {
 public:
  ~GreenPartitionsImpl() override {
    const GreenDriver& driver = Driver();
    // Streams first: destroying a green context leaves its streams dangling (cuGreenCtxDestroy).
    for (auto& [key, stream] : streams_) {
      cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(stream));
      driver.stream_destroy(stream);
    }
    for (auto& [key, context] : contexts_) driver.destroy(context);
  }

  const SmGroups& layout() const override { return layout_; }

  Result<cudaStream_t> StreamFor(int begin, int end, int priority) override {
    MISSILE_RETURN_IF_ERROR(CheckPrecreatedSpan(layout_.groups, begin, end));
    if (priority > least_priority_ || priority < greatest_priority_) {
      return Error(ErrorCode::kInvalidArgument, "stream priority {} is outside this device's range {} .. {}",
                   priority, least_priority_, greatest_priority_);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    const auto key = std::make_tuple(begin, end, priority);
    if (auto found = streams_.find(key); found != streams_.end()) {
      return reinterpret_cast<cudaStream_t>(found->second);
    }
    CUstream stream = nullptr;
    // Green-context streams must be non-blocking (cuGreenCtxStreamCreate).
    MISSILE_CU_RETURN_IF_ERROR(
        Driver().stream_create(&stream, contexts_.at({begin, end}), CU_STREAM_NON_BLOCKING, priority));
    streams_.emplace(key, stream);
    return reinterpret_cast<cudaStream_t>(stream);
  }

  Result<std::unique_ptr<CurrentScope>> MakeCurrent(int begin, int end) override {
    MISSILE_RETURN_IF_ERROR(CheckPrecreatedSpan(layout_.groups, begin, end));
    const GreenDriver& driver = Driver();
    CUcontext context = nullptr;
    MISSILE_CU_RETURN_IF_ERROR(driver.to_context(&context, contexts_.at({begin, end})));
    MISSILE_CU_RETURN_IF_ERROR(driver.push(context));
    return std::unique_ptr<CurrentScope>(new PushedContext());
  }

  Status Init(int sms_per_group) {
    const GreenDriver& driver = Driver();
    // The primary context first: green contexts retain it, and memory from cudaMalloc lives there. Without a
    // GPU or driver this is where it fails, saying so.
    MISSILE_CUDA_RETURN_IF_ERROR(cudaFree(nullptr));
    MISSILE_RETURN_IF_ERROR(
        driver.loaded.WithContext("SM partitions need green contexts (CUDA 12.5 or newer)"));
    int ordinal = 0;
    MISSILE_CUDA_RETURN_IF_ERROR(cudaGetDevice(&ordinal));
    MISSILE_CUDA_RETURN_IF_ERROR(cudaDeviceGetStreamPriorityRange(&least_priority_, &greatest_priority_));
    MISSILE_CU_RETURN_IF_ERROR(driver.device_get(&device_, ordinal));

    CUdevResource all{};
    MISSILE_CU_RETURN_IF_ERROR(driver.get_resource(device_, &all, CU_DEV_RESOURCE_TYPE_SM));
    MISSILE_RETURN_IF_ERROR(CheckGroupSize(sms_per_group, static_cast<int>(all.sm.minSmPartitionSize),
                                           static_cast<int>(all.sm.smCoscheduledAlignment)));
    // The driver's own split keeps every group inside one GPC, so thread-block clusters (cuDNN's Hopper
    // convolutions use them) still launch in every partition; on the H200 it gives 15 groups of 8 and 12 SMs
    // left over (GPCs of unequal size). The split that ignores GPCs (16 x 8 + 4 there) is only the fallback:
    // in it, cuDNN's convolutions failed on the H200 (docs/results/partitions-2026-11-26.md).
    std::vector<CUdevResource> groups;
    CUdevResource remainder{};
    DriverSmSplit split;
    MISSILE_RETURN_IF_ERROR(Split(all, 0, sms_per_group, &groups, &remainder, &split));
    Status usable = CheckSplitGroups(split);
    if (!usable.ok()) {
      const std::string by_gpc = usable.message();
      MISSILE_RETURN_IF_ERROR(Split(all, CU_DEV_SM_RESOURCE_SPLIT_IGNORE_SM_COSCHEDULING, sms_per_group,
                                    &groups, &remainder, &split));
      MISSILE_RETURN_IF_ERROR(CheckSplitGroups(split).WithContext(
          fmt::format("also with SMs split regardless of their GPC (by GPC: {})", by_gpc)));
      layout_.clusters_limited = true;
    }
    // The remainder (12 SMs on the H200) joins the last group, so every SM belongs to some partition. It is
    // not a group of its own: its SMs are what each GPC had left over, so no cluster fits in them, and on the
    // H200 a cuDNN convolution failed in a partition of the remainder alone (2026-11-26).
    std::vector<std::vector<CUdevResource>> parts;
    for (const CUdevResource& group : groups) parts.push_back({group});
    if (split.remainder_sms > 0) parts.back().push_back(remainder);
    layout_.sms = split.sms;
    layout_.sms_per_group = sms_per_group;
    layout_.groups = static_cast<int>(parts.size());

    for (const GroupSpan& span : PrecreatedSpans(layout_.groups)) {
      // Resources of one split may be combined into one descriptor (cuDevResourceGenerateDesc).
      std::vector<CUdevResource> members;
      for (int g = span.begin; g < span.end; ++g) {
        members.insert(members.end(), parts[static_cast<size_t>(g)].begin(),
                       parts[static_cast<size_t>(g)].end());
      }
      CUdevResourceDesc desc = nullptr;
      MISSILE_CU_RETURN_IF_ERROR(
          driver.generate_desc(&desc, members.data(), static_cast<unsigned int>(members.size())));
      CUgreenCtx context = nullptr;
      const CUresult created = driver.create(&context, desc, device_, CU_GREEN_CTX_DEFAULT_STREAM);
      if (created != CUDA_SUCCESS) {
        return DriverError(created, "cuGreenCtxCreate")
            .WithContext(fmt::format("green context for SM groups [{},{})", span.begin, span.end));
      }
      contexts_.emplace(std::make_pair(span.begin, span.end), context);
    }
    return Status::Ok();
  }

 private:
  SmGroups layout_;
  CUdevice device_ = 0;
  int least_priority_ = 0;
  int greatest_priority_ = 0;
  std::map<std::pair<int, int>, CUgreenCtx> contexts_;  // filled by Init, read-only after
  std::mutex mutex_;                                    // guards streams_
  std::map<std::tuple<int, int, int>, CUstream> streams_;
};

}  // namespace

Result<std::unique_ptr<GreenPartitions>> GreenPartitions::Create(int sms_per_group) {
  auto partitions = std::make_unique<GreenPartitionsImpl>();
  Status initialized = partitions->Init(sms_per_group);
  if (!initialized.ok()) return initialized.WithContext("creating green-context SM partitions");
  return std::unique_ptr<GreenPartitions>(std::move(partitions));
}

}  // namespace missile::device::cuda
