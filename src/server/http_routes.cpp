#include "server/http_routes.h"

#include <algorithm>
#include <initializer_list>
#include <vector>

namespace missile::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes decoded; a malformed escape is kept as it is (it then names no model).
std::string PercentDecode(std::string_view segment) {
  std::string decoded;
  decoded.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size()) {
      const int high = HexValue(segment[i + 1]);
      const int low = HexValue(segment[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    decoded.push_back(segment[i]);
  }
  return decoded;
}

// "/a/b/" -> {"a", "b", ""}; nullopt when the path does not start with '/'.
std::optional<std::vector<std::string_view>> Segments(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  std::vector<std::string_view> segments;
  size_t start = 1;
  for (;;) {
    const size_t slash = path.find('/', start);
    segments.push_back(
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

std::string PathOf(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

}  // namespace

std::optional<Route> MatchRoute(std::string_view method, std::string_view target) {
  auto parts = Segments(target.substr(0, target.find('?')));
  if (!parts) return std::nullopt;
  const std::vector<std::string_view>& s = *parts;
  const bool get = method == "GET";
  const bool post = method == "POST";
  const auto is = [&](std::initializer_list<std::string_view> expected) {
    return s.size() == expected.size() && std::equal(expected.begin(), expected.end(), s.begin());
  };
  if (get && is({"metrics"})) return Route{Endpoint::kMetrics, "", "", ""};
  if (s.empty() || s[0] != "v2") return std::nullopt;
  if (get && (is({"v2"}) || is({"v2", ""}))) return Route{Endpoint::kServerMetadata, "", "", ""};
  if (get && is({"v2", "health", "live"})) return Route{Endpoint::kLive, "", "", ""};
  if (get && is({"v2", "health", "ready"})) return Route{Endpoint::kReady, "", "", ""};
  if (post && is({"v2", "repository", "index"})) return Route{Endpoint::kRepositoryIndex, "", "", ""};
  if (post && s.size() == 5 && s[1] == "repository" && s[2] == "models" && !s[3].empty()) {
    if (s[4] == "load") return Route{Endpoint::kRepositoryLoad, PercentDecode(s[3]), "", ""};
    if (s[4] == "unload") return Route{Endpoint::kRepositoryUnload, PercentDecode(s[3]), "", ""};
    return std::nullopt;
  }
  if (s.size() >= 3 && s[1] == "systemsharedmemory") {
    Route route{Endpoint::kSharedMemoryStatus, "", "", ""};
    size_t next = 2;
    if (s.size() == 5 && s[2] == "region" && !s[3].empty()) {
      route.region = PercentDecode(s[3]);
      next = 4;
    }
    if (next + 1 != s.size()) return std::nullopt;
    if (get && s[next] == "status") return route;
    if (post && s[next] == "unregister") {
      route.endpoint = Endpoint::kSharedMemoryUnregister;
      return route;
    }
    if (post && s[next] == "register" && !route.region.empty()) {
      route.endpoint = Endpoint::kSharedMemoryRegister;
      return route;
    }
    return std::nullopt;
  }
  // /v2/models/{m}[/versions/{v}][/ready|/config|/infer]
  if (s.size() < 3 || s[1] != "models" || s[2].empty()) return std::nullopt;
  Route route{Endpoint::kModelMetadata, PercentDecode(s[2]), "", ""};
  size_t next = 3;
  if (s.size() >= 5 && s[3] == "versions" && !s[4].empty()) {
    route.version = PercentDecode(s[4]);
    next = 5;
  }
  if (next == s.size()) {
    if (!get) return std::nullopt;
    return route;
  }
  if (next + 1 != s.size()) return std::nullopt;
  if (get && s[next] == "ready")
    route.endpoint = Endpoint::kModelReady;
  else if (get && s[next] == "config")
    route.endpoint = Endpoint::kModelConfig;
  else if (post && s[next] == "infer")
    route.endpoint = Endpoint::kInfer;
  else
    return std::nullopt;
  return route;
}

HttpReply Dispatch(InferenceService& service, const HttpRequest& request) {
  const std::optional<Route> route = MatchRoute(request.method, request.target);
  if (!route)
    return ErrorReply(404, fmt::format("no route for {} {}", request.method, PathOf(request.target)));
  switch (route->endpoint) {
    case Endpoint::kLive:
      return service.Live();
    case Endpoint::kReady:
      return service.Ready();
    case Endpoint::kServerMetadata:
      return service.ServerMetadata();
    case Endpoint::kModelMetadata:
      return service.ModelMetadata(route->model, route->version);
    case Endpoint::kModelReady:
      return service.ModelReady(route->model, route->version);
    case Endpoint::kModelConfig:
      return service.ModelConfiguration(route->model, route->version);
    case Endpoint::kInfer:
      return service.Infer(route->model, route->version, request.inference_header_length, request.body,
                           request.body_owner);
    case Endpoint::kRepositoryIndex:
      return service.RepositoryIndex();
    case Endpoint::kRepositoryLoad:
      return service.RepositoryLoad(route->model);
    case Endpoint::kRepositoryUnload:
      return service.RepositoryUnload(route->model);
    case Endpoint::kMetrics:
      return service.Metrics();
    case Endpoint::kSharedMemoryStatus:
      return service.SharedMemoryStatus(route->region);
    case Endpoint::kSharedMemoryRegister:
      return service.SharedMemoryRegister(route->region, request.body);
    case Endpoint::kSharedMemoryUnregister:
      return service.SharedMemoryUnregister(route->region);
  }
  return ErrorReply(500, "unhandled route");
}

}  // namespace missile::server
