#include "server/server_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>

namespace missile::server {

BucketHistogram::BucketHistogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void BucketHistogram::Observe(double value) {
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

HistogramSample BucketHistogram::Sample() const {
  HistogramSample sample;
  sample.upper_bounds = bounds_;
  std::lock_guard lock(mutex_);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    sample.cumulative_counts.push_back(cumulative);
  }
  sample.sum = sum_;
  sample.count = count_;
  return sample;
}

std::vector<double> LatencyBucketsSeconds() {
  return {50e-6,  100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3,
          100e-3, 250e-3, 500e-3, 1.0,    2.5,  5.0,    10.0, 30.0,  60.0};
}

const char* RequestOutcomeLabel(RequestOutcome outcome) {
  switch (outcome) {
    case RequestOutcome::kSuccess:
      return "success";
    case RequestOutcome::kInvalidInput:
      return "invalid_input";
    case RequestOutcome::kModelUnavailable:
      return "model_unavailable";
    case RequestOutcome::kExecutionError:
      return "execution_error";
  }
  return "unknown";
}

ModelMetrics::ModelMetrics(std::string model, std::string tenant)
    : model_(std::move(model)),
      tenant_(std::move(tenant)),
      request_(LatencyBucketsSeconds()),
      queue_(LatencyBucketsSeconds()),
      compute_(LatencyBucketsSeconds()),
      transfer_(LatencyBucketsSeconds()) {}

void ModelMetrics::ObserveSuccess(double request_s, double queue_s, const ExecutionTimes& times) {
  Count(RequestOutcome::kSuccess);
  request_.Observe(request_s);
  queue_.Observe(queue_s);
  compute_.Observe(times.compute_s);
  transfer_.Observe(times.to_device_s + times.to_host_s);
}

void HttpResponseCounter::Count(int status) {
  std::lock_guard lock(mutex_);
  ++counts_[status];
}

std::map<int, uint64_t> HttpResponseCounter::Snapshot() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::optional<uint64_t> ResidentSetBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return std::nullopt;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

namespace {

MetricLabels ModelLabels(const ModelMetrics& metrics) {
  return {{"model", metrics.model()}, {"tenant", metrics.tenant()}};
}

void RenderModels(PrometheusWriter& out, const MetricsView& view) {
  out.Family(
      "missile_inference_requests_total", "counter",
      "Inference requests per model and tenant, by outcome (success, invalid_input, model_unavailable, "
      "execution_error).");
  for (const ModelView& model : view.models) {
    for (size_t o = 0; o < kRequestOutcomeCount; ++o) {
      const auto outcome = static_cast<RequestOutcome>(o);
      MetricLabels labels = ModelLabels(*model.metrics);
      labels.emplace_back("outcome", RequestOutcomeLabel(outcome));
      out.Sample("missile_inference_requests_total", labels,
                 static_cast<double>(model.metrics->outcome_count(outcome)));
    }
  }
  const struct {
    const char* name;
    const char* help;
    HistogramSample (ModelMetrics::*sample)() const;
  } histograms[] = {
      {"missile_inference_request_seconds",
       "Time a successful request spent in the server, from its body read to its response encoded.",
       &ModelMetrics::request_seconds},
      {"missile_inference_queue_seconds", "Time a successful request waited in its tenant's queue.",
       &ModelMetrics::queue_seconds},
      {"missile_inference_compute_seconds", "Time the model's kernels ran for a successful request.",
       &ModelMetrics::compute_seconds},
      {"missile_inference_transfer_seconds",
       "Time a successful request's inputs and outputs spent crossing between host and device (queueing "
       "for the link included).",
       &ModelMetrics::transfer_seconds},
  };
  for (const auto& histogram : histograms) {
    out.Family(histogram.name, "histogram", histogram.help);
    for (const ModelView& model : view.models) {
      out.Histogram(histogram.name, ModelLabels(*model.metrics), (model.metrics->*histogram.sample)());
    }
  }
  out.Family("missile_model_ready", "gauge", "1 while the model is loaded and serving, else 0.");
  for (const ModelView& model : view.models) {
    out.Sample("missile_model_ready", ModelLabels(*model.metrics), model.ready ? 1 : 0);
  }
  out.Family("missile_model_requests_in_flight", "gauge",
             "Requests holding the model: being decoded, queued or executing.");
  for (const ModelView& model : view.models) {
    out.Sample("missile_model_requests_in_flight", ModelLabels(*model.metrics), model.in_flight);
  }
  out.Family(
      "missile_model_vram_bytes", "gauge",
      "Device memory a loaded model holds, by kind (weights, arena, io); host memory on the CPU backend.");
  for (const ModelView& model : view.models) {
    if (!model.footprint) continue;
    const std::pair<const char*, uint64_t> kinds[] = {{"weights", model.footprint->weights_bytes},
                                                      {"arena", model.footprint->arena_bytes},
                                                      {"io", model.footprint->io_bytes}};
    for (const auto& [kind, bytes] : kinds) {
      MetricLabels labels = ModelLabels(*model.metrics);
      labels.emplace_back("kind", kind);
      out.Sample("missile_model_vram_bytes", labels, static_cast<double>(bytes));
    }
  }
}

void RenderTenants(PrometheusWriter& out, const MetricsView& view) {
  out.Family("missile_tenant_info", "gauge",
             "Constant 1, labelled with the tenant's configured class (LS or BE) and PCIe nice value.");
  for (const TenantConfig& tenant : view.tenants) {
    out.Sample("missile_tenant_info",
               {{"tenant", tenant.name},
                {"class", TenantClassName(tenant.tenant_class)},
                {"pcie_nice", std::to_string(tenant.pcie_nice)}},
               1);
  }
  out.Family("missile_tenant_sm_min", "gauge", "SMs the tenant is guaranteed (configured).");
  for (const TenantConfig& tenant : view.tenants) {
    out.Sample("missile_tenant_sm_min", {{"tenant", tenant.name}}, tenant.sm_min);
  }
  out.Family("missile_tenant_sm_max", "gauge",
             "SMs the tenant may use at most (configured; absent: the whole GPU).");
  for (const TenantConfig& tenant : view.tenants) {
    if (tenant.sm_max) out.Sample("missile_tenant_sm_max", {{"tenant", tenant.name}}, *tenant.sm_max);
  }
  out.Family("missile_tenant_latency_target_seconds", "gauge", "The tenant's configured latency target.");
  for (const TenantConfig& tenant : view.tenants) {
    if (tenant.latency_target_ms) {
      out.Sample("missile_tenant_latency_target_seconds", {{"tenant", tenant.name}},
                 *tenant.latency_target_ms / 1000.0);
    }
  }
  out.Family("missile_tenant_queue_depth", "gauge", "Requests waiting in the tenant's queue.");
  for (const TenantRuntimeState& state : view.tenant_states) {
    out.Sample("missile_tenant_queue_depth", {{"tenant", state.tenant}}, static_cast<double>(state.queued));
  }
  out.Family("missile_tenant_running", "gauge", "1 while a request of the tenant is executing.");
  for (const TenantRuntimeState& state : view.tenant_states) {
    out.Sample("missile_tenant_running", {{"tenant", state.tenant}}, state.running ? 1 : 0);
  }
  out.Family("missile_tenant_sm_share", "gauge",
             "Share of the device's compute units (SMs) the tenant's running work holds now, 0 to 1.");
  for (const TenantRuntimeState& state : view.tenant_states) {
    out.Sample("missile_tenant_sm_share", {{"tenant", state.tenant}}, state.compute_share);
  }
  out.Family("missile_tenant_vram_used_bytes", "gauge",
             "Device memory charged to the tenant (its loaded models); host memory on the CPU backend.");
  for (const memory::TenantVramUsage& usage : view.vram) {
    out.Sample("missile_tenant_vram_used_bytes", {{"tenant", usage.tenant}},
               static_cast<double>(usage.used_bytes));
  }
  out.Family("missile_tenant_vram_quota_bytes", "gauge", "The tenant's VRAM quota (absent: unlimited).");
  for (const memory::TenantVramUsage& usage : view.vram) {
    if (usage.limit_bytes) {
      out.Sample("missile_tenant_vram_quota_bytes", {{"tenant", usage.tenant}},
                 static_cast<double>(*usage.limit_bytes));
    }
  }
}

void RenderPcie(PrometheusWriter& out, const MetricsView& view) {
  const std::pair<const char*, const std::map<std::string, pcie::TenantTransferStats>*> directions[] = {
      {"host_to_device", &view.to_device}, {"device_to_host", &view.to_host}};
  const auto labels = [](const std::string& tenant, const char* direction) {
    return MetricLabels{{"tenant", tenant}, {"direction", direction}};
  };
  out.Family("missile_pcie_bytes_total", "counter", "Bytes the tenant moved over the host-device link.");
  for (const auto& [direction, stats] : directions) {
    for (const auto& [tenant, s] : *stats) {
      out.Sample("missile_pcie_bytes_total", labels(tenant, direction), static_cast<double>(s.bytes));
    }
  }
  out.Family("missile_pcie_transfers_total", "counter", "Transfers completed for the tenant.");
  for (const auto& [direction, stats] : directions) {
    for (const auto& [tenant, s] : *stats) {
      out.Sample("missile_pcie_transfers_total", labels(tenant, direction),
                 static_cast<double>(s.transfers_completed));
    }
  }
  out.Family("missile_pcie_wait_seconds", "summary",
             "Time the tenant's transfers waited for the link (submit to first chunk issued), with quantiles "
             "within 6.25%.");
  for (const auto& [direction, stats] : directions) {
    for (const auto& [tenant, s] : *stats) {
      const std::pair<const char*, pcie::Nanos> quantiles[] = {
          {"0.5", s.queue_wait.p50}, {"0.9", s.queue_wait.p90}, {"0.99", s.queue_wait.p99}};
      for (const auto& [q, value] : quantiles) {
        MetricLabels with_quantile = labels(tenant, direction);
        with_quantile.emplace_back("quantile", q);
        out.Sample("missile_pcie_wait_seconds", with_quantile, std::chrono::duration<double>(value).count());
      }
      out.Sample("missile_pcie_wait_seconds_sum", labels(tenant, direction),
                 std::chrono::duration<double>(s.queue_wait.total).count());
      out.Sample("missile_pcie_wait_seconds_count", labels(tenant, direction),
                 static_cast<double>(s.queue_wait.count));
    }
  }
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

void RenderL2(PrometheusWriter& out, const L2MetricsView& l2) {
  out.Family(
      "missile_l2_setaside_limit_bytes", "gauge",
      "L2 the GPU may hold in persisting lines now: the budgets of the LS tenants using the set-aside.");
  out.Sample("missile_l2_setaside_limit_bytes", {}, static_cast<double>(l2.persisting_limit_bytes));
  out.Family(
      "missile_tenant_l2_setaside_info", "gauge",
      "Constant 1, labelled with the LS tenant's set-aside mode (off, on, auto) and state (off, on, trial, "
      "use, do_not_use, failed).");
  for (const memory::L2TenantReport& t : l2.tenants) {
    out.Sample("missile_tenant_l2_setaside_info",
               {{"tenant", t.tenant},
                {"mode", memory::L2SetAsideModeName(t.mode)},
                {"state", memory::L2TenantStateName(t.state)}},
               1);
  }
  out.Family("missile_tenant_l2_setaside_active", "gauge",
             "1 while the tenant's requests run with the L2 set-aside, else 0.");
  for (const memory::L2TenantReport& t : l2.tenants) {
    out.Sample("missile_tenant_l2_setaside_active", {{"tenant", t.tenant}}, t.active ? 1 : 0);
  }
  out.Family("missile_tenant_l2_setaside_budget_bytes", "gauge",
             "Persisting L2 the plan grants the tenant's weights (used only while active).");
  for (const memory::L2TenantReport& t : l2.tenants) {
    out.Sample("missile_tenant_l2_setaside_budget_bytes", {{"tenant", t.tenant}},
               static_cast<double>(t.budget_bytes));
  }
  // Per auto tenant and side: the trial's rounds so far.
  const auto sides = [](const memory::L2TenantReport& t) {
    return std::array<std::pair<const char*, const std::vector<double>*>, 2>{
        {{"with", &t.rounds.p99_with_ms}, {"without", &t.rounds.p99_without_ms}}};
  };
  out.Family("missile_tenant_l2_setaside_trial_rounds", "gauge",
             "Rounds of the current trial finished, by side (with or without the set-aside).");
  for (const memory::L2TenantReport& t : l2.tenants) {
    if (t.mode != memory::L2SetAsideMode::kAuto) continue;
    for (const auto& [side, rounds] : sides(t)) {
      out.Sample("missile_tenant_l2_setaside_trial_rounds", {{"tenant", t.tenant}, {"side", side}},
                 static_cast<double>(rounds->size()));
    }
  }
  out.Family("missile_tenant_l2_setaside_trial_p99_seconds", "gauge",
             "Median over the current trial's rounds of each round's p99 compute time, by side: what the "
             "decision compares.");
  for (const memory::L2TenantReport& t : l2.tenants) {
    if (t.mode != memory::L2SetAsideMode::kAuto) continue;
    for (const auto& [side, rounds] : sides(t)) {
      if (rounds->empty()) continue;
      out.Sample("missile_tenant_l2_setaside_trial_p99_seconds", {{"tenant", t.tenant}, {"side", side}},
                 Median(*rounds) / 1e3);
    }
  }
  out.Family("missile_tenant_l2_setaside_gain", "gauge",
             "The decided trial's gain: 1 - median p99 with / without the set-aside (negative: it hurt).");
  for (const memory::L2TenantReport& t : l2.tenants) {
    if (t.decision) out.Sample("missile_tenant_l2_setaside_gain", {{"tenant", t.tenant}}, t.decision->gain);
  }
  out.Family("missile_tenant_l2_setaside_confidence", "gauge",
             "The decided trial's share of (with, without) round pairs where the set-aside was faster.");
  for (const memory::L2TenantReport& t : l2.tenants) {
    if (t.decision) {
      out.Sample("missile_tenant_l2_setaside_confidence", {{"tenant", t.tenant}}, t.decision->confidence);
    }
  }
  out.Family("missile_tenant_l2_setaside_trials_total", "counter",
             "Trials started: one when the models are first loaded, one after every load or unload.");
  for (const memory::L2TenantReport& t : l2.tenants) {
    out.Sample("missile_tenant_l2_setaside_trials_total", {{"tenant", t.tenant}},
               static_cast<double>(t.trials_started));
  }
  out.Family(
      "missile_tenant_l2_setaside_requests_total", "counter",
      "The tenant's successful requests by how they ran: contended (a BE tenant busy meanwhile: what a "
      "trial counts), uncontended, settling (just after a window change, not counted).");
  for (const memory::L2TenantReport& t : l2.tenants) {
    const std::pair<const char*, uint64_t> kinds[] = {{"contended", t.requests_contended},
                                                      {"uncontended", t.requests_uncontended},
                                                      {"settling", t.requests_settling}};
    for (const auto& [kind, count] : kinds) {
      out.Sample("missile_tenant_l2_setaside_requests_total", {{"tenant", t.tenant}, {"kind", kind}},
                 static_cast<double>(count));
    }
  }
}

}  // namespace

std::string RenderMetrics(const MetricsView& view) {
  PrometheusWriter out;
  out.Family("missile_build_info", "gauge", "Constant 1, labelled with the version, backend and policy.");
  out.Sample("missile_build_info",
             {{"version", view.version}, {"backend", view.backend}, {"policy", view.policy}}, 1);
  out.Family("missile_http_responses_total", "counter",
             "HTTP responses by status code, every route included.");
  for (const auto& [code, count] : view.http_responses) {
    out.Sample("missile_http_responses_total", {{"code", std::to_string(code)}}, static_cast<double>(count));
  }
  RenderModels(out, view);
  RenderTenants(out, view);
  RenderPcie(out, view);
  if (view.l2) RenderL2(out, *view.l2);
  if (view.pinned_body_bytes) {
    out.Family("missile_http_body_pinned_bytes", "gauge",
               "Page-locked host memory the server holds for request bodies, free or in use.");
    out.Sample("missile_http_body_pinned_bytes", {}, static_cast<double>(*view.pinned_body_bytes));
  }
  if (view.resident_bytes) {
    out.Family("process_resident_memory_bytes", "gauge", "Resident set size of the server process.");
    out.Sample("process_resident_memory_bytes", {}, static_cast<double>(*view.resident_bytes));
  }
  return out.text();
}

}  // namespace missile::server
