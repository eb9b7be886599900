// Where HTTP requests' time went, phase by phase: the load generator's own clock around each exchange lined
// up with the server's timestamps (net/server_timestamps.h, same host only). What `missile bench --timeline`
// reports, to attribute what the server adds over in-process execution (docs/server.md).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/http_connection.h"
#include "net/server_timestamps.h"

namespace missile::loadgen {

class HttpTimeline {
 public:
  // The phases every exchange has, each from the request's start (before its first byte was written) unless
  // said otherwise:
  //   client_send      until the client's write returned: the request handed to the kernel
  //   server_header    until the server had parsed the request's header (its wake-up included)
  //   server_body      from the header until the body was read whole
  //   server_handling  from the body until the response was built: decode, queue, run, encode
  //   response_return  from the response built until the client had read it whole
  //   total
  // and, where the server marked points between its body and its response, one phase per mark: "server_" and
  // the mark's name, from the point before it (server_decoded: body to decoded, ...).
  //
  // Records one exchange whose server answered with `server` (it needs head, body and reply); `start` by the
  // client's steady clock. False when the stamps lack one of the three. Thread-safe.
  bool Record(std::chrono::steady_clock::time_point start, const net::HttpResponse& response,
              const net::ServerTimestamps& server);

  // Per phase (in the order above, marks in the server's order): p50, p90 and mean in microseconds over the
  // exchanges that had it; and the count of exchanges.
  nlohmann::json Summary() const;
  // One line per phase, p50 and p90.
  std::string Format() const;

 private:
  void Add(const std::string& phase, double us);  // with the lock held

  mutable std::mutex mutex_;
  size_t exchanges_ = 0;
  std::vector<std::string> order_;                      // phases, first seen first
  std::map<std::string, std::vector<double>> samples_;  // microseconds, by phase
};

}  // namespace missile::loadgen
