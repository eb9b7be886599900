#include "net/tcp_listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace missile::net {

Result<StopEvent> StopEvent::Create() {
  const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Error(ErrorCode::kInternal, "cannot create an eventfd: {}", std::strerror(errno));
  return StopEvent(fd);
}

StopEvent& StopEvent::operator=(StopEvent&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

StopEvent::~StopEvent() {
  if (fd_ >= 0) close(fd_);
}

void StopEvent::Signal() {
  // Never read back: the counter stays above zero, so the descriptor stays readable for every poller.
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = write(fd_, &one, sizeof(one));
}

bool StopEvent::signalled() const {
  pollfd fd{fd_, POLLIN, 0};
  return poll(&fd, 1, 0) > 0;
}

Result<TcpListener> TcpListener::Listen(const std::string& host, int port, int backlog, int buffer_bytes) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Error(ErrorCode::kUnavailable, "cannot listen on {}:{}: {}", host, port, gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* address = found; address != nullptr; address = address->ai_next) {
    const int fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (buffer_bytes > 0) {
      if (Status set = RequestSocketBuffers(fd, buffer_bytes); !set.ok()) {
        close(fd);
        freeaddrinfo(found);
        return set;
      }
    }
    if (bind(fd, address->ai_addr, address->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
      last_error = std::strerror(errno);
      close(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof(bound);
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    const int bound_port = bound.ss_family == AF_INET6
                               ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                               : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    freeaddrinfo(found);
    return TcpListener(fd, bound_port);
  }
  freeaddrinfo(found);
  return Error(ErrorCode::kUnavailable,
               "cannot listen on {}:{} ({}: in use, or not an address of this machine)", host, port,
               last_error);
}

TcpListener::~TcpListener() {
  if (fd_ >= 0) close(fd_);
}

std::optional<SocketStream> TcpListener::Accept(const StopEvent& stop) {
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop.fd(), POLLIN, 0}};
    const int rc = poll(fds, 2, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (fds[1].revents != 0) return std::nullopt;
    const int fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return SocketStream(fd);
    // Out of descriptors: the connection stays queued; wait a moment for others to close instead of spinning.
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Otherwise (ECONNABORTED, EINTR, ...) this connection is gone: wait for the next.
  }
}

}  // namespace missile::net
