// The CUDA executable reads a page-locked input where it is (the HTTP server's request bodies live in such
// memory, server/body_memory.h) and stages an ordinary one: requests alternating between the two, and
// between two page-locked inputs at different addresses, must each compute on their own data, kernel by
// kernel and as a replayed CUDA graph whose copy node is re-pointed per request. Skipped where there is no
// GPU; compiled wherever nvcc is.
#ifdef MISSILE_HAVE_CUDA

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstring>

#include "device/cuda/device_memory.h"
#include "gpu_test_support.h"
#include "runtime/cuda/cuda_executable.h"
#include "runtime/session.h"
#include "sched_test_support.h"
#include "server/body_buffer.h"
#include "server/body_memory.h"

namespace missile::runtime {
namespace {

class CudaPinnedInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string no_gpu = missile::testing::NoGpuReason();
    if (!no_gpu.empty()) GTEST_SKIP() << "no GPU here, pinned-input test skipped: " << no_gpu;
  }
};

// The same values as `tensor`, in page-locked memory.
Tensor PinnedCopy(const Tensor& tensor) {
  void* pinned = nullptr;
  EXPECT_TRUE(device::cuda::PinnedMemory::Allocate(&pinned, tensor.nbytes()).ok());
  std::memcpy(pinned, tensor.raw_data(), tensor.nbytes());
  return Tensor::Wrap(tensor.dtype(), tensor.shape(),
                      std::shared_ptr<std::byte[]>(static_cast<std::byte*>(pinned), [](std::byte* p) {
                        device::cuda::PinnedMemory::Free(p);
                      }));
}

Tensor RunOn(Session& session, const Tensor& input) {
  NamedTensors inputs;
  inputs.emplace("x", input);
  auto outputs = session.Run(inputs);
  EXPECT_TRUE(outputs.ok()) << outputs.status().ToString();
  if (!outputs.ok()) return Tensor();
  return outputs->at("y");
}

void ExpectSame(const Tensor& got, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(got.num_elements(), expected.num_elements()) << what;
  for (int64_t i = 0; i < got.num_elements(); ++i) {
    ASSERT_NEAR(got.data<float>()[i], expected.data<float>()[i], 1e-5f) << what << ", element " << i;
  }
}

TEST_F(CudaPinnedInputsTest, EachRequestComputesOnItsOwnInputWhereverItLives) {
  EXPECT_TRUE(device::cuda::PinnedMemory::Holds(PinnedCopy(sched::testing::SeededTensor({16}, 1)).raw_data(),
                                                16 * sizeof(float)));
  const Tensor a = sched::testing::SeededTensor({1, 3, 16, 16}, 5);
  const Tensor b = sched::testing::SeededTensor({1, 3, 16, 16}, 6);
  EXPECT_FALSE(device::cuda::PinnedMemory::Holds(a.raw_data(), a.nbytes()));
  const Tensor pinned_a = PinnedCopy(a);
  const Tensor pinned_b = PinnedCopy(b);
  for (const bool cuda_graph : {false, true}) {
    SCOPED_TRACE(cuda_graph ? "CUDA graph" : "kernel by kernel");
    SessionOptions options;
    options.backend = "cuda";
    options.cuda_graph = cuda_graph;
    auto session = Session::FromGraph(sched::testing::SmallConvNet(3), options);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    const Tensor expected_a = RunOn(**session, a);
    const Tensor expected_b = RunOn(**session, b);
    NamedTensors probe;
    probe.emplace("x", a);
    auto executable = (*session)->Prepare(probe);
    ASSERT_TRUE(executable.ok());
    auto* cuda = dynamic_cast<cuda::CudaExecutable*>(*executable);
    ASSERT_NE(cuda, nullptr);
    const cuda::CudaExecutable::InputCopyStats before = cuda->input_copy_stats();
    // Each step changes where the input is read from, or its address: a copy node left pointing at the last
    // source would compute on the previous request's input. Outputs are held for a step, as a caller holds
    // them while it answers, so the requests rotate over the output slots (each with its own graph).
    const std::vector<std::pair<const Tensor*, const Tensor*>> sequence = {
        {&pinned_b, &expected_b}, {&pinned_a, &expected_a}, {&b, &expected_b},
        {&pinned_a, &expected_a}, {&pinned_b, &expected_b}, {&a, &expected_a},
        {&pinned_a, &expected_a}, {&pinned_b, &expected_b}, {&b, &expected_b},
        {&pinned_b, &expected_b}};
    Tensor held;
    for (size_t step = 0; step < sequence.size(); ++step) {
      Tensor got = RunOn(**session, *sequence[step].first);
      ExpectSame(got, *sequence[step].second, fmt::format("step {}", step));
      held = std::move(got);
    }
    const cuda::CudaExecutable::InputCopyStats& after = cuda->input_copy_stats();
    EXPECT_EQ(after.read_in_place - before.read_in_place, 7u) << "page-locked inputs must be read in place";
    EXPECT_EQ(after.staged - before.staged, 3u);
    if (cuda_graph) EXPECT_GT(after.graph_repoints, before.graph_repoints);
    EXPECT_TRUE(cuda->reads_pinned_inputs_in_place()) << "the driver refused to re-point the graph's copy";
  }
}

// What the HTTP server does with a body on the CUDA backend: its block is page-locked, so the executable
// reads a tensor in it in place.
TEST_F(CudaPinnedInputsTest, TheServersBodiesArePageLocked) {
  std::unique_ptr<server::BodyMemory> memory = server::BodyMemory::ForBackend("cuda", size_t{4} << 20);
  ASSERT_TRUE(memory->page_locked());
  server::BodyBuffer buffer(memory.get());
  std::span<std::byte> body = buffer.Prepare(602'112 + 151, 151);
  EXPECT_EQ(memory->pinned_bytes(), size_t{1} << 20);
  EXPECT_TRUE(device::cuda::PinnedMemory::Holds(body.data() + 151, 602'112));
  buffer.Finish();
}

}  // namespace
}  // namespace missile::runtime

#endif  // MISSILE_HAVE_CUDA
