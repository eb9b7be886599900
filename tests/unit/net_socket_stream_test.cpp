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

TEST(SocketStreamTest, ReadsDataThatArrivesWithinTheBusyPollWindow) {
  Pair pair;
  pair.reader.SetBusyPoll(200ms);
  std::thread writer(WriteAfter, pair.writer, "abcdef", 1ms);
  char data[6];
  error_code ec;
  EXPECT_EQ(pair.reader.ReadFull(data, sizeof(data), ec), sizeof(data));
  writer.join();
  EXPECT_FALSE(ec);
  EXPECT_EQ(std::string(data, sizeof(data)), "abcdef");
}

TEST(SocketStreamTest, SleepsForDataThatArrivesAfterTheBusyPollWindow) {
  Pair pair;
  pair.reader.SetBusyPoll(100us);
  std::thread writer(WriteAfter, pair.writer, "late", 20ms);
  char data[4];
  error_code ec;
  EXPECT_EQ(pair.reader.ReadFull(data, sizeof(data), ec), sizeof(data));
  writer.join();
  EXPECT_FALSE(ec);
  EXPECT_EQ(std::string(data, sizeof(data)), "late");
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

// CPU time of the calling thread: a read that polls spends the wait on the core, one that sleeps does not.
std::chrono::microseconds ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) +
         std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(now.tv_nsec));
}

std::chrono::microseconds CpuTimeOfARead(SocketStream& reader, int writer_fd) {
  std::thread writer(WriteAfter, writer_fd, "ok", 20ms);
  const auto before = ThreadCpuTime();
  char data[2];
  error_code ec;
  EXPECT_EQ(reader.ReadFull(data, sizeof(data), ec), sizeof(data));
  const auto spent = ThreadCpuTime() - before;
  writer.join();
  EXPECT_EQ(std::string(data, sizeof(data)), "ok");
  return spent;
}

TEST(SocketStreamTest, BusyPollSpendsTheWaitOnTheCoreAndSurvivesAMove) {
  Pair sleeping;
  EXPECT_LT(CpuTimeOfARead(sleeping.reader, sleeping.writer), 3ms);

  Pair polling;
  polling.reader.SetBusyPoll(200ms);
  SocketStream moved = std::move(polling.reader);
  EXPECT_FALSE(polling.reader.is_open());
  EXPECT_GT(CpuTimeOfARead(moved, polling.writer), 5ms);
}

}  // namespace
}  // namespace missile::net
