// A client's keep-alive HTTP/1.1 connection, over a blocking socket with timeouts (socket_stream.h), HTTP
// read and written by Boost.Beast: the load generator's transport. It connects at its first request and again
// when the server has closed it between requests (keep-alive timeout or request limit).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "net/socket_stream.h"

namespace missile::net {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When the request's last byte went to the kernel, and when the response had been read whole.
  std::chrono::steady_clock::time_point sent;
  std::chrono::steady_clock::time_point received;
  // The value of a header (names compare case-insensitively), when present.
  std::optional<std::string_view> Header(std::string_view name) const;
};

class HttpConnection {
 public:
  HttpConnection(std::string host, int port, std::chrono::milliseconds timeout);
  ~HttpConnection();
  HttpConnection(HttpConnection&&) noexcept;
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Reads and waits poll the socket for up to `window` before sleeping (socket_stream.h's SetBusyPoll).
  void SetBusyPoll(std::chrono::microseconds window);
  // Connections made from now on ask for socket buffers of this size (socket_buffers.h; 0: the kernel's).
  void SetSocketBufferBytes(int bytes) { socket_buffer_bytes_ = bytes; }

  // Sends a request (header and body in one system call where the kernel takes it) and reads the response.
  // kUnavailable when the server cannot be reached or the connection fails; the message says how.
  Result<HttpResponse> Request(std::string_view method, std::string_view target,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view body = {}, std::string_view content_type = {});

 private:
  struct ReadBuffer;
  Result<HttpResponse> Exchange(std::string_view method, std::string_view target,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                std::string_view body, std::string_view content_type, bool& nothing_received);

  std::string host_;
  int port_;
  std::chrono::milliseconds timeout_;
  std::chrono::microseconds busy_poll_{0};
  int socket_buffer_bytes_ = 0;
  SocketStream socket_;
  std::unique_ptr<ReadBuffer> buffer_;
};

}  // namespace missile::net
