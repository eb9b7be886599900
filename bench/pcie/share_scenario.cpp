// (b) Weighted sharing on the real link: two and three BE tenants with weights 1:3 and 1:2:5, each keeping
// share_outstanding transfers of be_bytes submitted to one host-to-device scheduler over one CudaCopyEngine.
// After a warm-up, the bytes each tenant completed over share_seconds give its achieved share, compared with
// weight / sum of weights (acceptance: within 5%).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "bench_support.h"
#include "transfer_bench.h"

namespace missile::pcie::bench {
namespace {

Result<nlohmann::json> RunWeights(const BenchOptions& options, BenchBuffers& buffers,
                                  const std::vector<uint32_t>& ratios) {
  MISSILE_ASSIGN_OR_RETURN(auto engine,
                           CudaCopyEngine::Create(Direction::kHostToDevice, options.EngineOptions()));
  MISSILE_ASSIGN_OR_RETURN(
      auto link, ScheduledLink::Create(options.SchedulerConfig(), Direction::kHostToDevice, *engine));
  std::vector<std::unique_ptr<BacklogTenant>> tenants;
  for (size_t i = 0; i < ratios.size(); ++i) {
    const TenantId tenant = static_cast<TenantId>(i + 1);
    MISSILE_RETURN_IF_ERROR(link->AddTenant(tenant, {ratios[i] * kNice0Weight, false}));
    tenants.push_back(std::make_unique<BacklogTenant>(
        *link->scheduler,
        TransferRequest{tenant, buffers.host.data(), buffers.device.data(), options.be_bytes, false},
        options.share_outstanding));
  }
  for (auto& tenant : tenants) MISSILE_RETURN_IF_ERROR(tenant->Start());
  std::this_thread::sleep_for(std::chrono::duration<double>(options.share_warmup_seconds));
  std::vector<uint64_t> before;
  for (size_t i = 0; i < ratios.size(); ++i)
    before.push_back(link->CompletedBytes(static_cast<TenantId>(i + 1)));
  const WallClock::time_point start = WallClock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(options.share_seconds));
  std::vector<uint64_t> bytes;
  for (size_t i = 0; i < ratios.size(); ++i) {
    bytes.push_back(link->CompletedBytes(static_cast<TenantId>(i + 1)) - before[i]);
  }
  const double seconds = SecondsSince(start);
  for (auto& tenant : tenants) MISSILE_RETURN_IF_ERROR(tenant->Stop());

  uint64_t total = 0, weight_sum = 0;
  for (size_t i = 0; i < ratios.size(); ++i) {
    total += bytes[i];
    weight_sum += ratios[i];
  }
  if (total == 0) return Error(ErrorCode::kInternal, "no bytes completed in {} s", seconds);
  nlohmann::json rows = nlohmann::json::array();
  double worst = 0;
  for (size_t i = 0; i < ratios.size(); ++i) {
    const double share = static_cast<double>(bytes[i]) / static_cast<double>(total);
    const double expected = static_cast<double>(ratios[i]) / static_cast<double>(weight_sum);
    const double error = share / expected - 1;
    worst = std::max(worst, std::abs(error));
    rows.push_back({{"tenant", i + 1},
                    {"weight", ratios[i] * kNice0Weight},
                    {"bytes", bytes[i]},
                    {"share", share},
                    {"expected", expected},
                    {"relative_error", error}});
  }
  return nlohmann::json{{"ratios", ratios},
                        {"seconds", seconds},
                        {"total_bytes_per_second", static_cast<double>(total) / seconds},
                        {"worst_relative_error", worst},
                        {"tenants", rows}};
}

}  // namespace

Result<nlohmann::json> RunShares(const BenchOptions& options, BenchBuffers& buffers) {
  fmt::print("\n(b) Backlogged BE tenants through one scheduler, {} s each (host-to-device)\n",
             options.share_seconds);
  fmt::print("    {:>8} | {:>28} | {:>28} | {:>9} | {:>8}\n", "weights", "achieved share", "configured share",
             "worst err", "GB/s");
  nlohmann::json runs = nlohmann::json::array();
  for (const std::vector<uint32_t>& ratios : {std::vector<uint32_t>{1, 3}, std::vector<uint32_t>{1, 2, 5}}) {
    MISSILE_ASSIGN_OR_RETURN(nlohmann::json run, RunWeights(options, buffers, ratios));
    std::string label, achieved, expected;
    for (const nlohmann::json& tenant : run["tenants"]) {
      label += fmt::format("{}{}", label.empty() ? "" : ":", tenant["weight"].get<uint32_t>() / kNice0Weight);
      achieved += fmt::format(" {:.4f}", tenant["share"].get<double>());
      expected += fmt::format(" {:.4f}", tenant["expected"].get<double>());
    }
    fmt::print("    {:>8} | {:>28} | {:>28} | {:8.2f}% | {:8.2f}\n", label, achieved, expected,
               100 * run["worst_relative_error"].get<double>(),
               run["total_bytes_per_second"].get<double>() / 1e9);
    runs.push_back(run);
  }
  return runs;
}

}  // namespace missile::pcie::bench
