// (1) Does alternating chunks over 2-3 streams hide the per-copy overhead? (2) LS 64 KiB copy latency on its
// own stream while a host-driven loop keeps k chunks of S bytes in flight on a BE stream (what the scheduler
// does).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cuda_check.h"
using Clock = std::chrono::steady_clock;
static double us(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}
int main() {
  setvbuf(stdout, nullptr, _IONBF, 0);
  const size_t total = size_t(1) << 30;
  char *host, *dev, *lsh, *lsd;
  CK(cudaMallocHost((void**)&host, total));
  CK(cudaMalloc((void**)&dev, total));
  CK(cudaMallocHost((void**)&lsh, 1 << 16));
  CK(cudaMalloc((void**)&lsd, 1 << 16));
  memset(host, 1, total);
  cudaStream_t st[3];
  for (auto& s : st) CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  CK(cudaMemcpyAsync(dev, host, total, cudaMemcpyHostToDevice, st[0]));
  CK(cudaDeviceSynchronize());
  // LS latency under a chunked BE loop.
  for (size_t chunk : {size_t(1) << 20, size_t(2) << 20, size_t(4) << 20, size_t(8) << 20}) {
    for (int k : {2, 3})
      for (int ls_stream : {0, 1}) {
        std::vector<cudaEvent_t> ev(k);
        for (auto& e : ev) CK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
        cudaEvent_t lse;
        CK(cudaEventCreateWithFlags(&lse, cudaEventDisableTiming));
        size_t n = (size_t(4) << 30) / chunk;  // 4 GiB of BE traffic, wrapping over the 1 GiB buffer
        size_t per = total / chunk;
        size_t issued = 0, done = 0;
        bool ls_pending = false;
        Clock::time_point ls_t0, next_ls = Clock::now();
        std::vector<double> lat;
        auto t0 = Clock::now();
        while (done < n) {
          while (issued < n && issued - done < size_t(k)) {
            size_t o = (issued % per) * chunk;
            CK(cudaMemcpyAsync(dev + o, host + o, chunk, cudaMemcpyHostToDevice, st[0]));
            CK(cudaEventRecord(ev[issued % k], st[0]));
            ++issued;
          }
          auto now = Clock::now();
          if (!ls_pending && now >= next_ls) {
            ls_t0 = now;
            CK(cudaMemcpyAsync(lsd, lsh, 1 << 16, cudaMemcpyHostToDevice, st[ls_stream]));
            CK(cudaEventRecord(lse, st[ls_stream]));
            ls_pending = true;
          }
          if (ls_pending && cudaEventQuery(lse) == cudaSuccess) {
            auto t = Clock::now();
            lat.push_back(us(ls_t0, t));
            ls_pending = false;
            next_ls = t + std::chrono::microseconds(500 + (lat.size() * 7919) % 400);
          }
          if (cudaEventQuery(ev[done % k]) == cudaSuccess) ++done;
        }
        double t = us(t0, Clock::now());
        CK(cudaDeviceSynchronize());
        std::sort(lat.begin(), lat.end());
        if (lat.empty()) lat.push_back(-1);
        printf(
            "LS on %s stream; BE chunk %4zu KiB, %d in flight: BE %.2f GB/s; LS 64KiB n=%zu p50 %.1f us p99 "
            "%.1f us max %.1f us\n",
            ls_stream == 0 ? "the BE" : "its own", chunk >> 10, k, (size_t(4) << 30) / t / 1e3, lat.size(),
            lat[lat.size() / 2], lat[lat.size() * 99 / 100], lat.back());
        for (auto& e : ev) CK(cudaEventDestroy(e));
      }
  }
  // LS alone.
  std::vector<double> lat;
  for (int i = 0; i < 2000; ++i) {
    auto t0 = Clock::now();
    CK(cudaMemcpyAsync(lsd, lsh, 1 << 16, cudaMemcpyHostToDevice, st[1]));
    CK(cudaEventRecord(e0, st[1]));
    while (cudaEventQuery(e0) == cudaErrorNotReady) {
    }
    lat.push_back(us(t0, Clock::now()));
  }
  std::sort(lat.begin(), lat.end());
  printf("LS 64KiB alone: p50 %.1f us p99 %.1f us\n", lat[1000], lat[1980]);
  return 0;
}
