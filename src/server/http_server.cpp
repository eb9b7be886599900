#include "server/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "memory/vram_quota.h"

namespace missile::server {
namespace {

void Apply(const HttpReply& reply, httplib::Response& res) {
  res.status = reply.status;
  for (const auto& [name, value] : reply.headers) res.set_header(name, value);
  res.set_content(reply.body, reply.content_type);
}

// Path patterns; a model name is one path segment, and /versions/<v> may follow it.
constexpr const char* kModel = R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)";

std::string Match(const httplib::Request& req, size_t index) {
  return index < req.matches.size() ? req.matches[index].str() : std::string();
}

}  // namespace

HttpServer::HttpServer(InferenceService& service, const HttpConfig& config)
    : service_(service), config_(config), server_(std::make_unique<httplib::Server>()) {
  const int threads = config_.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server_->set_payload_max_length(config_.max_body_bytes);
  server_->set_read_timeout(config_.read_timeout_s, 0);
  server_->set_write_timeout(config_.write_timeout_s, 0);
  server_->set_keep_alive_timeout(config_.keep_alive_timeout_s);
  server_->set_keep_alive_max_count(config_.keep_alive_max_requests);
  // Small responses must leave at once, not wait for Nagle's algorithm and the client's delayed ACK.
  server_->set_tcp_nodelay(true);
  server_->set_socket_options([this](socket_t socket) {
    listen_socket_ = socket;
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->set_logger([this](const httplib::Request&, const httplib::Response& res) {
    service_.CountHttpResponse(res.status);
  });
  // Responses httplib makes itself (unknown route, body over the limit, unparsable request) get the same
  // {"error": ...} body as the service's own errors.
  server_->set_error_handler(
      httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message;
        switch (res.status) {
          case 404:
            message = fmt::format("no route for {} {}", req.method, req.path);
            break;
          case 413:
            // httplib parses application/x-www-form-urlencoded bodies (curl -d's default type) and caps them
            // at 8 KiB whatever the body limit: say so, or the limit in the message would look wrong.
            if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0 &&
                req.get_header_value<uint64_t>("Content-Length") <= config_.max_body_bytes) {
              message =
                  "form-encoded bodies are limited to 8 KiB: send the request as application/json or "
                  "application/octet-stream (curl: -H 'Content-Type: application/json')";
            } else {
              message =
                  fmt::format("request body is larger than the server's limit of {} (server.max_body_bytes)",
                              memory::FormatBytes(config_.max_body_bytes));
            }
            break;
          case 400:
            message = req.method == "POST" && !req.has_header("Content-Length") &&
                              !req.has_header("Transfer-Encoding")
                          ? "a POST needs a Content-Length header, 0 for no body (curl: -d '')"
                          : "malformed HTTP request";
            break;
          default:
            message = fmt::format("HTTP error {}", res.status);
            break;
        }
        res.set_content(ErrorReply(res.status, message).body, "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string message = "internal error";
        try {
          if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
          message = fmt::format("internal error: {}", e.what());
        } catch (...) {
        }
        Apply(ErrorReply(500, message), res);
      });
  AddRoutes();
}

HttpServer::~HttpServer() = default;

void HttpServer::AddRoutes() {
  InferenceService& s = service_;
  server_->Get("/v2/health/live",
               [&s](const httplib::Request&, httplib::Response& res) { Apply(s.Live(), res); });
  server_->Get("/v2/health/ready",
               [&s](const httplib::Request&, httplib::Response& res) { Apply(s.Ready(), res); });
  server_->Get(R"(/v2/?)",
               [&s](const httplib::Request&, httplib::Response& res) { Apply(s.ServerMetadata(), res); });
  server_->Get(kModel, [&s](const httplib::Request& req, httplib::Response& res) {
    Apply(s.ModelMetadata(Match(req, 1), Match(req, 2)), res);
  });
  server_->Get(std::string(kModel) + "/ready", [&s](const httplib::Request& req, httplib::Response& res) {
    Apply(s.ModelReady(Match(req, 1), Match(req, 2)), res);
  });
  server_->Get(std::string(kModel) + "/config", [&s](const httplib::Request& req, httplib::Response& res) {
    Apply(s.ModelConfiguration(Match(req, 1), Match(req, 2)), res);
  });
  server_->Post(std::string(kModel) + "/infer", [&s](const httplib::Request& req, httplib::Response& res) {
    std::optional<std::string_view> header_length;
    if (req.has_header(kInferenceHeaderContentLength)) {
      header_length = req.get_header_value(kInferenceHeaderContentLength);
    }
    Apply(s.Infer(Match(req, 1), Match(req, 2), header_length, req.body), res);
  });
  server_->Post("/v2/repository/index",
                [&s](const httplib::Request&, httplib::Response& res) { Apply(s.RepositoryIndex(), res); });
  server_->Post(R"(/v2/repository/models/([^/]+)/load)",
                [&s](const httplib::Request& req, httplib::Response& res) {
                  Apply(s.RepositoryLoad(Match(req, 1)), res);
                });
  server_->Post(R"(/v2/repository/models/([^/]+)/unload)",
                [&s](const httplib::Request& req, httplib::Response& res) {
                  Apply(s.RepositoryUnload(Match(req, 1)), res);
                });
  server_->Get("/metrics",
               [&s](const httplib::Request&, httplib::Response& res) { Apply(s.Metrics(), res); });
}

Result<int> HttpServer::Bind() {
  int port = config_.port;
  if (port == 0) {
    port = server_->bind_to_any_port(config_.host);
    if (port < 0) return Error(ErrorCode::kUnavailable, "cannot listen on {} (any port)", config_.host);
  } else if (!server_->bind_to_port(config_.host, port)) {
    return Error(ErrorCode::kUnavailable,
                 "cannot listen on {}:{} (in use, or not an address of this machine)", config_.host, port);
  }
  // Debian's libcpp-httplib is built with an accept backlog of 5: a burst of new connections (64 clients
  // starting at once) would overflow it and wait for SYN retransmissions (1 s and more). Linux lets a
  // listening socket's backlog be raised by calling listen() again.
  if (listen_socket_ >= 0) ::listen(listen_socket_, config_.listen_backlog);
  return port;
}

Status HttpServer::Serve() {
  const bool ok = stop_requested_ || server_->listen_after_bind();
  serve_finished_ = true;
  if (!ok) return Error(ErrorCode::kInternal, "the HTTP server's listening socket failed");
  return Status::Ok();
}

void HttpServer::Stop() {
  stop_requested_ = true;
  // httplib's stop() does nothing before listening has started, and must not be called twice: call it once
  // the server runs, then wait for Serve() to return.
  bool stopped = false;
  while (!serve_finished_) {
    if (!stopped && server_->is_running()) {
      server_->stop();
      stopped = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace missile::server
