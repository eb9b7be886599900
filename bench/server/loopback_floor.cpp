// The floor under any HTTP server's added latency on this host: the bytes of one ResNet-50 batch-1 request
// (602,112 bytes of image, a few hundred of header) sent over a local socket and a 4,000-byte answer sent
// back, with nothing else: no HTTP, no parsing, no model. What `missile serve` adds over in-process execution
// cannot be less than this, since the in-process side moves no bytes through the kernel.
//
//   build/bench/missile_loopback_floor [--request-bytes N] [--response-bytes N] [--round-trips N]
//                                      [--json FILE]
//
// Runs each transport (TCP on 127.0.0.1 with TCP_NODELAY, as the server and `missile bench` use it; TCP with
// 4 MiB socket buffers, sleeping in recv() and busy-polled; a Unix-domain stream socket) with one request
// outstanding and prints the round trip's p50/p90/p99 in us. The receiver reads the request into one
// preallocated buffer, as the server does.
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Transport {
  std::string name;
  int family = AF_INET;
  int buffer_bytes = 0;    // SO_SNDBUF/SO_RCVBUF on both ends; 0: the kernel's defaults
  bool busy_poll = false;  // both ends spin on non-blocking reads instead of sleeping in recv()
};

struct Sizes {
  size_t request = 0;
  size_t response = 0;
};

[[noreturn]] void Fail(const std::string& what) {
  throw std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

void Configure(int fd, const Transport& transport) {
  const int yes = 1;
  if (transport.family == AF_INET && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes)) != 0)
    Fail("TCP_NODELAY");
  if (transport.buffer_bytes > 0) {
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &transport.buffer_bytes, sizeof(int)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &transport.buffer_bytes, sizeof(int)) != 0)
      Fail("socket buffer sizes");
  }
}

// A polled read spins (MSG_DONTWAIT) while nothing has arrived, as `missile serve` and `missile bench` do
// with their busy-poll windows: no thread sleeps, so no wake-up is in the round trip.
void ReadExactly(int fd, char* data, size_t size, bool busy_poll) {
  for (size_t got = 0; got < size;) {
    const ssize_t n = recv(fd, data + got, size - got, busy_poll ? MSG_DONTWAIT : 0);
    if (n < 0 && busy_poll && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) Fail("recv");
    got += static_cast<size_t>(n);
  }
}

void WriteAll(int fd, const char* data, size_t size) {
  for (size_t sent = 0; sent < size;) {
    const ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) Fail("send");
    sent += static_cast<size_t>(n);
  }
}

// A connected (client, server) pair of the transport's kind.
std::pair<int, int> Connect(const Transport& transport) {
  const int listener = socket(transport.family, SOCK_STREAM, 0);
  if (listener < 0) Fail("socket");
  sockaddr_storage address{};
  socklen_t length = 0;
  if (transport.family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&address);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof(sockaddr_in);
  } else {
    auto* un = reinterpret_cast<sockaddr_un*>(&address);
    un->sun_family = AF_UNIX;
    // Abstract namespace: nothing left on disk.
    const std::string name = fmt::format("missile-loopback-floor-{}", getpid());
    std::memcpy(un->sun_path + 1, name.data(), name.size());
    length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  }
  // Buffers set before listen() are inherited by accepted sockets (and bound the TCP window from the start).
  Configure(listener, transport);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0) Fail("bind");
  if (listen(listener, 1) != 0) Fail("listen");
  if (getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) Fail("getsockname");
  const int client = socket(transport.family, SOCK_STREAM, 0);
  if (client < 0) Fail("socket");
  Configure(client, transport);
  if (connect(client, reinterpret_cast<sockaddr*>(&address), length) != 0) Fail("connect");
  const int server = accept(listener, nullptr, nullptr);
  if (server < 0) Fail("accept");
  Configure(server, transport);
  close(listener);
  return {client, server};
}

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0;
  // What the kernel gave (it doubles what was asked, capped at net.core.wmem_max / rmem_max; a socket left
  // alone grows by autotuning, after this was read).
  int client_send_buffer = 0, server_receive_buffer = 0;
};

int BufferOf(int fd, int option) {
  int bytes = 0;
  socklen_t length = sizeof(bytes);
  if (getsockopt(fd, SOL_SOCKET, option, &bytes, &length) != 0) Fail("getsockopt");
  return bytes;
}

Percentiles RoundTrips(const Transport& transport, Sizes sizes, int round_trips) {
  auto [client, server] = Connect(transport);
  const int client_send_buffer = BufferOf(client, SO_SNDBUF);
  const int server_receive_buffer = BufferOf(server, SO_RCVBUF);
  std::thread echo([server, sizes, round_trips, busy_poll = transport.busy_poll] {
    std::vector<char> request(sizes.request), response(sizes.response, 2);
    for (int i = 0; i < round_trips; ++i) {
      ReadExactly(server, request.data(), request.size(), busy_poll);
      WriteAll(server, response.data(), response.size());
    }
  });
  std::vector<char> request(sizes.request, 1), response(sizes.response);
  const int warmup = std::max(10, round_trips / 10);
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(round_trips));
  for (int i = 0; i < round_trips; ++i) {
    const auto start = std::chrono::steady_clock::now();
    WriteAll(client, request.data(), request.size());
    ReadExactly(client, response.data(), response.size(), transport.busy_poll);
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    if (i >= warmup) samples.push_back(us);
  }
  echo.join();
  close(client);
  close(server);
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) { return samples[static_cast<size_t>(q * (samples.size() - 1))]; };
  return {at(0.5), at(0.9), at(0.99), client_send_buffer, server_receive_buffer};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("The transport floor: a request's bytes over a local socket and an answer back, nothing else");
  Sizes sizes{602112 + 256, 4000 + 192};
  int round_trips = 5000;
  std::string json_path;
  app.add_option("--request-bytes", sizes.request, "bytes sent per request (ResNet-50 bs1 binary request)");
  app.add_option("--response-bytes", sizes.response, "bytes answered per request");
  app.add_option("--round-trips", round_trips, "round trips per transport (a tenth more to warm up)")
      ->check(CLI::Range(20, 10000000));
  app.add_option("--json", json_path, "also write the results here");
  CLI11_PARSE(app, argc, argv);

  const std::vector<Transport> transports = {{"tcp", AF_INET, 0},
                                             {"tcp, 4 MiB buffers", AF_INET, 4 << 20},
                                             {"tcp, 4 MiB, polled", AF_INET, 4 << 20, true},
                                             {"unix", AF_UNIX, 0}};
  nlohmann::json results = {{"request_bytes", sizes.request},
                            {"response_bytes", sizes.response},
                            {"round_trips", round_trips},
                            {"host_cpus", std::thread::hardware_concurrency()},
                            {"transports", nlohmann::json::array()}};
  std::cout << fmt::format("{} bytes there, {} back, {} round trips, one outstanding\n", sizes.request,
                           sizes.response, round_trips);
  std::cout << fmt::format("{:<22} {:>9} {:>9} {:>9}\n", "transport", "p50 us", "p90 us", "p99 us");
  try {
    for (const Transport& transport : transports) {
      const Percentiles p = RoundTrips(transport, sizes, round_trips);
      std::cout << fmt::format(
          "{:<22} {:>9.1f} {:>9.1f} {:>9.1f}   buffers: client send {}, server receive {}\n", transport.name,
          p.p50, p.p90, p.p99, p.client_send_buffer, p.server_receive_buffer);
      results["transports"].push_back({{"transport", transport.name},
                                       {"p50_us", p.p50},
                                       {"p90_us", p.p90},
                                       {"p99_us", p.p99},
                                       {"asked_buffer_bytes", transport.buffer_bytes},
                                       {"client_send_buffer_bytes", p.client_send_buffer},
                                       {"server_receive_buffer_bytes", p.server_receive_buffer}});
    }
  } catch (const std::exception& e) {
    std::cerr << "loopback floor: " << e.what() << "\n";
    return 1;
  }
  if (!json_path.empty()) std::ofstream(json_path) << results.dump(1) << "\n";
  return 0;
}
