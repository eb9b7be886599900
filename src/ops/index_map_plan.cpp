#include "ops/index_map_plan.h"

namespace missile::ops {

Result<IndexMapPlan> PlanIndexMap(std::span<const int64_t> in, std::span<const int64_t> out,
                                  FunctionRef<int64_t(size_t, int64_t)> source) {
  struct Dim {
    int64_t size, in_stride, table;
  };
  const std::vector<int64_t> in_strides = ContiguousStrides(in);
  IndexMapPlan plan;
  std::vector<Dim> dims;
  for (size_t d = 0; d < out.size(); ++d) {
    std::vector<int64_t> map(static_cast<size_t>(out[d]));
    bool identity = out[d] == in[d];
    for (int64_t j = 0; j < out[d]; ++j) {
      map[static_cast<size_t>(j)] = source(d, j);
      identity = identity && map[static_cast<size_t>(j)] == j;
    }
    if (identity) {
      if (out[d] == 1) continue;  // reads index 0 only
      // Identity dims of a contiguous input merge: the previous one's stride is this one's times its size.
      if (!dims.empty() && dims.back().table < 0 && dims.back().in_stride == in_strides[d] * out[d]) {
        dims.back().size *= out[d];
        dims.back().in_stride = in_strides[d];
      } else {
        dims.push_back({out[d], in_strides[d], -1});
      }
      continue;
    }
    dims.push_back({out[d], in_strides[d], static_cast<int64_t>(plan.table.size())});
    plan.table.insert(plan.table.end(), map.begin(), map.end());
  }
  if (dims.size() > static_cast<size_t>(kMaxIndexRank)) {
    return Error(ErrorCode::kUnimplemented, "the CUDA backend maps at most {} non-mergeable dims, got {}",
                 kMaxIndexRank, dims.size());
  }
  plan.index.rank = static_cast<int>(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    plan.index.sizes[d] = dims[d].size;
    plan.index.in_strides[d] = dims[d].in_stride;
    plan.index.tables[d] = dims[d].table;
  }
  return plan;
}

}  // namespace missile::ops
