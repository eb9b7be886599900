// `missile devices`: the GPUs this process can see and the facts Missile's isolation mechanisms depend on.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "device/gpu_info.h"

namespace missile::cli {
namespace {

int ListDevices(bool json) {
  auto gpus = device::QueryGpus();
  if (!gpus.ok()) {
    if (json) {
      std::cout
          << nlohmann::json{{"gpus", nlohmann::json::array()}, {"reason", gpus.status().message()}}.dump(2)
          << "\n";
    } else {
      std::cout << "no GPU: " << gpus.status().message() << "\n";
    }
    return 0;  // having no GPU is a fact to report, not a failure
  }
  nlohmann::json report = nlohmann::json::array();
  for (const auto& g : *gpus) {
    if (json) {
      report.push_back({{"index", g.index},
                        {"name", g.name},
                        {"compute_capability",
                         fmt::format("{}.{}", g.compute_capability_major, g.compute_capability_minor)},
                        {"sm_count", g.sm_count},
                        {"memory_bytes", g.memory_bytes},
                        {"l2_bytes", g.l2_bytes},
                        {"persisting_l2_max_bytes", g.persisting_l2_max_bytes},
                        {"async_copy_engines", g.async_copy_engines},
                        {"memory_bus_bits", g.memory_bus_bits},
                        {"stream_priorities", {g.stream_priority_least, g.stream_priority_greatest}},
                        {"driver_version", g.driver_version},
                        {"runtime_version", g.runtime_version}});
      continue;
    }
    std::cout << fmt::format(
        "GPU {}: {}, compute capability {}.{}, {} SMs, {:.1f} GiB, L2 {:.1f} MiB (persisting up to {:.1f} "
        "MiB), "
        "{}-bit bus, {} copy engines, stream priorities {}..{}, driver {} runtime {}\n",
        g.index, g.name, g.compute_capability_major, g.compute_capability_minor, g.sm_count,
        g.memory_bytes / 1073741824.0, g.l2_bytes / 1048576.0, g.persisting_l2_max_bytes / 1048576.0,
        g.memory_bus_bits, g.async_copy_engines, g.stream_priority_least, g.stream_priority_greatest,
        g.driver_version, g.runtime_version);
  }
  if (json) std::cout << nlohmann::json{{"gpus", report}}.dump(2) << "\n";
  return 0;
}

}  // namespace

Command AddDevicesCommand(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* devices = app.add_subcommand("devices", "List the GPUs this process can see");
  devices->add_flag("--json", *json, "print JSON");
  return {devices, [json] { return ListDevices(*json); }};
}

}  // namespace missile::cli
