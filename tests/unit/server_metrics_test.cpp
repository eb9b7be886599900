#include "server/server_metrics.h"

#include <gtest/gtest.h>

#include "server/prometheus_text.h"

namespace missile::server {
namespace {

TEST(PrometheusTextTest, WritesFamiliesSamplesAndEscapedLabels) {
  PrometheusWriter out;
  out.Family("demo_total", "counter", "A help line with a \\ and a\nnewline.");
  out.Sample("demo_total", {{"model", "a\"b"}, {"tenant", "x\\y\nz"}}, 3);
  out.Sample("demo_total", {}, 0.25);
  EXPECT_EQ(out.text(),
            "# HELP demo_total A help line with a \\\\ and a\\nnewline.\n"
            "# TYPE demo_total counter\n"
            "demo_total{model=\"a\\\"b\",tenant=\"x\\\\y\\nz\"} 3\n"
            "demo_total 0.25\n");
}

TEST(PrometheusTextTest, FormatsValues) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(12345678901), "12345678901");
  EXPECT_EQ(FormatMetricValue(0.00025), "0.00025");
  EXPECT_EQ(FormatMetricValue(-1.5), "-1.5");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  BucketHistogram histogram({0.001, 0.01, 0.1});
  for (double v : {0.0005, 0.001, 0.002, 0.05, 0.05, 7.0}) histogram.Observe(v);
  const HistogramSample sample = histogram.Sample();
  EXPECT_EQ(sample.cumulative_counts, (std::vector<uint64_t>{2, 3, 5}));  // 0.001 itself is <= 0.001
  EXPECT_EQ(sample.count, 6u);
  EXPECT_DOUBLE_EQ(sample.sum, 0.0005 + 0.001 + 0.002 + 0.05 + 0.05 + 7.0);

  PrometheusWriter out;
  out.Histogram("lat_seconds", {{"model", "m"}}, sample);
  EXPECT_EQ(out.text(),
            "lat_seconds_bucket{model=\"m\",le=\"0.001\"} 2\n"
            "lat_seconds_bucket{model=\"m\",le=\"0.01\"} 3\n"
            "lat_seconds_bucket{model=\"m\",le=\"0.1\"} 5\n"
            "lat_seconds_bucket{model=\"m\",le=\"+Inf\"} 6\n"
            "lat_seconds_sum{model=\"m\"} 7.1035\n"
            "lat_seconds_count{model=\"m\"} 6\n");
}

TEST(ServerMetricsTest, RendersEveryDocumentedFamilyFromAView) {
  ModelMetrics model("resnet", "camera");
  model.ObserveSuccess(0.004, 0.001, {0.0002, 0.0025, 0.0001});
  model.Count(RequestOutcome::kInvalidInput);
  model.Count(RequestOutcome::kInvalidInput);

  MetricsView view;
  view.version = "0.1.0";
  view.backend = "cpu";
  view.policy = "missile";
  TenantConfig tenant;
  tenant.name = "camera";
  tenant.tenant_class = TenantClass::kLatencySensitive;
  tenant.sm_min = 8;
  tenant.sm_max = 64;
  tenant.latency_target_ms = 20;
  view.tenants = {tenant};
  view.tenant_states = {{"camera", 3, true, 0.5}};
  view.vram = {{"camera", 1000, 4096, {}}};
  view.models = {{&model, true, 2, ModelFootprint{600, 300, 100}}};
  view.http_responses = {{200, 1}, {400, 2}};
  pcie::TenantTransferStats to_device;
  to_device.bytes = 4096;
  to_device.transfers_completed = 2;
  to_device.queue_wait.count = 2;
  to_device.queue_wait.total = std::chrono::microseconds(30);
  to_device.queue_wait.p50 = std::chrono::microseconds(10);
  view.to_device = {{"camera", to_device}};
  view.resident_bytes = 123456;
  view.pinned_body_bytes = size_t{3} << 20;
  const std::string text = RenderMetrics(view);

  const std::string expected_lines[] = {
      "missile_build_info{version=\"0.1.0\",backend=\"cpu\",policy=\"missile\"} 1",
      "missile_http_responses_total{code=\"400\"} 2",
      "missile_http_body_pinned_bytes 3145728",
      "missile_inference_requests_total{model=\"resnet\",tenant=\"camera\",outcome=\"success\"} 1",
      "missile_inference_requests_total{model=\"resnet\",tenant=\"camera\",outcome=\"invalid_input\"} 2",
      "missile_inference_requests_total{model=\"resnet\",tenant=\"camera\",outcome=\"execution_error\"} 0",
      "missile_inference_request_seconds_count{model=\"resnet\",tenant=\"camera\"} 1",
      "missile_inference_queue_seconds_sum{model=\"resnet\",tenant=\"camera\"} 0.001",
      "missile_inference_compute_seconds_bucket{model=\"resnet\",tenant=\"camera\",le=\"0.0025\"} 1",
      "missile_inference_compute_seconds_bucket{model=\"resnet\",tenant=\"camera\",le=\"0.001\"} 0",
      "missile_inference_transfer_seconds_sum{model=\"resnet\",tenant=\"camera\"} 0.00030000000000000003",
      "missile_model_ready{model=\"resnet\",tenant=\"camera\"} 1",
      "missile_model_requests_in_flight{model=\"resnet\",tenant=\"camera\"} 2",
      "missile_model_vram_bytes{model=\"resnet\",tenant=\"camera\",kind=\"weights\"} 600",
      "missile_model_vram_bytes{model=\"resnet\",tenant=\"camera\",kind=\"io\"} 100",
      "missile_tenant_info{tenant=\"camera\",class=\"LS\",pcie_nice=\"0\"} 1",
      "missile_tenant_sm_min{tenant=\"camera\"} 8",
      "missile_tenant_sm_max{tenant=\"camera\"} 64",
      "missile_tenant_latency_target_seconds{tenant=\"camera\"} 0.02",
      "missile_tenant_queue_depth{tenant=\"camera\"} 3",
      "missile_tenant_running{tenant=\"camera\"} 1",
      "missile_tenant_sm_share{tenant=\"camera\"} 0.5",
      "missile_tenant_vram_used_bytes{tenant=\"camera\"} 1000",
      "missile_tenant_vram_quota_bytes{tenant=\"camera\"} 4096",
      "missile_pcie_bytes_total{tenant=\"camera\",direction=\"host_to_device\"} 4096",
      "missile_pcie_transfers_total{tenant=\"camera\",direction=\"host_to_device\"} 2",
      "missile_pcie_wait_seconds{tenant=\"camera\",direction=\"host_to_device\",quantile=\"0.5\"} 1e-05",
      "missile_pcie_wait_seconds_count{tenant=\"camera\",direction=\"host_to_device\"} 2",
      "process_resident_memory_bytes 123456",
  };
  for (const std::string& line : expected_lines) {
    EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << "missing line: " << line << "\n" << text;
  }
  // Every sample belongs to a family declared before it.
  size_t families = 0;
  for (size_t at = text.find("# TYPE "); at != std::string::npos; at = text.find("# TYPE ", at + 1))
    ++families;
  EXPECT_EQ(families, 24u);  // the families docs/server.md lists
}

TEST(ServerMetricsTest, RendersTheL2SetAsideOfEachLsTenantUnderItsFamilies) {
  const auto count_families = [](const std::string& text) {
    size_t families = 0;
    for (size_t at = text.find("# TYPE "); at != std::string::npos; at = text.find("# TYPE ", at + 1))
      ++families;
    return families;
  };
  MetricsView view;
  view.version = "0.1.0";
  view.backend = "cuda";
  view.policy = "shared";
  const std::string without = RenderMetrics(view);
  EXPECT_EQ(without.find("l2_setaside"), std::string::npos) << "no families where there is none";

  memory::L2TenantReport camera;
  camera.tenant = "camera";
  camera.mode = memory::L2SetAsideMode::kAuto;
  camera.state = memory::L2TenantState::kDoNotUse;
  camera.budget_bytes = 39321600;
  camera.rounds = {{3.0, 3.5, 3.2}, {11.0, 12.0, 12.5}};  // without, with (ms)
  camera.rounds_per_side = 3;
  camera.decision = memory::SetAsideDecision{false, -2.65625, 0.0, "do not use it"};
  camera.trials_started = 1;
  camera.requests_contended = 600;
  camera.requests_uncontended = 12;
  camera.requests_settling = 6;
  memory::L2TenantReport kiosk;
  kiosk.tenant = "kiosk";
  kiosk.mode = memory::L2SetAsideMode::kOn;
  kiosk.state = memory::L2TenantState::kOn;
  kiosk.active = true;
  kiosk.budget_bytes = 1048576;
  view.l2 = L2MetricsView{1048576, {camera, kiosk}};
  const std::string text = RenderMetrics(view);

  const std::string expected_lines[] = {
      "missile_l2_setaside_limit_bytes 1048576",
      "missile_tenant_l2_setaside_info{tenant=\"camera\",mode=\"auto\",state=\"do_not_use\"} 1",
      "missile_tenant_l2_setaside_info{tenant=\"kiosk\",mode=\"on\",state=\"on\"} 1",
      "missile_tenant_l2_setaside_active{tenant=\"camera\"} 0",
      "missile_tenant_l2_setaside_active{tenant=\"kiosk\"} 1",
      "missile_tenant_l2_setaside_budget_bytes{tenant=\"camera\"} 39321600",
      "missile_tenant_l2_setaside_trial_rounds{tenant=\"camera\",side=\"with\"} 3",
      "missile_tenant_l2_setaside_trial_p99_seconds{tenant=\"camera\",side=\"with\"} 0.012",
      "missile_tenant_l2_setaside_trial_p99_seconds{tenant=\"camera\",side=\"without\"} 0.0032",
      "missile_tenant_l2_setaside_gain{tenant=\"camera\"} -2.65625",
      "missile_tenant_l2_setaside_confidence{tenant=\"camera\"} 0",
      "missile_tenant_l2_setaside_trials_total{tenant=\"camera\"} 1",
      "missile_tenant_l2_setaside_requests_total{tenant=\"camera\",kind=\"contended\"} 600",
      "missile_tenant_l2_setaside_requests_total{tenant=\"camera\",kind=\"uncontended\"} 12",
      "missile_tenant_l2_setaside_requests_total{tenant=\"kiosk\",kind=\"settling\"} 0",
  };
  for (const std::string& line : expected_lines) {
    EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << "missing line: " << line << "\n" << text;
  }
  // A tenant that does not trial has no trial samples.
  EXPECT_EQ(text.find("trial_rounds{tenant=\"kiosk\""), std::string::npos);
  EXPECT_EQ(text.find("gain{tenant=\"kiosk\""), std::string::npos);
  // Every sample follows its own family's header (the text format wants each family's samples together).
  std::string family;
  for (size_t at = 0; at < text.size();) {
    const size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
    } else if (!line.empty() && line[0] != '#') {
      EXPECT_EQ(line.rfind(family, 0), 0u) << line << " after the header of " << family;
    }
  }
  EXPECT_EQ(count_families(text), count_families(without) + 10);  // the L2 families docs/server.md lists
}

}  // namespace
}  // namespace missile::server
