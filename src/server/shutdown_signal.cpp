#include "server/shutdown_signal.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace missile::server {
namespace {

int g_pipe[2] = {-1, -1};
std::atomic<bool> g_installed{false};

void OnSignal(int signal_number) {
  const int saved_errno = errno;
  const unsigned char byte = static_cast<unsigned char>(signal_number);
  [[maybe_unused]] ssize_t written = write(g_pipe[1], &byte, 1);
  errno = saved_errno;
}

}  // namespace

Result<std::unique_ptr<ShutdownSignal>> ShutdownSignal::Install() {
  if (g_installed.exchange(true)) {
    return Error(ErrorCode::kFailedPrecondition, "a shutdown signal handler is already installed");
  }
  if (pipe2(g_pipe, O_CLOEXEC) != 0) {
    g_installed = false;
    return Error(ErrorCode::kInternal, "pipe: {}", std::strerror(errno));
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  return std::unique_ptr<ShutdownSignal>(new ShutdownSignal());
}

ShutdownSignal::~ShutdownSignal() {
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  close(g_pipe[0]);
  close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
  g_installed = false;
}

int ShutdownSignal::Wait() {
  unsigned char byte = 0;
  for (;;) {
    const ssize_t got = read(g_pipe[0], &byte, 1);
    if (got == 1) return byte;
    if (got < 0 && errno == EINTR) continue;
    return 0;
  }
}

void ShutdownSignal::Cancel() {
  const unsigned char zero = 0;
  [[maybe_unused]] ssize_t written = write(g_pipe[1], &zero, 1);
}

}  // namespace missile::server
