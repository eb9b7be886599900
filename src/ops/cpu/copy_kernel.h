// Copies input 0 to output 0: the kernel of every view operator when the planner cannot alias its buffers
// (a graph input returned as an output, say).
#pragma once

#include <cstring>
#include <memory>

#include "ops/kernel.h"

namespace missile::ops::cpu {

class CopyKernel final : public Kernel {
 public:
  explicit CopyKernel(size_t bytes) : bytes_(bytes) {}
  Status Run(const KernelArgs& args) const override {
    if (bytes_ > 0 && args.outputs[0] != args.inputs[0]) std::memcpy(args.outputs[0], args.inputs[0], bytes_);
    return Status::Ok();
  }

 private:
  size_t bytes_;
};

inline std::unique_ptr<Kernel> MakeCopyKernel(size_t bytes) {
  return std::make_unique<CopyKernel>(bytes);
}

}  // namespace missile::ops::cpu
