// A listening TCP socket, and the event that stops threads blocked on sockets: what an HTTP server needs to
// accept connections and to stop accepting them.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "net/socket_buffers.h"
#include "net/socket_stream.h"

namespace missile::net {

// Once signalled, stays signalled: every thread that waits on fd() (with poll) wakes, now and later.
class StopEvent {
 public:
  static Result<StopEvent> Create();
  StopEvent(StopEvent&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StopEvent& operator=(StopEvent&& other) noexcept;
  StopEvent(const StopEvent&) = delete;
  ~StopEvent();

  void Signal();
  bool signalled() const;
  int fd() const { return fd_; }

 private:
  explicit StopEvent(int fd) : fd_(fd) {}
  int fd_ = -1;
};

class TcpListener {
 public:
  // Binds host:port (port 0: any free port) with SO_REUSEADDR and listens with `backlog` pending connections.
  // A positive `buffer_bytes` sizes the socket buffers of every connection accepted (socket_buffers.h: set on
  // the listening socket, which its connections inherit). kUnavailable when the address is in use or not this
  // machine's.
  static Result<TcpListener> Listen(const std::string& host, int port, int backlog, int buffer_bytes = 0);
  TcpListener(TcpListener&& other) noexcept : fd_(other.fd_), port_(other.port_) { other.fd_ = -1; }
  TcpListener& operator=(TcpListener&&) = delete;
  TcpListener(const TcpListener&) = delete;
  ~TcpListener();

  int port() const { return port_; }  // the bound port (the chosen one for port 0)
  // The buffers the kernel gives each accepted connection.
  Result<SocketBuffers> buffers() const { return SocketBuffersOf(fd_); }

  // Waits for the next connection; nullopt once `stop` is signalled. Failures of single connections (the peer
  // gave up before it was accepted, out of file descriptors for a moment) are skipped, not returned.
  std::optional<SocketStream> Accept(const StopEvent& stop);

 private:
  TcpListener(int fd, int port) : fd_(fd), port_(port) {}
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace missile::net
