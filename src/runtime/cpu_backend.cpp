#include "runtime/backend.h"
#include "runtime/cpu_executable.h"

namespace missile::runtime {
namespace {

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  Result<std::unique_ptr<Executable>> Compile(graph::Graph graph) override {
    MISSILE_ASSIGN_OR_RETURN(auto executable, CpuExecutable::Build(std::move(graph)));
    return std::unique_ptr<Executable>(std::move(executable));
  }
};

}  // namespace

Result<std::unique_ptr<Backend>> MakeCpuBackend(const BackendOptions& options) {
  if (options.precision != Precision::kFp32) {
    return Error(ErrorCode::kUnimplemented,
                 "the cpu backend computes in fp32 only; fp16 needs --backend cuda");
  }
  if (options.cuda_graph) {
    return Error(ErrorCode::kInvalidArgument, "CUDA graphs need --backend cuda");
  }
  return std::unique_ptr<Backend>(new CpuBackend());
}

Result<Precision> ParsePrecision(std::string_view name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "fp16") return Precision::kFp16;
  return Error(ErrorCode::kInvalidArgument, "unknown precision '{}' (fp32 or fp16)", name);
}

std::string_view PrecisionName(Precision precision) {
  return precision == Precision::kFp16 ? "fp16" : "fp32";
}

#ifndef MISSILE_HAVE_CUDA
Result<std::unique_ptr<Backend>> MakeCudaBackend(const BackendOptions&) {
  return Error(ErrorCode::kUnavailable,
               "this build of missile has no CUDA backend (it was built without CUDA); use --backend cpu");
}
#endif

}  // namespace missile::runtime
