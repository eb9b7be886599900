// The Open Inference Protocol's HTTP routes: which endpoint of the inference service a method and a request
// target name, and the call that answers it. Plain functions of a request's parts: http_server.cpp reads
// requests off sockets and writes the replies back.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/inference_service.h"

namespace missile::server {

enum class Endpoint {
  kLive,              // GET  /v2/health/live
  kReady,             // GET  /v2/health/ready
  kServerMetadata,    // GET  /v2 (or /v2/)
  kModelMetadata,     // GET  /v2/models/{m}[/versions/{v}]
  kModelReady,        // GET  ...{m}[/versions/{v}]/ready
  kModelConfig,       // GET  ...{m}[/versions/{v}]/config
  kInfer,             // POST ...{m}[/versions/{v}]/infer
  kRepositoryIndex,   // POST /v2/repository/index
  kRepositoryLoad,    // POST /v2/repository/models/{m}/load
  kRepositoryUnload,  // POST /v2/repository/models/{m}/unload
  kMetrics,           // GET  /metrics
  // The system shared-memory extension (Triton's paths):
  kSharedMemoryStatus,      // GET  /v2/systemsharedmemory[/region/{r}]/status
  kSharedMemoryRegister,    // POST /v2/systemsharedmemory/region/{r}/register
  kSharedMemoryUnregister,  // POST /v2/systemsharedmemory[/region/{r}]/unregister
};

struct Route {
  Endpoint endpoint;
  std::string model;    // percent-decoded
  std::string version;  // empty when the path names none
  std::string region;   // a shared-memory region, percent-decoded; empty when the path names none
};

// The route a method and request target (a path, with an optional query after '?', which is ignored) name;
// nullopt when none does. A model name or version is one non-empty path segment.
std::optional<Route> MatchRoute(std::string_view method, std::string_view target);

struct HttpRequest {
  std::string_view method;
  std::string_view target;
  std::optional<std::string_view> inference_header_length;  // the Inference-Header-Content-Length header
  std::string_view body;
  // When set: points at body's first byte and keeps it alive, so binary tensors can refer to it in place.
  std::shared_ptr<std::byte[]> body_owner;
};

// The service's reply to the request, or 404 {"error": "no route for METHOD PATH"}.
HttpReply Dispatch(InferenceService& service, const HttpRequest& request);

}  // namespace missile::server
