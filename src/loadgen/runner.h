// Drives a workload: every stream at once, each on its own threads, one client (connection) per thread.
//
// Closed loop: `concurrency` threads, each sending its next request as soon as the last one is answered.
// Open loop (Poisson, trace): the arrival times are fixed before the run; a dispatcher hands each arrival, at
// its time, to an idle sender (up to max_outstanding of them, the most recently used first, so only as many
// connections open as the concurrency needs). When every sender is busy the arrival goes late, and its
// latency counts from its scheduled time: the load generator never hides queueing by slowing down (no
// coordinated omission).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "loadgen/inference_client.h"
#include "loadgen/workload.h"

namespace missile::loadgen {

struct Sample {
  double start_s = 0;    // scheduled (open loop) or sent (closed loop), from the run's start
  double latency_s = 0;  // to the response, from start_s
  std::string error;     // empty when the request succeeded, else CallResult::error_kind
};

struct StreamOutcome {
  StreamSpec spec;
  std::vector<Sample> samples;                        // in start order
  std::map<std::string, std::string> error_examples;  // the first message of each kind of error
};

struct RunOutcome {
  std::string target;  // the factory's description
  double duration_s = 0;
  double warmup_s = 0;
  double wall_s = 0;  // until the last response, which may come after duration_s
  std::vector<StreamOutcome> streams;
};

struct RunOptions {
  bool progress = true;  // a progress line on stderr, once a second
};

Result<RunOutcome> RunWorkload(const Workload& workload, ClientFactory& factory, const RunOptions& options);

// The rounds of one target (workload.h, RoundOf) as one outcome: each round's warm-up samples dropped and its
// measured window placed after the previous round's, behind the first round's warm-up, so that statistics
// and the timeline read as one run of warmup_s plus every round's measured time. `rounds` must not be empty
// and must hold the same streams in the same order.
RunOutcome ConcatenateRounds(std::vector<RunOutcome> rounds);

}  // namespace missile::loadgen
