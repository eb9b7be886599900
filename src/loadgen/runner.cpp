#include "loadgen/runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace missile::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// What one stream's threads share while the run goes on.
struct StreamState {
  const StreamSpec* spec = nullptr;
  std::vector<std::unique_ptr<InferenceClient>> clients;
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> failed{0};
  std::mutex mutex;  // guards the merged results below
  std::vector<Sample> samples;
  std::map<std::string, std::string> error_examples;
};

struct WorkerRecord {
  std::vector<Sample> samples;
  std::map<std::string, std::string> error_examples;

  void Add(double start_s, double latency_s, CallResult result, StreamState& state) {
    if (result.ok) {
      state.ok.fetch_add(1, std::memory_order_relaxed);
    } else {
      state.failed.fetch_add(1, std::memory_order_relaxed);
      error_examples.try_emplace(result.error_kind, result.error_message);
    }
    samples.push_back({start_s, latency_s, std::move(result.error_kind)});
  }

  void MergeInto(StreamState& state) {
    std::lock_guard lock(state.mutex);
    state.samples.insert(state.samples.end(), std::make_move_iterator(samples.begin()),
                         std::make_move_iterator(samples.end()));
    for (auto& [kind, message] : error_examples) state.error_examples.try_emplace(kind, message);
  }
};

void ClosedLoopWorker(StreamState& state, InferenceClient& client, Clock::time_point start,
                      Clock::time_point end) {
  WorkerRecord record;
  std::this_thread::sleep_until(start);
  for (;;) {
    const Clock::time_point sent = Clock::now();
    if (sent >= end) break;
    CallResult result = client.Infer();
    record.Add(Seconds(sent - start), Seconds(Clock::now() - sent), std::move(result), state);
  }
  record.MergeInto(state);
}

Clock::time_point At(Clock::time_point start, double offset_s) {
  return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(offset_s));
}

// An open-loop stream: a dispatcher hands each arrival, at its time, to the idle sender used most recently.
// Reusing the warmest senders first keeps the connections in use as few as the concurrency needs (a server
// with a thread per connection then serves them all); the others never connect.
class OpenLoopStream {
 public:
  OpenLoopStream(StreamState& state, Clock::time_point start, double duration_s)
      : state_(state), start_(start), duration_s_(duration_s) {
    for (auto& client : state.clients) senders_.push_back(std::make_unique<Sender>(client.get()));
    for (auto it = senders_.rbegin(); it != senders_.rend(); ++it) idle_.push_back(it->get());
  }

  // Starts the senders' threads and the dispatcher's.
  void Start(std::vector<std::thread>& threads) {
    for (auto& sender : senders_) {
      Sender* s = sender.get();
      threads.emplace_back([this, s] { Send(*s); });
    }
    threads.emplace_back([this] { Dispatch(); });
  }

 private:
  struct Sender {
    explicit Sender(InferenceClient* c) : client(c) {}
    InferenceClient* client;
    std::optional<size_t> arrival;  // assigned, not yet sent
    std::condition_variable wake;
    WorkerRecord record;
  };

  void Dispatch() {
    const std::vector<double>& arrivals = state_.spec->pattern.arrivals_s;
    std::unique_lock lock(mutex_);
    for (size_t index = 0; index < arrivals.size() && arrivals[index] < duration_s_; ++index) {
      lock.unlock();
      std::this_thread::sleep_until(At(start_, arrivals[index]));
      lock.lock();
      // Every sender busy: this arrival goes late, and its latency will count from its scheduled time.
      became_idle_.wait(lock, [this] { return !idle_.empty(); });
      Sender* sender = idle_.back();
      idle_.pop_back();
      sender->arrival = index;
      sender->wake.notify_one();
    }
    done_ = true;
    for (auto& sender : senders_) sender->wake.notify_one();
  }

  void Send(Sender& sender) {
    const std::vector<double>& arrivals = state_.spec->pattern.arrivals_s;
    std::unique_lock lock(mutex_);
    for (;;) {
      sender.wake.wait(lock, [&] { return sender.arrival.has_value() || done_; });
      if (!sender.arrival) break;
      const size_t index = *sender.arrival;
      sender.arrival.reset();
      lock.unlock();
      const Clock::time_point scheduled = At(start_, arrivals[index]);
      CallResult result = sender.client->Infer();
      sender.record.Add(arrivals[index], Seconds(Clock::now() - scheduled), std::move(result), state_);
      lock.lock();
      idle_.push_back(&sender);
      became_idle_.notify_one();
    }
    lock.unlock();
    sender.record.MergeInto(state_);
  }

  StreamState& state_;
  const Clock::time_point start_;
  const double duration_s_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::mutex mutex_;
  std::condition_variable became_idle_;
  std::vector<Sender*> idle_;  // the most recently used last
  bool done_ = false;
};

// Prints "[ 12/60 s] camera 1203 ok 0 err 98/s | ..." once a second until told to stop.
class ProgressLine {
 public:
  ProgressLine(std::vector<std::unique_ptr<StreamState>>& streams, double duration_s, Clock::time_point start)
      : streams_(streams), duration_s_(duration_s), start_(start), terminal_(isatty(STDERR_FILENO) != 0) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~ProgressLine() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (terminal_) std::cerr << "\n";
  }

 private:
  void Loop() {
    std::vector<uint64_t> last(streams_.size(), 0);
    std::unique_lock lock(mutex_);
    int tick = 0;
    while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      ++tick;
      std::string line = fmt::format("[{:5.0f}/{:.0f} s]", Seconds(Clock::now() - start_), duration_s_);
      for (size_t i = 0; i < streams_.size(); ++i) {
        const uint64_t ok = streams_[i]->ok.load();
        line += fmt::format("{} {} {} ok {} err {}/s", i == 0 ? "" : " |", streams_[i]->spec->name, ok,
                            streams_[i]->failed.load(), ok - last[i]);
        last[i] = ok;
      }
      if (terminal_) {
        std::cerr << "\r" << line << "\x1b[K" << std::flush;
      } else if (tick % 5 == 0) {
        std::cerr << line << "\n" << std::flush;
      }
    }
  }

  std::vector<std::unique_ptr<StreamState>>& streams_;
  const double duration_s_;
  const Clock::time_point start_;
  const bool terminal_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

Result<RunOutcome> RunWorkload(const Workload& workload, ClientFactory& factory, const RunOptions& options) {
  MISSILE_RETURN_IF_ERROR(ValidateWorkload(workload));
  std::vector<std::unique_ptr<StreamState>> streams;
  for (const StreamSpec& spec : workload.streams) {
    Status prepared = factory.Prepare(spec);
    if (!prepared.ok()) return prepared.WithContext(fmt::format("stream '{}'", spec.name));
    auto state = std::make_unique<StreamState>();
    state->spec = &spec;
    const bool closed = spec.pattern.kind == ArrivalPattern::Kind::kClosedLoop;
    const size_t slots = closed ? static_cast<size_t>(spec.pattern.concurrency)
                                : std::min<size_t>(static_cast<size_t>(spec.max_outstanding),
                                                   std::max<size_t>(1, spec.pattern.arrivals_s.size()));
    for (size_t i = 0; i < slots; ++i) {
      MISSILE_ASSIGN_OR_RETURN(auto client, factory.Connect(spec));
      state->clients.push_back(std::move(client));
    }
    streams.push_back(std::move(state));
  }

  // Every thread exists before the clock starts, so no stream starts late.
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(100);
  const Clock::time_point end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(workload.duration_s));
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<OpenLoopStream>> open_streams;
  for (auto& state : streams) {
    if (state->spec->pattern.kind != ArrivalPattern::Kind::kClosedLoop) {
      open_streams.push_back(std::make_unique<OpenLoopStream>(*state, start, workload.duration_s));
      open_streams.back()->Start(threads);
      continue;
    }
    for (auto& client : state->clients) {
      StreamState* s = state.get();
      InferenceClient* c = client.get();
      threads.emplace_back([s, c, start, end] { ClosedLoopWorker(*s, *c, start, end); });
    }
  }
  {
    std::unique_ptr<ProgressLine> progress;
    if (options.progress) progress = std::make_unique<ProgressLine>(streams, workload.duration_s, start);
    for (std::thread& thread : threads) thread.join();
  }

  RunOutcome outcome;
  outcome.target = factory.Describe();
  outcome.duration_s = workload.duration_s;
  outcome.warmup_s = workload.warmup_s;
  outcome.wall_s = Seconds(Clock::now() - start);
  for (auto& state : streams) {
    StreamOutcome stream;
    stream.spec = *state->spec;
    stream.samples = std::move(state->samples);
    std::sort(stream.samples.begin(), stream.samples.end(),
              [](const Sample& a, const Sample& b) { return a.start_s < b.start_s; });
    stream.error_examples = std::move(state->error_examples);
    outcome.streams.push_back(std::move(stream));
  }
  return outcome;
}

RunOutcome ConcatenateRounds(std::vector<RunOutcome> rounds) {
  RunOutcome joined = std::move(rounds.front());
  double measured_end_s = joined.duration_s;  // where the next round's measured window starts
  for (size_t r = 1; r < rounds.size(); ++r) {
    RunOutcome& round = rounds[r];
    const double shift_s = measured_end_s - round.warmup_s;
    for (size_t s = 0; s < joined.streams.size() && s < round.streams.size(); ++s) {
      std::vector<Sample>& into = joined.streams[s].samples;
      for (Sample& sample : round.streams[s].samples) {
        if (sample.start_s < round.warmup_s) continue;
        sample.start_s += shift_s;
        into.push_back(std::move(sample));
      }
      for (auto& [kind, message] : round.streams[s].error_examples) {
        joined.streams[s].error_examples.try_emplace(kind, message);
      }
    }
    joined.wall_s = std::max(joined.wall_s, round.wall_s + shift_s);
    measured_end_s += round.duration_s - round.warmup_s;
  }
  joined.duration_s = measured_end_s;
  return joined;
}

}  // namespace missile::loadgen
