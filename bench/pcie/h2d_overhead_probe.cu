// Measures per-copy overhead of chunked cudaMemcpyAsync and the throughput of a host-driven
// "k chunks in flight" issue loop (what the transfer scheduler will do with a CUDA engine).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cuda_check.h"
using Clock = std::chrono::steady_clock;
static double secs(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
int main() {
  const size_t total = size_t(1) << 30;
  void *host, *dev;
  CK(cudaMallocHost(&host, total));
  CK(cudaMalloc(&dev, total));
  memset(host, 1, total);
  cudaStream_t s;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  for (int dir = 0; dir < 2; ++dir) {
    auto kind = dir == 0 ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost;
    void* dst = dir == 0 ? dev : host;
    void* src = dir == 0 ? host : dev;
    // warm up
    CK(cudaMemcpyAsync(dst, src, total, kind, s));
    CK(cudaStreamSynchronize(s));
    CK(cudaEventRecord(e0, s));
    CK(cudaMemcpyAsync(dst, src, total, kind, s));
    CK(cudaEventRecord(e1, s));
    CK(cudaStreamSynchronize(s));
    float ms;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    double peak = total / (ms * 1e-3);
    printf("%s single 1GiB: %.2f GB/s\n", dir == 0 ? "H2D" : "D2H", peak / 1e9);
    for (size_t chunk : {size_t(64) << 10, size_t(256) << 10, size_t(1) << 20, size_t(2) << 20,
                         size_t(4) << 20, size_t(8) << 20}) {
      size_t n = total / chunk;
      double best = 1e9;
      for (int rep = 0; rep < 3; ++rep) {
        CK(cudaEventRecord(e0, s));
        for (size_t i = 0; i < n; ++i)
          CK(cudaMemcpyAsync((char*)dst + i * chunk, (char*)src + i * chunk, chunk, kind, s));
        CK(cudaEventRecord(e1, s));
        CK(cudaStreamSynchronize(s));
        CK(cudaEventElapsedTime(&ms, e0, e1));
        best = std::min(best, ms * 1e-3);
      }
      double per_copy_us = (best - total / peak) / n * 1e6;
      printf("  back-to-back chunk %5zu KiB: %.2f GB/s (%.1f%% of single), per-copy overhead %.3f us\n",
             chunk >> 10, total / best / 1e9, 100.0 * (total / best) / peak, per_copy_us);
      // Host-driven: keep k chunks in flight, spin on cudaEventQuery of the oldest, issue the next when it
      // completes.
      for (int k : {1, 2, 3, 4}) {
        std::vector<cudaEvent_t> ev(k);
        for (auto& e : ev) CK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
        size_t issued = 0, done = 0;
        auto t0 = Clock::now();
        while (done < n) {
          while (issued < n && issued - done < size_t(k)) {
            CK(cudaMemcpyAsync((char*)dst + issued * chunk, (char*)src + issued * chunk, chunk, kind, s));
            CK(cudaEventRecord(ev[issued % k], s));
            ++issued;
          }
          while (cudaEventQuery(ev[done % k]) == cudaErrorNotReady) {
          }
          ++done;
        }
        double t = secs(t0, Clock::now());
        printf("    host-driven %d in flight: %.2f GB/s (%.1f%% of single)\n", k, total / t / 1e9,
               100.0 * (total / t) / peak);
        for (auto& e : ev) CK(cudaEventDestroy(e));
      }
    }
  }
  return 0;
}
