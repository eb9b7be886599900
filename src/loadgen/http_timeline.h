// Where HTTP requests' time went, phase by phase: the load generator's own clock around each exchange lined
// up with the server's timestamps (net/server_timestamps.h, same host only). What `missile bench --timeline`
// reports, to attribute what the server adds over in-process execution (docs/server.md).
#pragma once

#include <array>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/http_connection.h"
#include "net/server_timestamps.h"

namespace missile::loadgen {

class HttpTimeline {
 public:
  // Each from the request's start (before its first byte was written) unless said otherwise.
  static constexpr std::array<const char*, 6> kPhases = {
      "client_send",      // until the client's write returned: the request handed to the kernel
      "server_header",    // until the server had parsed the request's header (its wake-up included)
      "server_body",      // from the header until the body was read whole
      "server_handling",  // from the body until the response was built: decode, queue, run, encode
      "response_return",  // from the response built until the client had read it whole
      "total",
  };

  // One exchange, `start` by the client's steady clock, the server's stamps by its own (the same clock on
  // one host). Thread-safe.
  void Record(std::chrono::steady_clock::time_point start, const net::HttpResponse& response,
              const net::ServerTimestamps& server);

  // Per phase: p50, p90 and mean in microseconds, over the exchanges recorded; and their count.
  nlohmann::json Summary() const;
  // One line per phase, p50 and p90.
  std::string Format() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::array<double, kPhases.size()>> samples_;  // microseconds, by phase
};

}  // namespace missile::loadgen
