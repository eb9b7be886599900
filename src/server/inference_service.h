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

#include "net/server_timestamps.h"
#include "server/body_memory.h"
#include "server/server_config.h"
#include "server/server_metrics.h"
#include "server/serving_engine.h"
#include "server/shared_memory_registry.h"

namespace missile::server {

inline constexpr const char* kServerName = "missile";
inline constexpr const char* kServerVersion = "0.1.0";

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Points on the way the handler marked (net/server_timestamps.h), sent back to a client that asks.
  net::HandlerMarks marks;
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
  // header_length: the Inference-Header-Content-Length header, when present. body_owner, when set, points at
  // the body's first byte and keeps it alive: binary tensors are then used in place (DecodeInferRequest).
  HttpReply Infer(const std::string& model, const std::string& version,
                  std::optional<std::string_view> header_length, std::string_view body,
                  const std::shared_ptr<std::byte[]>& body_owner = nullptr);
  HttpReply RepositoryIndex() const;
  HttpReply RepositoryLoad(const std::string& model);
  HttpReply RepositoryUnload(const std::string& model);
  HttpReply Metrics() const;
  // The system shared-memory extension; `region` empty: every region. Refused (400) unless the configuration
  // allows client shared memory.
  HttpReply SharedMemoryStatus(const std::string& region) const;
  HttpReply SharedMemoryRegister(const std::string& region, std::string_view body);
  HttpReply SharedMemoryUnregister(const std::string& region);

  void CountHttpResponse(int status) { http_responses_.Count(status); }
  // Readiness turns false; requests already received still complete.
  void BeginShutdown() { shutting_down_ = true; }
  // Runs what is still queued and stops the executor (after the HTTP server has stopped).
  void Shutdown();

  // The configuration with its backend resolved.
  const ServerConfig& config() const { return engine_->config(); }
  // The policy the executor applies: the configured one, or "shared" where the backend has no scheduler
  // device (executor_factory.h), with the lines that explain it.
  const std::string& policy_in_effect() const { return engine_->policy_in_effect(); }
  const std::vector<std::string>& executor_notes() const { return engine_->executor_notes(); }
  bool tenants_compute_side_by_side() const { return engine_->tenants_compute_side_by_side(); }

  // Where the HTTP transport puts request bodies (page-locked on the CUDA backend; its size is a metric).
  BodyMemory& body_memory() { return *body_memory_; }

 private:
  explicit InferenceService(std::unique_ptr<ServingEngine> engine) : engine_(std::move(engine)) {}
  // The reply refusing the extension's endpoints when it is off.
  std::optional<HttpReply> CheckSharedMemoryAllowed() const;
  // Refuses (before anything runs) outputs asked into shared memory that are not in a registered region's
  // range or do not fit there.
  Status CheckSharedMemoryOutputs(const InferRequest& request, const ServedModel& served) const;
  // The error reply for a model name and version that do not resolve to a declared model.
  std::optional<HttpReply> CheckModelAndVersion(const std::string& model, const std::string& version) const;

  std::unique_ptr<ServingEngine> engine_;
  std::unique_ptr<SharedMemoryRegistry> shared_memory_;  // null: the extension is off
  std::unique_ptr<BodyMemory> body_memory_;
  std::map<std::string, std::unique_ptr<ModelMetrics>> model_metrics_;
  HttpResponseCounter http_responses_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> shutting_down_{false};
};

}  // namespace missile::server
