// A connected TCP socket driven by blocking calls, each bounded by a timeout: the transport under the HTTP
// server (a thread per connection) and the load generator's HTTP client. Boost.Beast parses and writes HTTP
// on it: the class is a Beast SyncReadStream and SyncWriteStream.
//
// Why not Asio's own socket: its blocking reads ignore SO_RCVTIMEO (on EAGAIN they poll without a timeout),
// and an asynchronous io_context adds a reactor hop per read, where a blocked recv() wakes the connection's
// thread directly. So reads and writes here are plain recv() and sendmsg() on a socket with
// SO_RCVTIMEO/SO_SNDTIMEO: one system call per piece of data, a timeout reported as beast::error::timeout,
// end of stream as asio::error::eof (what Beast's readers expect).
#pragma once

#include <sys/uio.h>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <string>

#include "core/status.h"

namespace missile::net {

using error_code = boost::system::error_code;

class SocketStream {
 public:
  SocketStream() = default;
  explicit SocketStream(int fd) : fd_(fd) {}  // takes ownership of a connected socket
  SocketStream(SocketStream&& other) noexcept : fd_(other.fd_), busy_poll_(other.busy_poll_) {
    other.fd_ = -1;
  }
  SocketStream& operator=(SocketStream&& other) noexcept;
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;
  ~SocketStream() { Close(); }

  // Connects to host:port (a name or an address), within `timeout` (also the reads' and writes' timeout),
  // with TCP_NODELAY and, when `buffer_bytes` is positive, socket buffers of that size (socket_buffers.h).
  // kUnavailable naming the address when nobody answers.
  static Result<SocketStream> Connect(const std::string& host, int port, std::chrono::milliseconds timeout,
                                      int buffer_bytes = 0);

  // Every later read (write) fails with beast::error::timeout when no byte moves for this long.
  Status SetTimeouts(std::chrono::milliseconds read, std::chrono::milliseconds write);
  // Small messages leave at once instead of waiting for Nagle's algorithm and the peer's delayed ACK.
  Status SetNoDelay();
  // Every later read and wait first polls the socket without sleeping for up to `window` (zero: never), and
  // only then blocks. A thread that blocks is woken by the scheduler when data arrives, tens of microseconds
  // later on a virtual machine; one that polls sees the data at once, for a core kept busy meanwhile.
  void SetBusyPoll(std::chrono::microseconds window) { busy_poll_ = window; }

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Reads into `data` until `size` bytes have arrived: each recv() takes as much as the kernel holds, so a
  // large body arrives in a few large reads straight into its buffer. Returns the bytes read (size unless ec
  // is set).
  size_t ReadFull(void* data, size_t size, error_code& ec);

  enum class Readiness { kReadable, kTimedOut, kWoken };
  // Waits until the socket has something to read (data or the peer's close) or `wake_fd` becomes readable,
  // at most `timeout` (negative: no limit).
  Readiness WaitReadable(std::chrono::milliseconds timeout, int wake_fd) const;
  // Whether a read would return at once (data, or the peer's close): a zero-timeout poll.
  bool ReadableNow() const;

  // Tells the peer nothing more will be sent (it reads end of stream); reads stay possible.
  void ShutdownWrite();
  void Close();

  // Beast's SyncReadStream: reads what the kernel holds (at least one byte) into the first non-empty buffer.
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      const boost::asio::mutable_buffer buffer(*it);
      if (buffer.size() > 0) return Receive(buffer.data(), buffer.size(), ec);
    }
    ec = {};
    return 0;
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    return ThrowOnError([&](error_code& ec) { return read_some(buffers, ec); });
  }

  // Beast's SyncWriteStream: one sendmsg() of (up to kMaxPieces of) the buffers: an HTTP header and its body
  // leave in one call.
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    iovec pieces[kMaxPieces];
    int count = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && count < kMaxPieces; ++it) {
      const boost::asio::const_buffer buffer(*it);
      if (buffer.size() == 0) continue;
      pieces[count++] = {const_cast<void*>(buffer.data()), buffer.size()};
    }
    if (count == 0) {
      ec = {};
      return 0;
    }
    return Send(pieces, count, ec);
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    return ThrowOnError([&](error_code& ec) { return write_some(buffers, ec); });
  }

 private:
  static constexpr int kMaxPieces = 16;
  // The throwing forms of Beast's stream calls (Missile itself uses those that take an error_code).
  template <class Call>
  static size_t ThrowOnError(Call call) {
    error_code ec;
    const size_t n = call(ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  size_t Receive(void* data, size_t size, error_code& ec);
  size_t Send(const iovec* pieces, int count, error_code& ec);
  // The busy-poll window's part of a read or wait: true once the socket is readable, false when the window
  // ends.
  bool PollUntilReadable() const;

  int fd_ = -1;
  std::chrono::microseconds busy_poll_{0};
};

}  // namespace missile::net
