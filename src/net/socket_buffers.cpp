#include "net/socket_buffers.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace missile::net {

Status RequestSocketBuffers(int fd, int bytes) {
  if (bytes <= 0) return Error(ErrorCode::kInvalidArgument, "socket buffers of {} bytes", bytes);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) != 0) {
    return Error(ErrorCode::kInternal, "cannot set a socket's buffers to {} bytes: {}", bytes,
                 std::strerror(errno));
  }
  return Status::Ok();
}

Result<SocketBuffers> SocketBuffersOf(int fd) {
  SocketBuffers buffers;
  socklen_t length = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffers.send_bytes, &length) != 0) {
    return Error(ErrorCode::kInternal, "cannot read a socket's send buffer: {}", std::strerror(errno));
  }
  length = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffers.receive_bytes, &length) != 0) {
    return Error(ErrorCode::kInternal, "cannot read a socket's receive buffer: {}", std::strerror(errno));
  }
  return buffers;
}

}  // namespace missile::net
