// SocketStream's reads and waits, with and without a busy-poll window, on a connected pair of local sockets.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <boost/beast/core/error.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "net/socket_stream.h"
#include "net/tcp_listener.h"

namespace missile::net {
namespace {

using namespace std::chrono_literals;

// A connected pair of local stream sockets: the stream under test reads, the test writes into the other end.
struct Pair {
  Pair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    reader = SocketStream(fds[0]);
    writer = fds[1];
    EXPECT_TRUE(reader.SetTimeouts(2000ms, 2000ms).ok());
  }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
  ~Pair() {
    if (writer >= 0) close(writer);
  }
  SocketStream reader;
  int writer = -1;
};

void WriteAfter(int fd, std::string text, std::chrono::microseconds delay) {
  std::this_thread::sleep_for(delay);
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

// CPU time of the calling thread: a read that polls spends the wait on the core, one that sleeps does not.
std::chrono::microseconds ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) +
         std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(now.tv_nsec));
}

struct Read {
  std::string text;
  std::chrono::microseconds cpu_time{0};  // the reading thread's, over the read
};

// `text` written into the pair after `delay`, read whole by `reader`.
Read ReadWrittenAfter(SocketStream& reader, int writer_fd, const std::string& text,
                      std::chrono::microseconds delay) {
  std::thread writer(WriteAfter, writer_fd, text, delay);
  std::string data(text.size(), '\0');
  error_code ec;
  const auto before = ThreadCpuTime();
  EXPECT_EQ(reader.ReadFull(data.data(), data.size(), ec), data.size());
  Read read{std::move(data), ThreadCpuTime() - before};
  writer.join();
  EXPECT_FALSE(ec) << ec.message();
  return read;
}

TEST(SocketStreamTest, ReadsDataThatArrivesWithinTheBusyPollWindow) {
  Pair pair;
  pair.reader.SetBusyPoll(200ms);
  EXPECT_EQ(ReadWrittenAfter(pair.reader, pair.writer, "abcdef", 1ms).text, "abcdef");
}

TEST(SocketStreamTest, SleepsForDataThatArrivesAfterTheBusyPollWindow) {
  Pair pair;
  pair.reader.SetBusyPoll(100us);
  EXPECT_EQ(ReadWrittenAfter(pair.reader, pair.writer, "late", 20ms).text, "late");
}

TEST(SocketStreamTest, ReadTimeoutStillEndsABusyPolledRead) {
  Pair pair;
  ASSERT_TRUE(pair.reader.SetTimeouts(30ms, 30ms).ok());
  pair.reader.SetBusyPoll(5ms);
  char data[1];
  error_code ec;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(pair.reader.ReadFull(data, sizeof(data), ec), 0u);
  EXPECT_EQ(ec, boost::beast::error::timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST(SocketStreamTest, WaitReadableSeesDataAndTheWakeDescriptor) {
  for (const auto window : {0us, 300us}) {
    Pair pair;
    pair.reader.SetBusyPoll(window);
    EXPECT_EQ(pair.reader.WaitReadable(10ms, -1), SocketStream::Readiness::kTimedOut);

    int wake[2];
    ASSERT_EQ(pipe(wake), 0);
    ASSERT_EQ(write(wake[1], "x", 1), 1);
    EXPECT_EQ(pair.reader.WaitReadable(1000ms, wake[0]), SocketStream::Readiness::kWoken);
    close(wake[0]);
    close(wake[1]);

    std::thread writer(WriteAfter, pair.writer, "x", 100us);
    EXPECT_EQ(pair.reader.WaitReadable(1000ms, -1), SocketStream::Readiness::kReadable);
    writer.join();
    // The peer's close reads as readable too (end of stream follows).
    char byte;
    ASSERT_EQ(read(pair.reader.fd(), &byte, 1), 1);
    close(pair.writer);
    pair.writer = -1;
    EXPECT_EQ(pair.reader.WaitReadable(1000ms, -1), SocketStream::Readiness::kReadable);
  }
}

TEST(SocketStreamTest, BusyPollSpendsTheWaitOnTheCoreAndSurvivesAMove) {
  Pair sleeping;
  EXPECT_LT(ReadWrittenAfter(sleeping.reader, sleeping.writer, "ok", 20ms).cpu_time, 3ms);

  Pair polling;
  polling.reader.SetBusyPoll(200ms);
  SocketStream moved = std::move(polling.reader);
  EXPECT_FALSE(polling.reader.is_open());
  const Read read = ReadWrittenAfter(moved, polling.writer, "ok", 20ms);
  EXPECT_EQ(read.text, "ok");
  EXPECT_GT(read.cpu_time, 5ms);
}

// Buffers asked of the listener reach the connections it accepts, and those asked by a client its socket.
// Asked small on purpose: the kernel's own start sizes (tcp_rmem/tcp_wmem, 16 KiB and more) are larger, so
// only a request that took effect lands under them (Linux gives twice what was asked).
TEST(SocketBuffersTest, ListenerAndClientGetTheBuffersTheyAskFor) {
  constexpr int kAsked = 4096;
  auto listener = TcpListener::Listen("127.0.0.1", 0, 4, kAsked);
  ASSERT_TRUE(listener.ok()) << listener.status().message();
  auto stop = StopEvent::Create();
  ASSERT_TRUE(stop.ok());
  auto client = SocketStream::Connect("127.0.0.1", listener->port(), 2000ms, kAsked);
  ASSERT_TRUE(client.ok()) << client.status().message();
  std::optional<SocketStream> accepted = listener->Accept(*stop);
  ASSERT_TRUE(accepted.has_value());
  for (int fd : {client->fd(), accepted->fd()}) {
    auto buffers = SocketBuffersOf(fd);
    ASSERT_TRUE(buffers.ok());
    EXPECT_EQ(buffers->receive_bytes, 2 * kAsked);
    EXPECT_EQ(buffers->send_bytes, 2 * kAsked);
  }
  auto unsized = SocketStream::Connect("127.0.0.1", listener->port(), 2000ms);
  ASSERT_TRUE(unsized.ok());
  EXPECT_GT(SocketBuffersOf(unsized->fd())->receive_bytes, 2 * kAsked);
  EXPECT_FALSE(RequestSocketBuffers(client->fd(), 0).ok());
}

}  // namespace
}  // namespace missile::net
