#include "net/socket_stream.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <cerrno>
#include <cstring>

#include "net/socket_buffers.h"

namespace missile::net {
namespace {

timeval ToTimeval(std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  return tv;
}

// A failed recv()/send(): the timeout set on the socket, or the system's error.
error_code FromErrno(int error) {
  if (error == EAGAIN || error == EWOULDBLOCK) return boost::beast::error::timeout;
  return {error, boost::system::system_category()};
}

}  // namespace

SocketStream& SocketStream::operator=(SocketStream&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    busy_poll_ = other.busy_poll_;
    other.fd_ = -1;
  }
  return *this;
}

Result<SocketStream> SocketStream::Connect(const std::string& host, int port,
                                           std::chrono::milliseconds timeout, int buffer_bytes) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Error(ErrorCode::kUnavailable, "cannot resolve '{}': {}", host, gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (addrinfo* address = found; address != nullptr; address = address->ai_next) {
    SocketStream stream(
        socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol));
    if (!stream.is_open()) {
      last_error = std::strerror(errno);
      continue;
    }
    // SO_SNDTIMEO bounds connect() too.
    if (Status set = stream.SetTimeouts(timeout, timeout); !set.ok()) return set;
    if (buffer_bytes > 0) MISSILE_RETURN_IF_ERROR(RequestSocketBuffers(stream.fd(), buffer_bytes));
    if (connect(stream.fd(), address->ai_addr, address->ai_addrlen) != 0) {
      last_error = errno == EINPROGRESS || errno == EAGAIN ? "timed out" : std::strerror(errno);
      continue;
    }
    freeaddrinfo(found);
    MISSILE_RETURN_IF_ERROR(stream.SetNoDelay());
    return stream;
  }
  freeaddrinfo(found);
  return Error(ErrorCode::kUnavailable, "cannot connect to {}:{}: {}", host, port, last_error);
}

Status SocketStream::SetTimeouts(std::chrono::milliseconds read, std::chrono::milliseconds write) {
  const timeval read_tv = ToTimeval(read);
  const timeval write_tv = ToTimeval(write);
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &read_tv, sizeof(read_tv)) != 0 ||
      setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &write_tv, sizeof(write_tv)) != 0) {
    return Error(ErrorCode::kInternal, "cannot set a socket's timeouts: {}", std::strerror(errno));
  }
  return Status::Ok();
}

Status SocketStream::SetNoDelay() {
  int yes = 1;
  if (setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes)) != 0) {
    return Error(ErrorCode::kInternal, "cannot set TCP_NODELAY: {}", std::strerror(errno));
  }
  return Status::Ok();
}

bool SocketStream::PollUntilReadable() const {
  if (busy_poll_.count() <= 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + busy_poll_;
  do {
    if (ReadableNow()) return true;
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

size_t SocketStream::Receive(void* data, size_t size, error_code& ec) {
  // With a busy-poll window the recv() below finds the data already there, or blocks once the window is over.
  PollUntilReadable();
  for (;;) {
    const ssize_t n = recv(fd_, data, size, 0);
    if (n > 0) {
      ec = {};
      return static_cast<size_t>(n);
    }
    if (n == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    if (errno == EINTR) continue;
    ec = FromErrno(errno);
    return 0;
  }
}

size_t SocketStream::Send(const iovec* pieces, int count, error_code& ec) {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(pieces);
  message.msg_iovlen = static_cast<size_t>(count);
  for (;;) {
    // MSG_NOSIGNAL: a peer that hung up costs this write (EPIPE), not the process (SIGPIPE).
    const ssize_t n = sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (n >= 0) {
      ec = {};
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    ec = FromErrno(errno);
    return 0;
  }
}

size_t SocketStream::ReadFull(void* data, size_t size, error_code& ec) {
  auto* bytes = static_cast<std::byte*>(data);
  size_t done = 0;
  ec = {};
  while (done < size) {
    done += Receive(bytes + done, size - done, ec);
    if (ec) break;
  }
  return done;
}

SocketStream::Readiness SocketStream::WaitReadable(std::chrono::milliseconds timeout, int wake_fd) const {
  if (PollUntilReadable()) return Readiness::kReadable;
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  const nfds_t count = wake_fd >= 0 ? 2 : 1;
  for (;;) {
    const int rc = poll(fds, count, timeout.count() < 0 ? -1 : static_cast<int>(timeout.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return Readiness::kTimedOut;  // an error of poll itself ends the wait too
    // Data first: a request that arrived with the stop is still answered.
    if (fds[0].revents != 0) return Readiness::kReadable;
    return Readiness::kWoken;
  }
}

bool SocketStream::ReadableNow() const {
  pollfd fd{fd_, POLLIN, 0};
  return poll(&fd, 1, 0) > 0;
}

void SocketStream::ShutdownWrite() {
  if (fd_ >= 0) shutdown(fd_, SHUT_WR);
}

void SocketStream::Close() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

}  // namespace missile::net
