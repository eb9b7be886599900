// The CUDA backend's copies through the transfer schedulers (BackendOptions::transfer_route): a session given
// a tenant's route uploads its weights and moves every request's inputs and outputs through that tenant's
// schedulers over CUDA copy engines, and computes what a session copying on its own stream does,
// kernel by kernel, as a captured CUDA graph and profiled. Skipped where there is no GPU; compiled wherever
// nvcc is.
#ifdef MISSILE_HAVE_CUDA

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "device/cuda/device_memory.h"
#include "gpu_test_support.h"
#include "runtime/session.h"
#include "sched_test_support.h"
#include "server/device_transfers.h"

namespace missile::server {
namespace {

using pcie::Direction;

class PcieCudaRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string no_gpu = missile::testing::NoGpuReason();
    if (!no_gpu.empty()) GTEST_SKIP() << "no GPU here, CUDA transfer route test skipped: " << no_gpu;
  }
};

const pcie::TenantTransferStats& StatsOf(const DeviceTransfers& transfers, Direction direction,
                                         pcie::TenantId tenant) {
  static pcie::TenantTransferStats none;
  static thread_local std::vector<pcie::TenantTransferStats> stats;
  stats = transfers.Metrics(direction);
  for (const pcie::TenantTransferStats& entry : stats) {
    if (entry.tenant == tenant) return entry;
  }
  return none;
}

Tensor RunModel(runtime::Session& session, const Tensor& input, bool profiled = false) {
  runtime::NamedTensors inputs;
  inputs.emplace("x", input);
  std::vector<runtime::StepTiming> timings;
  auto outputs = session.Run(inputs, profiled ? &timings : nullptr);
  EXPECT_TRUE(outputs.ok()) << outputs.status().ToString();
  if (!outputs.ok()) return Tensor();
  return outputs->at("y");
}

TEST_F(PcieCudaRouteTest, SessionCopiesGoThroughTheTenantsSchedulers) {
  auto transfers = DeviceTransfers::CreateCuda();
  ASSERT_TRUE(transfers.ok()) << transfers.status().ToString();
  ASSERT_TRUE((*transfers)->AddTenant(1, {pcie::kNice0Weight, true}).ok());
  ASSERT_TRUE((*transfers)->AddTenant(2, {}).ok());
  std::unique_ptr<runtime::TransferRoute> route = (*transfers)->RouteFor(1);
  const Tensor input = sched::testing::SeededTensor({1, 3, 16, 16}, 5);
  const uint64_t input_bytes = input.nbytes();

  for (const bool cuda_graph : {false, true}) {
    SCOPED_TRACE(cuda_graph ? "CUDA graph" : "kernel by kernel");
    runtime::SessionOptions plain;
    plain.backend = "cuda";
    plain.cuda_graph = cuda_graph;
    runtime::SessionOptions routed = plain;
    routed.transfer_route = route.get();
    auto reference = runtime::Session::FromGraph(sched::testing::SmallConvNet(3), plain);
    ASSERT_TRUE(reference.ok()) << reference.status().ToString();
    const Tensor expected = RunModel(**reference, input);

    const uint64_t up_before = StatsOf(**transfers, Direction::kHostToDevice, 1).bytes;
    const uint64_t down_before = StatsOf(**transfers, Direction::kDeviceToHost, 1).bytes;
    auto session = runtime::Session::FromGraph(sched::testing::SmallConvNet(3), routed);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    constexpr int kRuns = 3;
    for (int run = 0; run < kRuns; ++run) {
      const Tensor got = RunModel(**session, input, /*profiled=*/run == 2 && !cuda_graph);
      ASSERT_EQ(got.num_elements(), expected.num_elements());
      // Two sessions may pick different convolution algorithms in their trial launches: equal to rounding.
      for (int64_t i = 0; i < got.num_elements(); ++i) {
        EXPECT_NEAR(got.data<float>()[i], expected.data<float>()[i], 1e-5f)
            << "run " << run << " element " << i;
      }
    }
    // Weights (uploaded once, on the first run's compile) and every run's input went up through tenant 1's
    // host-to-device scheduler, every run's output came down through its device-to-host one.
    const uint64_t up = StatsOf(**transfers, Direction::kHostToDevice, 1).bytes - up_before;
    const uint64_t down = StatsOf(**transfers, Direction::kDeviceToHost, 1).bytes - down_before;
    EXPECT_GT(up, kRuns * input_bytes) << "weights and inputs";
    EXPECT_EQ(down, kRuns * expected.nbytes());
    EXPECT_EQ(StatsOf(**transfers, Direction::kHostToDevice, 2).bytes, 0u) << "nothing charged to tenant 2";
  }
}

TEST_F(PcieCudaRouteTest, PageableAndPinnedSpansRoundTripIntact) {
  auto transfers = DeviceTransfers::CreateCuda();
  ASSERT_TRUE(transfers.ok()) << transfers.status().ToString();
  ASSERT_TRUE((*transfers)->AddTenant(7, {}).ok());
  std::unique_ptr<runtime::TransferRoute> route = (*transfers)->RouteFor(7);
  const size_t bytes = 9 * pcie::kMiB + 4099;  // past a bulk chunk, with a remainder
  std::mt19937_64 random(11);
  std::vector<std::byte> pageable(bytes), back(bytes, std::byte{0});
  for (std::byte& b : pageable) b = static_cast<std::byte>(random());
  auto pinned = device::cuda::PinnedBuffer::Allocate(bytes);
  auto device = device::cuda::DeviceBuffer::Allocate(2 * bytes);
  ASSERT_TRUE(pinned.ok() && device.ok());
  std::memcpy(pinned->data(), pageable.data(), bytes);
  std::byte* on_device = static_cast<std::byte*>(device->data());
  const runtime::HostDeviceCopy up[] = {{pageable.data(), on_device, bytes, true},
                                        {pinned->data(), on_device + bytes, bytes, false}};
  ASSERT_TRUE(route->Copy(Direction::kHostToDevice, up).ok());
  std::memset(pinned->data(), 0, bytes);
  const runtime::HostDeviceCopy down[] = {{on_device, back.data(), bytes, true},
                                          {on_device + bytes, pinned->data(), bytes, false}};
  ASSERT_TRUE(route->Copy(Direction::kDeviceToHost, down).ok());
  EXPECT_EQ(back, pageable);
  EXPECT_EQ(std::memcmp(pinned->data(), pageable.data(), bytes), 0);
}

}  // namespace
}  // namespace missile::server

#endif  // MISSILE_HAVE_CUDA
