#include "ops/cuda/trial_timer.h"

#include "device/cuda/cuda_status.h"
#include "device/cuda/stream.h"

namespace missile::ops::cuda {

Result<std::vector<float>> TimeTrials(cudaStream_t stream, int warmup, int trials,
                                      FunctionRef<Status()> enqueue) {
  for (int i = 0; i < warmup; ++i) MISSILE_RETURN_IF_ERROR(enqueue());
  std::vector<device::cuda::Event> events;
  for (int i = 0; i <= trials; ++i) {
    MISSILE_ASSIGN_OR_RETURN(device::cuda::Event event, device::cuda::Event::Create(/*timing=*/true));
    events.push_back(std::move(event));
  }
  // Back to back, one event between consecutive runs: no host gap inflates a short kernel's time.
  MISSILE_RETURN_IF_ERROR(events[0].Record(stream));
  for (int i = 0; i < trials; ++i) {
    MISSILE_RETURN_IF_ERROR(enqueue());
    MISSILE_RETURN_IF_ERROR(events[i + 1].Record(stream));
  }
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  std::vector<float> times;
  for (int i = 0; i < trials; ++i) {
    MISSILE_ASSIGN_OR_RETURN(float ms, device::cuda::Event::ElapsedMs(events[i], events[i + 1]));
    times.push_back(ms);
  }
  return times;
}

}  // namespace missile::ops::cuda
