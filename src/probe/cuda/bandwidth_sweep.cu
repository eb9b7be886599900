#include <algorithm>
#include <bit>
#include <chrono>

#include "device/cuda/cuda_status.h"
#include "device/cuda/device_memory.h"
#include "device/cuda/stream.h"
#include "probe/cuda/bandwidth_sweep.h"

namespace missile::probe::cuda {
namespace {

constexpr uint64_t kVector = 16;  // bytes per load (uint4)

// Reads `blocks` blocks of 2^block_shift vectors, one every 2^period_shift vectors starting `offset` vectors
// into each period. Four independent loads per thread and step keep enough requests in flight for HBM.
__global__ void StridedReadKernel(const uint4* __restrict__ base, uint64_t blocks, int block_shift,
                                  int period_shift, uint64_t offset, unsigned* sink) {
  const uint64_t total = blocks << block_shift;
  const uint64_t stride = uint64_t{gridDim.x} * blockDim.x;
  const uint64_t block_mask = (uint64_t{1} << block_shift) - 1;
  uint32_t acc = 0;
  for (uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < total; i += 4 * stride) {
    uint4 v[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const uint64_t j = i + k * stride;
      if (j < total) {
        v[k] = __ldcs(base + ((j >> block_shift) << period_shift) + offset + (j & block_mask));
      } else {
        v[k] = make_uint4(0, 0, 0, 0);
      }
    }
#pragma unroll
    for (int k = 0; k < 4; ++k) acc ^= v[k].x ^ v[k].y ^ v[k].z ^ v[k].w;
  }
  if (acc == 0x9e3779b9u) atomicAdd(sink, 1u);  // never in practice: keeps the loads
}

// Writes over a buffer larger than L2, evicting whatever the previous timing left there.
__global__ void FlushKernel(uint4* buffer, uint64_t vectors, unsigned value) {
  const uint64_t stride = uint64_t{gridDim.x} * blockDim.x;
  for (uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < vectors; i += stride) {
    buffer[i] = make_uint4(value, value, value, value);
  }
}

struct SweepDevice {
  device::cuda::DeviceBuffer buffer;
  device::cuda::DeviceBuffer flush;
  device::cuda::DeviceBuffer sink;
  device::cuda::Stream stream;
  device::cuda::Event start, stop;
  int grid = 0;
  int threads = 256;
};

// GB/s of one strided read (median over repeats), L2 flushed before each.
Result<double> TimeRead(SweepDevice& d, uint64_t block, uint64_t period, uint64_t offset, int repeats) {
  const uint64_t blocks = d.buffer.size() / period;
  const uint64_t bytes = blocks * block;
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    FlushKernel<<<d.grid, d.threads, 0, d.stream.get()>>>(static_cast<uint4*>(d.flush.data()),
                                                          d.flush.size() / kVector, static_cast<unsigned>(r));
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    MISSILE_RETURN_IF_ERROR(d.start.Record(d.stream.get()));
    StridedReadKernel<<<d.grid, d.threads, 0, d.stream.get()>>>(
        static_cast<const uint4*>(d.buffer.data()), blocks, std::countr_zero(block / kVector),
        std::countr_zero(period / kVector), offset / kVector, static_cast<unsigned*>(d.sink.data()));
    MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
    MISSILE_RETURN_IF_ERROR(d.stop.Record(d.stream.get()));
    MISSILE_RETURN_IF_ERROR(d.stop.Synchronize());
    MISSILE_ASSIGN_OR_RETURN(float ms, device::cuda::Event::ElapsedMs(d.start, d.stop));
    rates.push_back(static_cast<double>(bytes) / (ms * 1e6));
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

Result<BandwidthSweep> RunBandwidthSweep(const BandwidthSweepOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t b : options.block_bytes) {
    if (!std::has_single_bit(b) || b < kVector) {
      return Error(ErrorCode::kInvalidArgument, "block {} must be a power of two of at least {} bytes", b,
                   kVector);
    }
  }
  for (uint64_t p : options.period_bytes) {
    if (!std::has_single_bit(p) || p < kVector) {
      return Error(ErrorCode::kInvalidArgument, "period {} must be a power of two of at least {} bytes", p,
                   kVector);
    }
  }
  MISSILE_CUDA_RETURN_IF_ERROR(cudaSetDevice(options.device));
  int sms = 0;
  int l2 = 0;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, options.device));
  MISSILE_CUDA_RETURN_IF_ERROR(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, options.device));

  SweepDevice d;
  d.grid = sms * 8;
  BandwidthSweep sweep;
  sweep.l2_bytes = static_cast<uint64_t>(l2);
  sweep.min_bytes_read = static_cast<uint64_t>(options.min_reads_in_l2 * l2);
  sweep.repeats = std::max(1, options.repeats);
  const uint64_t largest_period = *std::max_element(options.period_bytes.begin(), options.period_bytes.end());
  for (uint64_t bytes = options.buffer_bytes; !d.buffer.data(); bytes /= 2) {
    if (bytes < (uint64_t{4} << 30)) {
      return Error(ErrorCode::kResourceExhausted, "could not allocate a sweep buffer of at least 4 GiB");
    }
    bytes = bytes / largest_period * largest_period;
    auto buffer = device::cuda::DeviceBuffer::Allocate(bytes);
    if (buffer.ok())
      d.buffer = std::move(buffer).value();
    else
      cudaGetLastError();  // clear the out-of-memory error and try half
  }
  sweep.buffer_bytes = d.buffer.size();
  MISSILE_ASSIGN_OR_RETURN(d.flush,
                           device::cuda::DeviceBuffer::Allocate(2 * sweep.l2_bytes / kVector * kVector));
  MISSILE_ASSIGN_OR_RETURN(d.sink, device::cuda::DeviceBuffer::Allocate(sizeof(unsigned)));
  MISSILE_ASSIGN_OR_RETURN(d.stream, device::cuda::Stream::Create());
  MISSILE_ASSIGN_OR_RETURN(d.start, device::cuda::Event::Create(true));
  MISSILE_ASSIGN_OR_RETURN(d.stop, device::cuda::Event::Create(true));
  // Touch the whole buffer once (the first touch of fresh memory can cost more than a read).
  FlushKernel<<<d.grid, d.threads, 0, d.stream.get()>>>(static_cast<uint4*>(d.buffer.data()),
                                                        d.buffer.size() / kVector, 1u);
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  // One untimed read, so that loading the kernel (lazily, at its first launch) is not timed.
  StridedReadKernel<<<1, 32, 0, d.stream.get()>>>(static_cast<const uint4*>(d.buffer.data()), 1, 0, 0, 0,
                                                  static_cast<unsigned*>(d.sink.data()));
  MISSILE_CUDA_RETURN_IF_LAUNCH_FAILED();
  MISSILE_RETURN_IF_ERROR(d.stream.Synchronize());

  // The whole buffer, as one contiguous read.
  MISSILE_ASSIGN_OR_RETURN(sweep.full_read_gb_per_s,
                           TimeRead(d, largest_period, largest_period, 0, sweep.repeats));

  for (uint64_t period : options.period_bytes) {
    for (uint64_t block : options.block_bytes) {
      if (block >= period) continue;
      std::vector<uint64_t> offsets;
      for (double fraction : options.offset_fractions) {
        const uint64_t offset = static_cast<uint64_t>(fraction * period) / block * block;
        if (offset + block <= period && std::find(offsets.begin(), offsets.end(), offset) == offsets.end()) {
          offsets.push_back(offset);
        }
      }
      for (uint64_t offset : offsets) {
        BandwidthPoint point;
        point.block_bytes = block;
        point.period_bytes = period;
        point.offset_bytes = offset;
        point.bytes_read = sweep.buffer_bytes / period * block;
        if (point.bytes_read < sweep.min_bytes_read) {
          point.skipped_because =
              fmt::format("reads {:.1f} MiB, under {:.0f}x the L2 ({:.0f} MiB)", point.bytes_read / 1048576.0,
                          options.min_reads_in_l2, sweep.l2_bytes / 1048576.0);
        } else {
          MISSILE_ASSIGN_OR_RETURN(point.gb_per_s, TimeRead(d, block, period, offset, sweep.repeats));
          point.measured = true;
          point.of_full = point.gb_per_s / sweep.full_read_gb_per_s;
        }
        sweep.points.push_back(point);
      }
    }
  }
  sweep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sweep;
}

}  // namespace missile::probe::cuda
