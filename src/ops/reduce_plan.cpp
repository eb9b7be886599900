#include "ops/reduce_plan.h"

#include <algorithm>

namespace missile::ops {

Result<ReducePlan> ReducePlan::From(std::span<const int64_t> shape, const std::vector<bool>& reduced) {
  const std::vector<int64_t> strides = ContiguousStrides(shape);
  std::vector<int64_t> kept_sizes, kept_strides, reduced_sizes, reduced_strides;
  ReducePlan plan;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (reduced[d]) {
      reduced_sizes.push_back(shape[d]);
      reduced_strides.push_back(strides[d]);
      plan.reduced_count *= shape[d];
    } else {
      kept_sizes.push_back(shape[d]);
      kept_strides.push_back(strides[d]);
      plan.output_count *= shape[d];
    }
    if (shape[d] != 1) plan.outputs_adjacent = !reduced[d];
  }
  MISSILE_ASSIGN_OR_RETURN(plan.outputs, MakeStridedIndex(kept_sizes, kept_strides));
  MISSILE_ASSIGN_OR_RETURN(plan.reduced, MakeStridedIndex(reduced_sizes, reduced_strides));
  return plan;
}

ReduceLaunch PlanReduceLaunch(const ReducePlan& plan, int64_t resident_threads) {
  ReduceLaunch launch;
  int64_t threads = 0;           // threads the outputs occupy without splitting
  int64_t min_slice_length = 0;  // shorter slices would cost more in the extra launch than they save
  if (plan.outputs_adjacent) {
    launch.strategy = ReduceStrategy::kColumns;
    const int64_t tiles = (plan.output_count + kReduceColumnsWidth - 1) / kReduceColumnsWidth;
    threads = tiles * kReduceColumnsWidth * kReduceColumnsHeight;
    min_slice_length = kReduceMinPerThread * kReduceColumnsHeight;
  } else if (plan.reduced_count <= kReduceWarpMaxLength) {
    launch.strategy = ReduceStrategy::kWarpPerOutput;
    threads = plan.output_count * 32;
    min_slice_length = kReduceMinPerThread * 32;
  } else {
    launch.strategy = ReduceStrategy::kBlockPerOutput;
    threads = plan.output_count * kReduceBlockThreads;
    min_slice_length = kReduceMinPerThread * kReduceBlockThreads;
  }
  int64_t slices = 1;
  if (threads > 0 && threads < resident_threads) {
    slices = std::min({resident_threads / threads, plan.reduced_count / min_slice_length, kReduceMaxSlices});
    slices = std::max<int64_t>(slices, 1);
  }
  launch.slice_length = slices > 1 ? (plan.reduced_count + slices - 1) / slices : plan.reduced_count;
  // No empty slice: every partial result then folds at least one element.
  launch.slices = slices > 1 ? (plan.reduced_count + launch.slice_length - 1) / launch.slice_length : 1;
  return launch;
}

}  // namespace missile::ops
