#include "server/http_server.h"

#include <pthread.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "memory/vram_quota.h"
#include "net/server_timestamps.h"
#include "server/body_buffer.h"
#include "server/http_routes.h"
#include "server/infer_codec.h"

namespace missile::server {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;

// Bytes asked of the kernel per read while a request's header is parsed. Beast's readers ask for the free
// room of the buffer, at least 512 bytes: without this reserve they read 512 bytes a call. What of the body
// arrives with the header is copied out of it; the rest is read straight into the body's own buffer.
constexpr size_t kReadChunk = size_t{64} << 10;
constexpr uint32_t kHeaderLimit = 16 << 10;
// A refused body (413) is read and dropped up to this much, so that closing the connection does not reset it
// before the client has read the answer; a larger one is cut off.
constexpr uint64_t kDrainLimit = uint64_t{256} << 20;

// The parts of a request's header the rest of its handling needs, copied out of the parser (which a chunked
// body replaces by another).
struct RequestHead {
  std::string method;
  std::string target;
  std::optional<std::string> inference_header_length;
  unsigned version = 11;
  bool keep_alive = true;
  bool expects_continue = false;
  bool wants_timestamps = false;  // net/server_timestamps.h
};

RequestHead ReadHead(const http::request<http::empty_body>& request) {
  RequestHead head;
  head.method = std::string(request.method_string());
  head.target = std::string(request.target());
  if (auto it = request.find(kInferenceHeaderContentLength); it != request.end()) {
    head.inference_header_length = std::string(it->value());
  }
  head.version = request.version();
  head.keep_alive = request.keep_alive();
  head.expects_continue =
      request.version() >= 11 && beast::iequals(request[http::field::expect], "100-continue");
  head.wants_timestamps = request[net::kTimestampsHeader] == "1";
  return head;
}

// Where in the body the binary tensors start, to align them (BodyBuffer); the body's size when unknown.
size_t BinaryOffset(const RequestHead& head, uint64_t body_size) {
  if (!head.inference_header_length) return body_size;
  auto length = ParseInferenceHeaderLength(*head.inference_header_length);
  return length.ok() && *length < body_size ? static_cast<size_t>(*length) : body_size;
}

bool IsHttpSyntaxError(const net::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

}  // namespace

HttpServer::HttpServer(InferenceService& service, const HttpConfig& config)
    : service_(service), config_(config) {}

HttpServer::~HttpServer() = default;

Result<int> HttpServer::Bind() {
  MISSILE_ASSIGN_OR_RETURN(net::StopEvent stop, net::StopEvent::Create());
  stop_event_.emplace(std::move(stop));
  MISSILE_ASSIGN_OR_RETURN(net::TcpListener listener,
                           net::TcpListener::Listen(config_.host, config_.port, config_.listen_backlog,
                                                    config_.socket_buffer_bytes));
  listener_.emplace(std::move(listener));
  return listener_->port();
}

Result<net::SocketBuffers> HttpServer::socket_buffers() const {
  if (!listener_) return Error(ErrorCode::kFailedPrecondition, "the HTTP server has no socket before Bind()");
  return listener_->buffers();
}

Status HttpServer::Serve() {
  Status status = Status::Ok();
  if (!listener_) {
    status = Error(ErrorCode::kFailedPrecondition, "the HTTP server serves after Bind()");
  } else {
    std::vector<std::thread> threads;
    for (int i = 0; i < config_.threads; ++i) threads.emplace_back([this] { Work(); });
    const auto read_timeout = std::chrono::seconds(config_.read_timeout_s);
    const auto write_timeout = std::chrono::seconds(config_.write_timeout_s);
    while (!stopping_) {
      std::optional<net::SocketStream> connection = listener_->Accept(*stop_event_);
      if (!connection) {
        if (!stopping_) status = Error(ErrorCode::kInternal, "the HTTP server's listening socket failed");
        break;
      }
      if (!connection->SetNoDelay().ok() || !connection->SetTimeouts(read_timeout, write_timeout).ok())
        continue;
      connection->SetBusyPoll(std::chrono::microseconds(config_.busy_poll_us));
      {
        std::lock_guard lock(mutex_);
        pending_.push_back(std::move(*connection));
      }
      accepted_.notify_one();
    }
    listener_.reset();  // from here on, new connections are refused
    {
      std::lock_guard lock(mutex_);
      accepting_done_ = true;
    }
    accepted_.notify_all();
    for (std::thread& thread : threads) thread.join();
  }
  {
    std::lock_guard lock(mutex_);
    serve_finished_ = true;
  }
  finished_.notify_all();
  return status;
}

void HttpServer::Stop() {
  stopping_ = true;
  if (stop_event_) stop_event_->Signal();
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [this] { return serve_finished_; });
}

void HttpServer::Work() {
  // Named, so that per-thread tools (top -H, /proc/PID/task/*/comm) tell the connection threads apart.
  pthread_setname_np(pthread_self(), "missile-http");
  for (;;) {
    net::SocketStream connection;
    {
      std::unique_lock lock(mutex_);
      accepted_.wait(lock, [this] { return !pending_.empty() || accepting_done_; });
      // Connections accepted before the stop are still served: each answers what it has already sent.
      if (pending_.empty()) return;
      connection = std::move(pending_.front());
      pending_.pop_front();
    }
    ServeConnection(connection);
  }
}

void HttpServer::ServeConnection(net::SocketStream& socket) {
  beast::flat_buffer buffer;
  buffer.reserve(kReadChunk);
  BodyBuffer body_buffer(&service_.body_memory());
  const auto keep_alive_timeout = std::chrono::seconds(config_.keep_alive_timeout_s);
  uint64_t requests = 0;
  for (;;) {
    // Between requests: the next one, the keep-alive timeout or the server's stop (a request that has already
    // arrived is still answered).
    if (buffer.size() == 0 && socket.WaitReadable(keep_alive_timeout, stop_event_->fd()) !=
                                  net::SocketStream::Readiness::kReadable) {
      return;
    }
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // checked against max_body_bytes below
    net::error_code ec;
    http::read_header(socket, buffer, parser, ec);
    if (ec) {
      // The client closed, went silent or reset the connection: nobody to answer.
      if (ec == http::error::end_of_stream || !IsHttpSyntaxError(ec) || ec == http::error::partial_message)
        return;
      if (ec == http::error::header_limit) {
        Respond(socket,
                ErrorReply(431, fmt::format("the request's header is larger than {} bytes", kHeaderLimit)),
                11, false);
      } else {
        Respond(socket, ErrorReply(400, fmt::format("malformed HTTP request: {}", ec.message())), 11, false);
      }
      return;
    }
    const int64_t head_ns = net::SteadyNanosecondsNow();
    RequestHead head = ReadHead(parser.get());
    bool keep_alive = head.keep_alive && ++requests < config_.keep_alive_max_requests;
    const auto send_continue = [&] {
      // The client waits for this before sending its body (curl does so for large bodies).
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::error_code write_ec;
      boost::asio::write(socket, boost::asio::buffer(kContinue.data(), kContinue.size()), write_ec);
    };

    std::string_view body;
    std::shared_ptr<std::byte[]> body_owner;
    if (parser.chunked()) {
      if (head.expects_continue) send_continue();
      http::request_parser<http::string_body> chunked(std::move(parser));
      chunked.body_limit(config_.max_body_bytes);
      http::read(socket, buffer, chunked, ec);
      if (ec == http::error::body_limit) {
        Respond(socket,
                ErrorReply(413, fmt::format("request body is larger than the server's limit of {} "
                                            "(server.max_body_bytes)",
                                            memory::FormatBytes(config_.max_body_bytes))),
                head.version, false);
        return;
      }
      if (ec) {
        if (IsHttpSyntaxError(ec) && ec != http::error::partial_message) {
          Respond(socket, ErrorReply(400, fmt::format("malformed chunked body: {}", ec.message())),
                  head.version, false);
        }
        return;
      }
      const std::string& text = chunked.get().body();
      std::span<std::byte> room = body_buffer.Prepare(text.size(), BinaryOffset(head, text.size()));
      if (!text.empty()) std::memcpy(room.data(), text.data(), text.size());
      body = {reinterpret_cast<const char*>(room.data()), room.size()};
      body_owner = body_buffer.owner();
    } else if (const uint64_t length = parser.content_length().value_or(0); length > 0) {
      if (length > config_.max_body_bytes) {
        // Refused before a byte of it is read.
        Respond(socket,
                ErrorReply(413, fmt::format("request body is larger than the server's limit of {} "
                                            "(server.max_body_bytes)",
                                            memory::FormatBytes(config_.max_body_bytes))),
                head.version, false);
        // Drop what the client is still sending, so that it reads the answer instead of a reset connection.
        socket.ShutdownWrite();
        uint64_t dropped = std::min<uint64_t>(buffer.size(), length);
        std::vector<std::byte> scratch(kReadChunk);
        while (dropped < std::min(length, kDrainLimit)) {
          const size_t n = socket.read_some(
              boost::asio::buffer(scratch.data(), std::min<uint64_t>(scratch.size(), length - dropped)), ec);
          if (ec) break;
          dropped += n;
        }
        return;
      }
      if (head.expects_continue) send_continue();
      std::span<std::byte> room = body_buffer.Prepare(length, BinaryOffset(head, length));
      // The body's first bytes came with the header; the rest is read straight into place, in large reads.
      const size_t buffered = std::min<uint64_t>(buffer.size(), length);
      std::memcpy(room.data(), buffer.data().data(), buffered);
      buffer.consume(buffered);
      const size_t received = buffered + socket.ReadFull(room.data() + buffered, length - buffered, ec);
      if (ec) {
        if (ec == beast::error::timeout) {
          Respond(socket,
                  ErrorReply(400,
                             fmt::format("the request body stopped after {} of its {} bytes (Content-Length) "
                                         "for {} s (server.read_timeout_s)",
                                         received, length, config_.read_timeout_s)),
                  head.version, false);
        }
        return;
      }
      body = {reinterpret_cast<const char*>(room.data()), room.size()};
      body_owner = body_buffer.owner();
    }

    const int64_t body_ns = net::SteadyNanosecondsNow();
    HttpRequest request{head.method, head.target, std::nullopt, body, std::move(body_owner)};
    if (head.inference_header_length) request.inference_header_length = *head.inference_header_length;
    HttpReply reply;
    try {
      reply = Dispatch(service_, request);
    } catch (const std::exception& e) {
      reply = ErrorReply(500, fmt::format("internal error: {}", e.what()));
    }
    if (head.wants_timestamps) {
      net::ServerTimestamps timestamps{{"head", head_ns}, {"body", body_ns}};
      reply.marks.AppendTo(timestamps);
      timestamps.emplace_back("reply", net::SteadyNanosecondsNow());
      reply.headers.emplace_back(net::kTimestampsHeader, net::FormatServerTimestamps(timestamps));
    }
    request = {};
    body_buffer.Finish();
    // A stop that came while this request ran: its response closes the connection.
    if (stopping_) keep_alive = false;
    if (!Respond(socket, std::move(reply), head.version, keep_alive) || !keep_alive) return;
  }
}

bool HttpServer::Respond(net::SocketStream& socket, HttpReply reply, unsigned version, bool keep_alive) {
  http::response<http::string_body> response;
  response.version(version);
  response.result(static_cast<unsigned>(reply.status));
  response.set(http::field::server, kServerName);
  response.set(http::field::content_type, reply.content_type);
  for (const auto& [name, value] : reply.headers) response.set(name, value);
  response.body() = std::move(reply.body);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  net::error_code ec;
  http::write(socket, response, ec);
  service_.CountHttpResponse(reply.status);
  return !ec;
}

}  // namespace missile::server
