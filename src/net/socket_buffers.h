// The kernel's send and receive buffers of a socket: how many bytes may be in flight before a sender blocks.
//
// Why a server may want them larger than the kernel's start: a request of several hundred kilobytes (one
// image tensor) then fits in the buffers whole, so the client's one sendmsg() completes at once instead of
// waiting for the server to drain the socket, and neither side sleeps and is woken in between (tens of
// microseconds each on a virtual machine). Linux doubles the value asked for (its bookkeeping) and caps it at
// net.core.wmem_max / rmem_max, and a socket whose size was set no longer grows by autotuning; set it before
// listen() or connect(), so that the TCP window scale agreed at connection time allows the larger window.
#pragma once

#include "core/status.h"

namespace missile::net {

struct SocketBuffers {
  int send_bytes = 0;
  int receive_bytes = 0;
};

// Asks for `bytes` in both directions (positive; the kernel may give less, see above).
Status RequestSocketBuffers(int fd, int bytes);

// What the kernel gives the socket now.
Result<SocketBuffers> SocketBuffersOf(int fd);

}  // namespace missile::net
