#include <cstring>

#include "device/cuda/cuda_status.h"
#include "probe/cuda/line_hammer.h"

namespace missile::probe::cuda {
namespace {

struct AtomicLines {
  unsigned int* line[LineHammer::kMaxAtomicLines];
  int count;
};

// Each lane adds to its own word of the line's first 128 bytes: one coalesced request per warp and
// iteration, carried out at the line's home L2 slice. `red` (no value returned) lets a warp issue the next
// one at once, so the slices, not the round trips, set the pace.
__global__ void HammerAtomicsKernel(AtomicLines lines, int iterations) {
  const unsigned lane = threadIdx.x & 31u;
  const unsigned warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  int index = static_cast<int>(warp % static_cast<unsigned>(lines.count));
  for (int i = 0; i < iterations; ++i) {
    unsigned int* word = lines.line[index] + lane;
    asm volatile("red.relaxed.gpu.global.add.u32 [%0], %1;" ::"l"(word), "r"(1u) : "memory");
    index = index + 1 == lines.count ? 0 : index + 1;
  }
}

// Each lane loads 8 bytes: one warp reads the whole 256-byte line, from L2 (.cg skips L1, which would
// otherwise serve every repeat). Four loads are in flight per warp before their values are used.
__global__ void HammerLoadsKernel(const unsigned long long* __restrict__ lines, int count, int iterations,
                                  unsigned long long* sink) {
  const unsigned lane = threadIdx.x & 31u;
  const unsigned warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  int index = static_cast<int>(warp % static_cast<unsigned>(count));
  unsigned long long sum = 0;
  for (int i = 0; i < iterations; i += 4) {
    unsigned long long v[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const auto* line = reinterpret_cast<const unsigned long long*>(lines[index]);
      v[k] = __ldcg(line + lane);
      index = index + 1 == count ? 0 : index + 1;
    }
    sum += v[0] ^ v[1] ^ v[2] ^ v[3];
  }
  // Never true in practice; keeps the loads from being optimised away.
  if (sum == 0x9e3779b97f4a7c15ull) *sink = sum;
}

// Keeps the stream busy while the host records the start event and launches the timed kernel: without it
// the start event would complete on an idle GPU and the timing would include the host's launch latency (a
// few microseconds, with jitter, against kernels of tens).
__global__ void SpacerKernel(unsigned long long nanoseconds) {
  unsigned long long start, now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (now - start < nanoseconds);
}

constexpr unsigned long long kSpacerNs = 10000;

}  // namespace

Result<std::unique_ptr<LineHammer>> LineHammer::Create(int device, int blocks_per_sm, int threads) {
  if (threads % 32 != 0 || threads <= 0 || blocks_per_sm <= 0) {
    return Error(ErrorCode::kInvalidArgument, "{} blocks of {} threads per SM: threads must be whole warps",
                 blocks_per_sm, threads);
  }
  std::unique_ptr<LineHammer> hammer(new LineHammer());
  MISSILE_CUDA_RETURN_IF_ERROR(cudaSetDevice(device));
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaDeviceGetAttribute(&hammer->sm_count_, cudaDevAttrMultiProcessorCount, device));
  hammer->blocks_ = hammer->sm_count_ * blocks_per_sm;
  hammer->threads_ = threads;
  MISSILE_ASSIGN_OR_RETURN(hammer->stream_, device::cuda::Stream::Create());
  MISSILE_ASSIGN_OR_RETURN(hammer->start_, device::cuda::Event::Create(/*timing=*/true));
  MISSILE_ASSIGN_OR_RETURN(hammer->stop_, device::cuda::Event::Create(/*timing=*/true));
  MISSILE_ASSIGN_OR_RETURN(hammer->load_lines_,
                           device::cuda::DeviceBuffer::Allocate(kMaxLoadLines * sizeof(unsigned long long)));
  MISSILE_ASSIGN_OR_RETURN(hammer->staged_lines_,
                           device::cuda::PinnedBuffer::Allocate(kMaxLoadLines * sizeof(unsigned long long)));
  MISSILE_ASSIGN_OR_RETURN(hammer->sink_, device::cuda::DeviceBuffer::Allocate(sizeof(unsigned long long)));
  return std::move(hammer);  // nvcc does not move into the Result implicitly
}

Status LineHammer::StartTiming() {
  SpacerKernel<<<1, 1, 0, stream_.get()>>>(kSpacerNs);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  return start_.Record(stream_.get());
}

Result<double> LineHammer::ElapsedUs() {
  MISSILE_RETURN_IF_ERROR(stop_.Synchronize());
  MISSILE_ASSIGN_OR_RETURN(float ms, device::cuda::Event::ElapsedMs(start_, stop_));
  return 1000.0 * ms;
}

Result<double> LineHammer::TimeAtomics(std::span<const Address> lines, int iterations) {
  if (lines.empty() || lines.size() > kMaxAtomicLines || iterations <= 0) {
    return Error(ErrorCode::kInvalidArgument, "atomic hammer of {} lines x {} iterations (1..{} lines)",
                 lines.size(), iterations, kMaxAtomicLines);
  }
  AtomicLines set{};
  set.count = static_cast<int>(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) set.line[i] = reinterpret_cast<unsigned int*>(lines[i]);
  MISSILE_RETURN_IF_ERROR(StartTiming());
  HammerAtomicsKernel<<<blocks_, threads_, 0, stream_.get()>>>(set, iterations);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  MISSILE_RETURN_IF_ERROR(stop_.Record(stream_.get()));
  return ElapsedUs();
}

Result<double> LineHammer::TimeLoads(std::span<const Address> lines, int iterations) {
  if (lines.empty() || lines.size() > kMaxLoadLines || iterations <= 0) {
    return Error(ErrorCode::kInvalidArgument, "load hammer of {} lines x {} iterations (1..{} lines)",
                 lines.size(), iterations, kMaxLoadLines);
  }
  static_assert(sizeof(Address) == sizeof(unsigned long long));
  std::memcpy(staged_lines_.data(), lines.data(), lines.size() * sizeof(Address));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(load_lines_.data(), staged_lines_.data(),
                                               lines.size() * sizeof(Address), cudaMemcpyHostToDevice,
                                               stream_.get()));
  const int rounded = (iterations + 3) / 4 * 4;
  MISSILE_RETURN_IF_ERROR(StartTiming());
  HammerLoadsKernel<<<blocks_, threads_, 0, stream_.get()>>>(
      static_cast<const unsigned long long*>(load_lines_.data()), static_cast<int>(lines.size()), rounded,
      static_cast<unsigned long long*>(sink_.data()));
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  MISSILE_RETURN_IF_ERROR(stop_.Record(stream_.get()));
  return ElapsedUs();
}

}  // namespace missile::probe::cuda
