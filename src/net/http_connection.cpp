#include "net/http_connection.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <limits>

namespace missile::net {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;

// Bytes asked of the kernel per read: a response's header and a small body arrive in one call (Beast's
// readers would otherwise read 512 bytes at a time).
constexpr size_t kReadChunk = size_t{64} << 10;

}  // namespace

struct HttpConnection::ReadBuffer {
  beast::flat_buffer buffer;
};

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return std::nullopt;
}

HttpConnection::HttpConnection(std::string host, int port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout), buffer_(std::make_unique<ReadBuffer>()) {
  buffer_->buffer.reserve(kReadChunk);
}

HttpConnection::~HttpConnection() = default;

void HttpConnection::SetBusyPoll(std::chrono::microseconds window) {
  busy_poll_ = window;
  socket_.SetBusyPoll(window);
}
HttpConnection::HttpConnection(HttpConnection&&) noexcept = default;

Result<HttpResponse> HttpConnection::Request(std::string_view method, std::string_view target,
                                             const std::vector<std::pair<std::string, std::string>>& headers,
                                             std::string_view body, std::string_view content_type) {
  // A kept-alive connection that reads as ready between requests was closed by the server (or holds stray
  // bytes): start afresh rather than send into it.
  bool reused = socket_.is_open();
  if (reused && socket_.ReadableNow()) {
    socket_.Close();
    reused = false;
  }
  bool nothing_received = false;
  auto response = Exchange(method, target, headers, body, content_type, nothing_received);
  // The server may close an idle connection just as a request goes out: then nothing of a response came back,
  // and the request is sent once more on a new connection.
  if (!response.ok() && reused && nothing_received) {
    socket_.Close();
    response = Exchange(method, target, headers, body, content_type, nothing_received);
  }
  if (!response.ok()) socket_.Close();
  return response;
}

Result<HttpResponse> HttpConnection::Exchange(std::string_view method, std::string_view target,
                                              const std::vector<std::pair<std::string, std::string>>& headers,
                                              std::string_view body, std::string_view content_type,
                                              bool& nothing_received) {
  nothing_received = true;
  if (!socket_.is_open()) {
    buffer_->buffer.clear();
    MISSILE_ASSIGN_OR_RETURN(socket_, SocketStream::Connect(host_, port_, timeout_, socket_buffer_bytes_));
    socket_.SetBusyPoll(busy_poll_);
  }
  http::request<http::span_body<const char>> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(http::field::host, host_);
  if (!content_type.empty()) {
    request.set(http::field::content_type, content_type);
  }
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = http::span_body<const char>::value_type(body.data(), body.size());
  request.keep_alive(true);
  request.prepare_payload();
  error_code ec;
  http::write(socket_, request, ec);
  if (ec) {
    return Error(ErrorCode::kUnavailable, "sending {} {} to {}:{} failed: {}", method, target, host_, port_,
                 ec.message());
  }
  const auto sent = std::chrono::steady_clock::now();
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read(socket_, buffer_->buffer, parser, ec);
  nothing_received = !parser.got_some();
  if (ec) {
    return Error(ErrorCode::kUnavailable, "reading the response to {} {} from {}:{} failed: {}", method,
                 target, host_, port_, ec.message());
  }
  http::response<http::string_body> message = parser.release();
  HttpResponse response;
  response.received = std::chrono::steady_clock::now();
  response.sent = sent;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  if (!message.keep_alive()) socket_.Close();
  return response;
}

}  // namespace missile::net
