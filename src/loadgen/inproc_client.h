// Load-generator requests straight into the engine, in this process: each model of a server configuration
// loaded as the server loads it, each request a Session::Run on the calling thread. The latency it measures
// is the engine's; the same workload over HTTP shows what the server adds on top.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "loadgen/inference_client.h"
#include "server/served_model.h"
#include "server/server_config.h"

namespace missile::loadgen {

class InProcessClientFactory final : public ClientFactory {
 public:
  InProcessClientFactory(server::ServerConfig config, uint64_t seed);

  // Loads the stream's model (once per model) from the configuration.
  Status Prepare(const StreamSpec& stream) override;
  Result<std::unique_ptr<InferenceClient>> Connect(const StreamSpec& stream) override;
  std::string Describe() const override { return "in-process (the engine alone, no server)"; }

  struct LoadedModel {
    std::unique_ptr<server::ServedModel> model;
    runtime::NamedTensors inputs;
  };

 private:
  server::ServerConfig config_;
  uint64_t seed_;
  std::map<std::string, std::shared_ptr<LoadedModel>> models_;
};

}  // namespace missile::loadgen
