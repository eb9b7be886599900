// How the load generator sends one request of a stream: over HTTP to a running server, or in-process straight
// into the engine (to measure what the server adds). A factory prepares each stream once (its model's
// inputs, its encoded request) and then opens one client per concurrent request slot.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "loadgen/workload.h"

namespace missile::loadgen {

struct CallResult {
  bool ok = true;
  std::string error_kind;  // a short key for counting: "http_400", "connection", "engine"
  std::string error_message;

  static CallResult Failure(std::string kind, std::string message) {
    return {false, std::move(kind), std::move(message)};
  }
};

// One request slot: not thread-safe; each worker thread owns one.
class InferenceClient {
 public:
  virtual ~InferenceClient() = default;
  virtual CallResult Infer() = 0;
};

class ClientFactory {
 public:
  virtual ~ClientFactory() = default;
  // Once per stream, before the run starts: learns the model's inputs and builds the request.
  virtual Status Prepare(const StreamSpec& stream) = 0;
  virtual Result<std::unique_ptr<InferenceClient>> Connect(const StreamSpec& stream) = 0;
  virtual std::string Describe() const = 0;  // "http://127.0.0.1:8000 (binary tensors)", "in-process"
};

}  // namespace missile::loadgen
