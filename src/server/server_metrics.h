// What the server counts and how /metrics shows it. Every metric name is documented in docs/server.md.
//
// Counters and histograms are updated on request threads (atomics and short locks); gauges (queue depth, VRAM
// in use, PCIe totals, SM share) are read from their owners when /metrics is scraped, into a MetricsView that
// RenderMetrics formats. Rendering is pure, so its output is unit-tested.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "memory/l2_setaside_coordinator.h"
#include "memory/vram_quota.h"
#include "pcie/transfer_metrics.h"
#include "server/prometheus_text.h"
#include "server/served_model.h"
#include "server/server_config.h"

namespace missile::server {

// A fixed-bucket histogram, safe to update from many threads.
class BucketHistogram {
 public:
  explicit BucketHistogram(std::vector<double> upper_bounds);
  void Observe(double value);
  HistogramSample Sample() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<uint64_t> counts_;  // per bucket, the last one above every bound
  double sum_ = 0;
  uint64_t count_ = 0;
};

// Seconds, from 50 us to 60 s: covers a GPU ResNet-50 batch-1 request and a CPU one under load.
std::vector<double> LatencyBucketsSeconds();

// Why a request to a model ended as it did.
enum class RequestOutcome {
  kSuccess,
  kInvalidInput,  // malformed body, wrong tensor name / shape / datatype / element count, truncated binary
  kModelUnavailable,  // the model is declared but not loaded
  kExecutionError,    // the engine failed on a valid request
};
inline constexpr size_t kRequestOutcomeCount = 4;
const char* RequestOutcomeLabel(RequestOutcome outcome);

class ModelMetrics {
 public:
  ModelMetrics(std::string model, std::string tenant);

  void Count(RequestOutcome outcome) { outcomes_[static_cast<size_t>(outcome)].fetch_add(1); }
  // A successful request: its whole time in the server, its wait in the tenant's queue and its stages.
  void ObserveSuccess(double request_s, double queue_s, const ExecutionTimes& times);

  const std::string& model() const { return model_; }
  const std::string& tenant() const { return tenant_; }
  uint64_t outcome_count(RequestOutcome outcome) const {
    return outcomes_[static_cast<size_t>(outcome)].load();
  }
  HistogramSample request_seconds() const { return request_.Sample(); }
  HistogramSample queue_seconds() const { return queue_.Sample(); }
  HistogramSample compute_seconds() const { return compute_.Sample(); }
  HistogramSample transfer_seconds() const { return transfer_.Sample(); }

 private:
  const std::string model_;
  const std::string tenant_;
  std::array<std::atomic<uint64_t>, kRequestOutcomeCount> outcomes_{};
  BucketHistogram request_;
  BucketHistogram queue_;
  BucketHistogram compute_;
  BucketHistogram transfer_;  // host->device plus device->host
};

// HTTP responses by status code, whatever the route (413s and 404s for unknown routes included).
class HttpResponseCounter {
 public:
  void Count(int status);
  std::map<int, uint64_t> Snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::map<int, uint64_t> counts_;
};

// A tenant as the executor sees it at scrape time.
struct TenantRuntimeState {
  std::string tenant;
  size_t queued = 0;         // requests waiting in the tenant's queue
  bool running = false;      // a request of the tenant is executing
  double compute_share = 0;  // the share of the device's compute units its running work holds
};

struct ModelView {
  const ModelMetrics* metrics = nullptr;
  bool ready = false;
  int in_flight = 0;
  std::optional<ModelFootprint> footprint;  // while loaded
};

// The L2 set-aside of LS tenants (present where some tenant may use it).
struct L2MetricsView {
  uint64_t persisting_limit_bytes = 0;  // what the device may hold in persisting lines now
  std::vector<memory::L2TenantReport> tenants;
};

struct MetricsView {
  std::string version;
  std::string backend;
  std::string policy;
  std::vector<TenantConfig> tenants;
  std::vector<TenantRuntimeState> tenant_states;
  std::vector<memory::TenantVramUsage> vram;
  std::vector<ModelView> models;
  std::map<int, uint64_t> http_responses;
  // Per direction, keyed by tenant name.
  std::map<std::string, pcie::TenantTransferStats> to_device;
  std::map<std::string, pcie::TenantTransferStats> to_host;
  std::optional<L2MetricsView> l2;
  std::optional<uint64_t> resident_bytes;
  std::optional<uint64_t> pinned_body_bytes;  // where bodies are page-locked (body_memory.h)
};

std::string RenderMetrics(const MetricsView& view);

// The process's resident set size from /proc/self/statm; none where that is unavailable.
std::optional<uint64_t> ResidentSetBytes();

}  // namespace missile::server
