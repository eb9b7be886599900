// The HTTP transport under the inference service: a listening socket, a pool of connection threads, HTTP/1.1
// read and written with Boost.Beast on blocking sockets (net/socket_stream.h), limits (body size, timeouts,
// keep-alive) and a graceful stop. What each request means is decided by http_routes.h.
//
// A connection is served by one thread from its first request to its close, as in a thread-per-connection
// server: a request's bytes wake that thread directly (no reactor between), and a request for an idle tenant
// runs on it (per_tenant_workers.h). Request bodies are read with as few large recv() calls as the kernel
// allows, straight into a buffer placed for the binary tensors to be used in place (body_buffer.h):
// docs/server.md has the measured system calls per request.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "net/socket_stream.h"
#include "net/tcp_listener.h"
#include "server/inference_service.h"

namespace missile::server {

class HttpServer {
 public:
  HttpServer(InferenceService& service, const HttpConfig& config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Opens the listening socket; returns the port (the one chosen when the configured port is 0).
  Result<int> Bind();
  // After Bind(): the socket buffers the kernel gives each connection (what server.socket_buffer_bytes got).
  Result<net::SocketBuffers> socket_buffers() const;
  // Serves until Stop(); returns once the connection threads have answered every request they had received.
  Status Serve();
  // Stops accepting connections, lets each connection finish the request it is receiving or running (its
  // response then closes the connection) and closes idle ones, and waits until Serve() has returned. Call it
  // from another thread than Serve()'s, once Serve() has been or is about to be called.
  void Stop();

 private:
  // One connection thread: takes accepted connections one at a time until the server stops.
  void Work();
  void ServeConnection(net::SocketStream& socket);
  // Writes the reply and counts it; false when the client is gone.
  bool Respond(net::SocketStream& socket, HttpReply reply, unsigned version, bool keep_alive);

  InferenceService& service_;
  const HttpConfig config_;
  std::optional<net::TcpListener> listener_;
  std::optional<net::StopEvent> stop_event_;
  std::atomic<bool> stopping_{false};

  std::mutex mutex_;
  std::condition_variable accepted_;  // a connection waits, or accepting has ended
  std::deque<net::SocketStream> pending_;
  bool accepting_done_ = false;
  bool serve_finished_ = false;
  std::condition_variable finished_;
};

}  // namespace missile::server
