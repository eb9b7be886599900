// What `missile serve` is told to do: where to listen, which policy schedules the GPU, which tenants share it
// (class, VRAM quota, PCIe weight, SM bounds, latency target) and which models they serve. Read from a JSON
// file documented in docs/server.md (examples under examples/server/).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/shape.h"
#include "memory/l2_setaside_coordinator.h"
#include "runtime/backend.h"

namespace missile::server {

enum class TenantClass { kLatencySensitive, kBestEffort };
const char* TenantClassName(TenantClass tenant_class);  // "LS" or "BE"

// The PCIe nice an LS tenant gets when its configuration names none.
inline constexpr int kDefaultLsPcieNice = -10;

struct TenantConfig {
  std::string name;
  TenantClass tenant_class = TenantClass::kBestEffort;
  std::optional<uint64_t> vram_quota_bytes;  // none: unlimited
  int pcie_nice = 0;  // Linux nice, -20..19: the tenant's weight on the PCIe link (default: LS -10, BE 0)
  int sm_min = 0;     // SMs the tenant is always guaranteed
  std::optional<int> sm_max;                // at most this many SMs; none: the whole GPU
  std::optional<double> latency_target_ms;  // LS tenants: the latency the policy protects
  int priority = 0;                         // among tenants of one class: higher is more urgent
  // LS tenants: the L2 set-aside's mode (none: the default, l2_setaside_settings.h) and the most persisting
  // L2 its models' weights may hold (none: its fair share of the device's maximum).
  std::optional<memory::L2SetAsideMode> l2_setaside;
  std::optional<uint64_t> l2_setaside_bytes;
};

// How a model runs on the GPU. The CPU backend computes in fp32 only: fp16 or a CUDA graph there is refused
// (CheckModelsRunOn), TF32 is moot.
struct ModelGpuOptions {
  runtime::Precision precision = runtime::Precision::kFp32;
  bool cuda_graph =
      false;  // each request replays one captured CUDA graph instead of launching kernel by kernel
  bool allow_tf32 = true;  // fp32 convolutions and GEMMs may use TF32 tensor cores
};

struct ModelConfig {
  std::string name;
  std::string tenant;
  std::filesystem::path path;  // absolute, or relative to the working directory when given so
  bool load_at_start = true;
  // Served input shapes, needed for inputs with symbolic dimensions; the model's own shapes otherwise.
  std::map<std::string, Shape> input_shapes;
  ModelGpuOptions gpu;
};

struct HttpConfig {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port (the chosen one is printed)
  // Connection-handling threads: a keep-alive connection holds one while it is open, so this bounds the
  // connections served at once (more wait, accepted, for a free thread).
  int threads = 128;
  uint64_t max_body_bytes = uint64_t{64} << 20;
  int keep_alive_timeout_s = 5;
  uint64_t keep_alive_max_requests = 1'000'000;
  int read_timeout_s = 30;
  int write_timeout_s = 30;
  // Microseconds a connection's thread polls its socket before it sleeps, after each response and within a
  // request (0: never). Saves the scheduler's wake-up on back-to-back requests for a busy core meanwhile.
  int busy_poll_us = 0;
  // Socket buffers of each connection (net/socket_buffers.h; 0: the kernel's autotuned sizes). Large enough
  // for a whole request, the client's send completes at once instead of in steps paced by the server's reads.
  int socket_buffer_bytes = 0;
  // CUDA backend without the GPU scheduler: page-locked memory kept for request bodies, in all
  // (body_memory.h; 0: ordinary memory). Binary input tensors are then copied to the GPU straight from the
  // body, without a host copy first.
  uint64_t pinned_body_bytes = uint64_t{256} << 20;
  int listen_backlog = 1024;
};

struct ServerConfig {
  HttpConfig http;
  std::string backend = "cpu";
  // Threads per BLAS call on the CPU backend; 0: one when several tenants share the CPU (blas_threads.h).
  int blas_threads = 0;
  // CUDA backend: run the requests on the compute scheduler's GPU device (green-context partitions, the
  // configured policy) instead of per-tenant workers. Off by default: not yet run on the GPU machine.
  bool gpu_scheduler = false;
  // The system shared-memory extension: clients on this host may register POSIX shared-memory objects and
  // pass tensors through them. Off by default: a registered client can make the server read and write any
  // object its user may open (shared_memory_registry.h).
  bool allow_client_shared_memory = false;
  // One of sched::PolicyNames(), the compute scheduler's (checked with sched::MakePolicy: one list of names).
  std::string policy = "missile";
  // How `auto` tenants' online trials of the L2 set-aside are run (docs/server.md, "l2_trial").
  memory::L2CoordinatorOptions l2_trial;
  std::vector<TenantConfig> tenants;
  std::vector<ModelConfig> models;

  const TenantConfig* FindTenant(const std::string& name) const;
  const ModelConfig* FindModel(const std::string& name) const;
};

// Parses and validates a configuration; relative model paths are resolved against `base_dir` (the config
// file's directory). Every error names the offending field.
Result<ServerConfig> ParseServerConfig(std::string_view json_text, const std::filesystem::path& base_dir);
Result<ServerConfig> LoadServerConfig(const std::string& path);

// Refuses models whose GPU options the resolved backend ("cpu" or "cuda") cannot honour, naming the model and
// the setting: fp16 or a CUDA graph on the CPU backend.
Status CheckModelsRunOn(const ServerConfig& config, std::string_view backend);

// `missile serve --repo DIR`: every DIR/<name>.onnx and DIR/<name>/model.onnx becomes model <name>, all in
// one latency-sensitive tenant "default" without quota, under the given policy.
Result<ServerConfig> ConfigFromModelDirectory(const std::filesystem::path& directory);

// Names that appear in URLs and metric labels: 1-128 characters from [A-Za-z0-9_.-].
Status CheckName(std::string_view name, std::string_view what);

}  // namespace missile::server
