// The HTTP mechanism under the inference service: cpp-httplib's server, its routes mapped onto
// InferenceService's endpoints, limits (body size, timeouts, connection threads) and a clean stop.
#pragma once

#include <atomic>
#include <memory>

#include "server/inference_service.h"

namespace httplib {
class Server;
}

namespace missile::server {

class HttpServer {
 public:
  HttpServer(InferenceService& service, const HttpConfig& config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Opens the listening socket; returns the port (the one chosen when the configured port is 0).
  Result<int> Bind();
  // Serves until Stop(); returns once the connections' threads have finished what they had received.
  Status Serve();
  // Stops accepting connections and waits until Serve() has returned (in-flight requests finished). Call it
  // from another thread than Serve()'s, once Serve() has been or is about to be called.
  void Stop();

 private:
  void AddRoutes();

  InferenceService& service_;
  const HttpConfig config_;
  std::unique_ptr<httplib::Server> server_;
  int listen_socket_ = -1;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> serve_finished_{false};
};

}  // namespace missile::server
