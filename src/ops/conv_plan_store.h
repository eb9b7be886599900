// Tuned convolution plans kept across processes (MISSILE_CUDNN_PLAN_CACHE=FILE). Autotuning finalizes and
// times up to 16 cuDNN plans per shape, and runtime-compiled engines cost 0.1-0.4 s each to finalize
// (docs/results/conv-load-time-h200-2026-11-26.md); with the winner on file a later process finalizes only
// the winner. Entries are keyed by the GPU, the cuDNN version and the shape (the caller builds the key); a
// plan the search would no longer accept, or that no longer finalizes, is tuned anew by the caller.
//
// The file is JSON, rewritten whole (through a temporary file and a rename) after each new entry, so a reader
// never sees half of it. Two processes tuning at once may each drop the other's new entries: it is a cache.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/status.h"

namespace missile::ops {

struct StoredConvPlan {
  bool fused =
      false;  // the graph with the epilogue fused (else the bare convolution, Missile's epilogue after)
  std::string plan;  // cuDNN engine and knob choices, as the plan search names them ("eng12{k1=2}+rtc")
  bool operator==(const StoredConvPlan&) const = default;
};

class ConvPlanStore {
 public:
  // The entries of `path`: none when the file does not exist; kInvalidArgument when it is not a plan file.
  static Result<std::unique_ptr<ConvPlanStore>> Open(std::string path);

  std::optional<StoredConvPlan> Find(const std::string& key) const;
  // Adds or replaces the entry and rewrites the file.
  Status Put(const std::string& key, const StoredConvPlan& plan);

  const std::string& path() const { return path_; }
  size_t size() const;

 private:
  explicit ConvPlanStore(std::string path) : path_(std::move(path)) {}

  std::string path_;
  mutable std::mutex mutex_;
  std::map<std::string, StoredConvPlan> plans_;
};

}  // namespace missile::ops
