// Load-generator requests over HTTP to a running `missile serve` (or any Open Inference Protocol server):
// one keep-alive connection per request slot, each request the same pre-encoded body (binary tensors by
// default, JSON on request).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "loadgen/http_timeline.h"
#include "loadgen/inference_client.h"
#include "server/infer_codec.h"
#include "server/served_model.h"

namespace missile::loadgen {

struct HttpEndpoint {
  std::string host;
  int port = 80;
};
// "http://host:port" (a trailing '/' allowed); https and paths are refused.
Result<HttpEndpoint> ParseHttpUrl(const std::string& url);

struct HttpClientOptions {
  bool binary_tensors = true;
  double timeout_s = 60;
  uint64_t seed = 1;
  // Microseconds each connection polls for the response before sleeping (0: it sleeps at once). The
  // in-process client waits for the GPU by spinning (CUDA's default), so a comparison of the two may want the
  // same here.
  int busy_poll_us = 0;
  // Socket buffers each connection asks for (net/socket_buffers.h; 0: the kernel's own sizing).
  int socket_buffer_bytes = 0;
  // Tensors through the server's system shared-memory extension instead of the body: each connection makes
  // a POSIX shared-memory object holding its request's inputs (written once, as a client that reuses its
  // buffers would) and room for the outputs, registers it as a region, and sends only the JSON that names
  // it. The server must allow client shared memory and run on this host.
  bool shared_memory = false;
  // Ask the server for its timestamps (net/server_timestamps.h) and line them up with the client's:
  // timeline().
  bool timeline = false;
};

class HttpClientFactory final : public ClientFactory {
 public:
  static Result<std::unique_ptr<HttpClientFactory>> Create(const std::string& url, HttpClientOptions options);

  Status Prepare(const StreamSpec& stream) override;
  Result<std::unique_ptr<InferenceClient>> Connect(const StreamSpec& stream) override;
  std::string Describe() const override;
  // With HttpClientOptions::timeline: every successful exchange's phases so far; null without.
  const HttpTimeline* timeline() const { return timeline_.get(); }

  // A request's encoded form, shared by every client of the model's streams (with shared memory, the
  // request each client encodes for its own region).
  struct PreparedRequest {
    std::string path;
    std::string body;
    std::string content_type;
    std::optional<size_t> json_length;
    server::InferRequest request;                  // the inputs the body carries
    std::vector<server::TensorSignature> outputs;  // the model's outputs
  };

 private:
  HttpClientFactory(HttpEndpoint endpoint, std::string url, HttpClientOptions options)
      : endpoint_(std::move(endpoint)),
        url_(std::move(url)),
        options_(options),
        timeline_(options.timeline ? std::make_shared<HttpTimeline>() : nullptr) {}

  HttpEndpoint endpoint_;
  std::string url_;
  HttpClientOptions options_;
  std::map<std::string, std::shared_ptr<const PreparedRequest>> prepared_;  // by model
  std::shared_ptr<HttpTimeline> timeline_;                                  // shared with the clients
};

}  // namespace missile::loadgen
