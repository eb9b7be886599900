// Shared by the sched_*_test.cpp and sim_*_test.cpp files: hand-built kernel profiles and scheduler views, a
// launcher that records launches and completes them on demand, and a small real model for the CPU device.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "graph/graph.h"
#include "sched/kernel_launcher.h"
#include "sched/kernel_profile.h"
#include "sched/scheduler_view.h"

namespace missile::sched::testing {

// A kernel whose duration is `full_us` on the whole GPU and scales with the SMs it can use: with `blocks`
// blocks, duration(s) = full_us * min(blocks, sms) / min(blocks, s).
inline KernelProfile MakeKernel(std::string name, double full_us, int64_t blocks, double memory_intensity,
                                const GpuLayout& layout = GpuLayout::H200()) {
  KernelProfile k;
  k.name = name;
  k.op = "Test";
  k.blocks = blocks;
  k.memory_intensity = memory_intensity;
  k.memory_bound = memory_intensity >= 0.5;
  const double full_sms = std::min<double>(static_cast<double>(blocks), layout.sms);
  for (int g = 1; g <= layout.groups(); ++g) {
    const double sms = std::min<double>(static_cast<double>(blocks), layout.SmsInFirst(g));
    k.duration_us.push_back(full_us * full_sms / sms);
  }
  return k;
}

inline std::shared_ptr<ModelProfile> MakeModel(std::string name, std::vector<KernelProfile> kernels,
                                               int batch = 1, const GpuLayout& layout = GpuLayout::H200()) {
  auto model = std::make_shared<ModelProfile>();
  model->model = std::move(name);
  model->batch = batch;
  model->precision = "fp16";
  model->source = "test";
  model->device = "test";
  model->layout = layout;
  model->kernels = std::move(kernels);
  return model;
}

// A tenant in a hand-built view. The kernels it points at must outlive the view.
struct TenantSpec {
  TenantId id = 0;
  TenantClass cls = TenantClass::kBestEffort;
  SmBounds bounds;
  int priority = 0;
};

inline TenantView Idle(const TenantSpec& spec) {
  TenantView view;
  view.id = spec.id;
  view.cls = spec.cls;
  view.bounds = spec.bounds;
  view.priority = spec.priority;
  return view;
}

// Ready to launch kernels[from] of a request (the rest follow); `started` when earlier steps already ran.
inline TenantView Ready(const TenantSpec& spec, const std::vector<KernelProfile>& kernels, size_t from = 0,
                        uint64_t arrival = 0) {
  TenantView view = Idle(spec);
  view.next = &kernels[from];
  view.upcoming = std::span<const KernelProfile>(kernels).subspan(from);
  view.kernels = kernels;
  view.request_started = from > 0;
  view.head_arrival = arrival;
  view.queued_requests = 1;
  return view;
}

// Running kernels[index] on `partition` at `priority`.
inline TenantView Running(const TenantSpec& spec, const std::vector<KernelProfile>& kernels, size_t index,
                          GroupRange partition, int priority, uint64_t arrival = 0) {
  TenantView view = Idle(spec);
  view.running = RunningKernel{&kernels[index], partition, priority};
  view.upcoming = std::span<const KernelProfile>(kernels).subspan(index);
  view.kernels = kernels;
  view.request_started = true;
  view.head_arrival = arrival;
  view.queued_requests = 1;
  return view;
}

// Records launches; the test completes them when it wants, in any order.
class RecordingLauncher final : public KernelLauncher {
 public:
  void Launch(const KernelLaunch& launch, KernelListener& listener) override {
    launches.push_back(launch);
    pending.emplace_back(launch, &listener);
  }
  // Completes the oldest pending launch of `tenant`.
  void Complete(TenantId tenant, const Status& status = Status::Ok()) {
    for (auto it = pending.begin(); it != pending.end(); ++it) {
      if (it->first.tenant == tenant) {
        auto [launch, listener] = *it;
        pending.erase(it);
        listener->OnKernelDone(launch, status);
        return;
      }
    }
    ADD_FAILURE() << "tenant " << tenant << " has no kernel in flight";
  }
  size_t PendingOf(TenantId tenant) const {
    size_t count = 0;
    for (const auto& p : pending) count += p.first.tenant == tenant ? 1 : 0;
    return count;
  }

  std::vector<KernelLaunch> launches;
  std::deque<std::pair<KernelLaunch, KernelListener*>> pending;
};

inline Tensor SeededTensor(Shape shape, uint32_t seed) {
  Tensor t(DataType::kFloat32, std::move(shape));
  uint32_t state = seed * 2654435761u + 12345u;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    state = state * 1664525u + 1013904223u;
    t.data<float>()[i] = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) - 0.5f;
  }
  return t;
}

// A small convolutional network with seeded weights: x[1,3,16,16] -> Conv3x3(8)+Relu -> Conv1x1(8) ->
// GlobalAveragePool -> Flatten -> Gemm(4) -> y[1,4].
inline graph::Graph SmallConvNet(uint32_t seed) {
  graph::Graph g;
  g.set_opset(17);
  const graph::ValueId x = g.AddValue("x");
  g.inputs().push_back(x);
  graph::InputSignature signature;
  for (int64_t d : {1, 3, 16, 16}) signature.dims.push_back(graph::Dim{d, ""});
  g.input_signatures().push_back(signature);
  const auto node = [&](std::string op, std::vector<graph::ValueId> inputs, std::string out) {
    graph::Node n;
    n.name = out;
    n.op_type = std::move(op);
    n.inputs = std::move(inputs);
    n.outputs = {g.AddValue(out)};
    g.nodes().push_back(n);
    return &g.nodes().back();
  };
  const graph::ValueId w1 = g.AddConstant("w1", SeededTensor({8, 3, 3, 3}, seed));
  const graph::ValueId b1 = g.AddConstant("b1", SeededTensor({8}, seed + 1));
  node("Conv", {x, w1, b1}, "conv1")->attributes.Set("pads", std::vector<int64_t>{1, 1, 1, 1});
  node("Relu", {g.FindValue("conv1")}, "relu1");
  const graph::ValueId w2 = g.AddConstant("w2", SeededTensor({8, 8, 1, 1}, seed + 2));
  node("Conv", {g.FindValue("relu1"), w2}, "conv2");
  node("GlobalAveragePool", {g.FindValue("conv2")}, "pool");
  node("Flatten", {g.FindValue("pool")}, "flat");
  const graph::ValueId w3 = g.AddConstant("w3", SeededTensor({8, 4}, seed + 3));
  const graph::ValueId b3 = g.AddConstant("b3", SeededTensor({4}, seed + 4));
  node("Gemm", {g.FindValue("flat"), w3, b3}, "y");
  g.outputs().push_back(g.FindValue("y"));
  g.output_names().push_back("y");
  EXPECT_TRUE(g.Finalize().ok());
  return g;
}

}  // namespace missile::sched::testing
