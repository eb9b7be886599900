// Load-generator requests straight into the engine, in this process, without the server: the configuration
// builds the same serving engine the server builds (server/serving_engine.h: backend, model settings, the
// tenants' transfer routes, the executor), and each request is the server's decoded request submitted to it
// on the calling thread. The latency it measures is the engine's; the same workload over HTTP shows what the
// server adds on top (receiving, decoding and encoding requests, HTTP).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "loadgen/inference_client.h"
#include "server/model_repository.h"
#include "server/server_config.h"
#include "server/serving_engine.h"

namespace missile::loadgen {

class InProcessClientFactory final : public ClientFactory {
 public:
  InProcessClientFactory(server::ServerConfig config, uint64_t seed);
  ~InProcessClientFactory() override;

  // Builds the engine (at the first stream) and loads the stream's model (once per model), as the server
  // does.
  Status Prepare(const StreamSpec& stream) override;
  Result<std::unique_ptr<InferenceClient>> Connect(const StreamSpec& stream) override;
  std::string Describe() const override { return "in-process (the server's engine, no HTTP)"; }

  struct LoadedModel {
    server::ModelLease lease;  // keeps the model loaded while clients use it
    server::InferRequest request;
  };

 private:
  server::ServerConfig config_;
  uint64_t seed_;
  std::unique_ptr<server::ServingEngine> engine_;
  std::map<std::string, std::shared_ptr<LoadedModel>> models_;  // before engine_ goes: their leases
};

}  // namespace missile::loadgen
