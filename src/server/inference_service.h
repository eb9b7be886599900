// The Open Inference Protocol's endpoints as plain functions from a request's parts to a reply: what each
// route answers, with which status code and error message. No sockets here (http_server.h binds these to
// HTTP), so the protocol's behaviour is one readable layer.
//
// Status codes: 400 malformed or mismatched input, 404 unknown model / version / route, 409 the model's
// state or its tenant's quota forbids the operation (not loaded, in use, over quota), 413 body over the
// limit, 500 the engine failed on a valid request, 503 shutting down. Every error body is {"error": "..."}.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memory/vram_quota.h"
#include "server/device_transfers.h"
#include "server/inference_executor.h"
#include "server/l2_setaside_serving.h"
#include "server/model_repository.h"
#include "server/server_config.h"
#include "server/server_metrics.h"

namespace missile::server {

inline constexpr const char* kServerName = "missile";
inline constexpr const char* kServerVersion = "0.1.0";

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The reply for an error: {"error": message} with the status its code maps to.
HttpReply ErrorReply(const Status& status);
HttpReply ErrorReply(int http_status, std::string_view message);
int HttpStatusFor(ErrorCode code);

class InferenceService {
 public:
  static Result<std::unique_ptr<InferenceService>> Create(const ServerConfig& config);
  ~InferenceService();

  // Loads every model whose configuration says load_at_start; the first failure is returned. Then the server
  // reports ready.
  Status LoadStartupModels();

  HttpReply Live() const;
  HttpReply Ready() const;
  HttpReply ServerMetadata() const;
  HttpReply ModelMetadata(const std::string& model, const std::string& version) const;
  HttpReply ModelReady(const std::string& model, const std::string& version) const;
  HttpReply ModelConfiguration(const std::string& model, const std::string& version) const;
  // header_length: the Inference-Header-Content-Length header, when present.
  HttpReply Infer(const std::string& model, const std::string& version,
                  std::optional<std::string_view> header_length, std::string_view body);
  HttpReply RepositoryIndex() const;
  HttpReply RepositoryLoad(const std::string& model);
  HttpReply RepositoryUnload(const std::string& model);
  HttpReply Metrics() const;

  void CountHttpResponse(int status) { http_responses_.Count(status); }
  // Readiness turns false; requests already received still complete.
  void BeginShutdown() { shutting_down_ = true; }
  // Runs what is still queued and stops the executor (after the HTTP server has stopped).
  void Shutdown();

  const ServerConfig& config() const { return config_; }
  // The policy the executor applies: the configured one, or "shared" where the backend has no scheduler
  // device (executor_factory.h), with the lines that explain it.
  const std::string& policy_in_effect() const { return policy_in_effect_; }
  const std::vector<std::string>& executor_notes() const { return executor_notes_; }
  bool tenants_compute_side_by_side() const { return tenants_compute_side_by_side_; }

 private:
  explicit InferenceService(ServerConfig config) : config_(std::move(config)) {}
  // The error reply for a model name and version that do not resolve to a declared model.
  std::optional<HttpReply> CheckModelAndVersion(const std::string& model, const std::string& version) const;
  // After a load or an unload: device mechanisms that plan over the loaded models follow.
  void ModelsChanged();
  // Sets up the L2 set-aside of LS tenants where the settings enable it (l2_setaside_settings.h).
  Status StartL2SetAside();

  const ServerConfig config_;
  memory::VramQuotaLedger quota_;
  std::unique_ptr<DeviceTransfers> transfers_;
  // Per tenant on the GPU: its sessions' copies go this way. After transfers_ (which they use), before the
  // repository (whose sessions use them).
  std::map<std::string, std::unique_ptr<runtime::TransferRoute>> routes_;
  std::map<std::string, pcie::TenantId> tenant_ids_;
  std::unique_ptr<ModelRepository> repository_;
  // Before the executor, whose threads call it; null where no tenant sets L2 aside.
  std::unique_ptr<L2SetAsideServing> l2_;
  std::unique_ptr<InferenceExecutor> executor_;
  std::string policy_in_effect_;
  std::vector<std::string> executor_notes_;
  bool tenants_compute_side_by_side_ = false;
  std::map<std::string, std::unique_ptr<ModelMetrics>> model_metrics_;
  HttpResponseCounter http_responses_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> shutting_down_{false};
};

}  // namespace missile::server
