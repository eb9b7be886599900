#include "partition_setup.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <future>

#include "sched/cuda/cuda_kernel_launcher.h"
#include "sched/cuda/green_partition_streams.h"

namespace missile::bench {
namespace {

using sched::GroupRange;

// Completes one launch into a promise.
class OneShot final : public sched::KernelListener {
 public:
  void OnKernelDone(const sched::KernelLaunch&, const Status& status) override { done.set_value(status); }
  std::promise<Status> done;
};

// One whole request of `probe` in `partition`, kernel by kernel, its outputs back on the host.
Result<std::vector<Tensor>> RunIn(sched::cuda::PartitionStreams& streams, const GpuTenant& probe,
                                  const GroupRange& partition) {
  sched::cuda::CudaKernelLauncher launcher(streams);
  MISSILE_RETURN_IF_ERROR(launcher.AddModel(0, *probe.executable));
  sched::KernelLaunch launch;
  launch.steps = probe.executable->step_count();
  launch.step_count = launch.steps;
  launch.partition = partition;
  launch.stream_priority = sched::kHighestStreamPriority;
  launch.kernel = &probe.profile->kernels[0];
  OneShot listener;
  std::future<Status> done = listener.done.get_future();
  launcher.Launch(launch, listener);
  MISSILE_RETURN_IF_ERROR(done.get());
  return launcher.TakeOutputs(0, 0);
}

// Largest difference between two runs' outputs, relative to the largest magnitude.
Result<double> Difference(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return Error(ErrorCode::kInternal, "output counts differ");
  double largest = 1e-6, diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].dtype() != DataType::kFloat32 || a[i].num_elements() != b[i].num_elements()) {
      return Error(ErrorCode::kInternal, "output {} is not float32 of one shape in both runs", i);
    }
    for (int64_t k = 0; k < a[i].num_elements(); ++k) {
      const double x = a[i].data<float>()[k], y = b[i].data<float>()[k];
      if (!std::isfinite(x) || !std::isfinite(y)) return Error(ErrorCode::kInternal, "non-finite output");
      largest = std::max(largest, std::abs(x));
      diff = std::max(diff, std::abs(x - y));
    }
  }
  return diff / largest;
}

// Runs `probe` on the whole GPU (reference, plain streams) and in partitions at both ends and between; every
// partition is tried, so that the report names each one that fails.
Status Check(sched::cuda::PartitionStreams& green, const GpuTenant& probe, const sched::GpuLayout& layout,
             std::string* report) {
  sched::cuda::WholeGpuStreams plain("reference");
  MISSILE_ASSIGN_OR_RETURN(const std::vector<Tensor> reference, RunIn(plain, probe, layout.all()));
  const int n = layout.groups();
  std::vector<std::string> failures;
  for (const GroupRange& partition :
       {GroupRange{0, 1}, GroupRange{0, 2}, GroupRange{0, n / 2}, GroupRange{n - 1, n}, GroupRange{n / 2, n},
        GroupRange{1, n}, layout.all()}) {
    const std::string where = fmt::format("[{},{})", partition.begin, partition.end);
    Result<std::vector<Tensor>> outputs = RunIn(green, probe, partition);
    if (!outputs.ok()) {
      // A failed kernel launch leaves its error for the next CUDA call to report: clear it here.
      (void)cudaDeviceSynchronize();
      (void)cudaGetLastError();
      failures.push_back(where + ": " + outputs.status().ToString());
      continue;
    }
    MISSILE_ASSIGN_OR_RETURN(const double diff, Difference(reference, *outputs));
    if (diff > 1e-2) {
      failures.push_back(fmt::format("{}: outputs {:.3g} (relative) off the whole GPU's", where, diff));
      continue;
    }
    *report += fmt::format(" {}: {:.1e}", where, diff);
  }
  if (!failures.empty()) {
    return Error(ErrorCode::kInternal, "{} of 7 partitions failed (passed:{}): {}", failures.size(),
                 report->empty() ? " none" : *report, fmt::join(failures, "; "));
  }
  return Status::Ok();
}

}  // namespace

Result<PartitionSetup> SetUpPartitions(const std::string& mode, const GpuTenant& probe,
                                       const sched::GpuLayout& layout) {
  PartitionSetup setup;
  if (mode == "none") {
    setup.streams = std::make_unique<sched::cuda::WholeGpuStreams>("not asked for (--partitions none)");
    return setup;
  }
  if (mode != "auto") {
    return Error(ErrorCode::kInvalidArgument, "--partitions must be 'auto' or 'none', got '{}'", mode);
  }
  auto green = sched::cuda::GreenPartitionStreams::Create(layout);
  if (!green.ok()) {
    setup.streams = std::make_unique<sched::cuda::WholeGpuStreams>(green.status().ToString());
    return setup;
  }
  std::string report;
  const Status checked = Check(**green, probe, layout, &report);
  if (!checked.ok()) {
    setup.streams = std::make_unique<sched::cuda::WholeGpuStreams>(
        "green contexts were made but a request in them failed the check: " + checked.ToString());
    return setup;
  }
  setup.note =
      "checked: an LS request in green-context partitions matched the whole GPU's outputs (relative "
      "difference)" +
      report;
  setup.streams = std::move(green).value();
  return setup;
}

}  // namespace missile::bench
