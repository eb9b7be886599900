// SIGTERM and SIGINT as an event a thread can wait for. The handler only writes a byte to a pipe (the one
// async-signal-safe way to hand the news over); the waiting thread does the actual stopping. A handler rather
// than sigwait: OpenBLAS starts its threads before main(), so the signals cannot be blocked in every thread.
#pragma once

#include <memory>

#include "core/status.h"

namespace missile::server {

class ShutdownSignal {
 public:
  // Installs the handlers; one instance at a time.
  static Result<std::unique_ptr<ShutdownSignal>> Install();
  // Restores the default handlers.
  ~ShutdownSignal();
  ShutdownSignal(const ShutdownSignal&) = delete;
  ShutdownSignal& operator=(const ShutdownSignal&) = delete;

  // Blocks until SIGTERM or SIGINT arrives (returns its number) or Cancel() is called (returns 0).
  int Wait();
  void Cancel();

 private:
  ShutdownSignal() = default;
};

}  // namespace missile::server
