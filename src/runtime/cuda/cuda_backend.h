// The CUDA backend: one stream (with its library handles) and one weight store per session.
//
// Declared here rather than kept private to its file so that mechanisms acting on a session from outside the
// runtime — the L2 set-aside, which needs the session's stream and where its weights lie — can reach them
// through Session::backend().
#pragma once

#include <memory>

#include "runtime/backend.h"
#include "runtime/cuda/constant_store.h"
#include "runtime/cuda/cuda_context.h"

namespace missile::runtime::cuda {

class CudaBackend final : public Backend {
 public:
  CudaBackend(BackendOptions options, std::unique_ptr<CudaContext> context)
      : options_(options), context_(std::move(context)), constants_(options.transfer_route) {}

  std::string name() const override { return "cuda"; }
  Result<std::unique_ptr<Executable>> Compile(graph::Graph graph) override;

  const CudaContext& context() const { return *context_; }
  const ConstantStore& constants() const { return constants_; }

 private:
  BackendOptions options_;
  std::unique_ptr<CudaContext> context_;
  ConstantStore constants_;  // destroyed before the context: weights go before the stream
};

}  // namespace missile::runtime::cuda
