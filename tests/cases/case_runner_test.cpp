// Runs every case folder (docs/test-cases.md) under $MISSILE_CASES_DIR through the engine and compares each
// output with the reference that PyTorch or numpy computed. One gtest per case, so a failure names the case.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/npy.h"
#include "ops/op_schema.h"
#include "runtime/session.h"

#ifdef MISSILE_HAVE_CUDA
#include "ops/cuda/cuda_kernels.h"
#endif

namespace missile {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> CaseDirectories() {
  std::vector<std::string> cases;
  const char* root = std::getenv("MISSILE_CASES_DIR");
  if (root == nullptr || !fs::is_directory(root)) return cases;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (fs::exists(entry.path() / "model.onnx")) cases.push_back(entry.path().string());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

// max|got - want| / max(max|want|, 1e-6): see docs/test-cases.md.
double RelativeError(const Tensor& got, const Tensor& want) {
  const Tensor g = got.CastTo(DataType::kFloat64);
  const Tensor w = want.CastTo(DataType::kFloat64);
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < w.num_elements(); ++i) {
    const double diff = std::abs(g.data<double>()[i] - w.data<double>()[i]);
    max_diff = std::isnan(diff) ? INFINITY : std::max(max_diff, diff);
    max_ref = std::max(max_ref, std::abs(w.data<double>()[i]));
  }
  return max_diff / std::max(max_ref, 1e-6);
}

runtime::NamedTensors ReadInputs(const graph::Graph& model, const fs::path& dir) {
  runtime::NamedTensors inputs;
  for (graph::ValueId id : model.inputs()) {
    const std::string& name = model.value(id).name;
    auto tensor = ReadNpy((dir / "inputs" / NpyFileName(name)).string());
    EXPECT_TRUE(tensor.ok()) << tensor.status().ToString();
    if (tensor.ok()) inputs.emplace(name, std::move(tensor).value());
  }
  return inputs;
}

void CheckCase(const fs::path& dir, bool fuse) {
  nlohmann::json meta = nlohmann::json::parse(std::ifstream(dir / "case.json"));
  const double tolerance = meta.value("tolerance", 1e-4);
  runtime::SessionOptions options;
  options.pipeline.fuse = fuse;
  auto session = runtime::Session::Load((dir / "model.onnx").string(), options);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto outputs = (*session)->Run(ReadInputs((*session)->model(), dir));
  ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
  for (const auto& [name, got] : *outputs) {
    auto want = ReadNpy((dir / "expected" / NpyFileName(name)).string());
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    ASSERT_EQ(got.shape(), want->shape()) << "output " << name;
    ASSERT_EQ(got.dtype(), want->dtype()) << "output " << name;
    if (IsFloatingPoint(want->dtype())) {
      EXPECT_LE(RelativeError(got, *want), tolerance) << "output " << name;
    } else {
      EXPECT_EQ(0, std::memcmp(got.raw_data(), want->raw_data(), want->nbytes())) << "output " << name;
    }
  }
}

// ---- The CUDA backend against the CPU backend and the reference
// --------------------------------------------

// Why GPU cases cannot run here, or empty when they can.
std::string NoGpuReason() {
  auto choice = runtime::ResolveBackend("cuda");
  return choice.ok() ? "" : choice.status().message();
}

Result<runtime::NamedTensors> RunOn(const fs::path& dir, const runtime::NamedTensors& inputs,
                                    runtime::SessionOptions options) {
  MISSILE_ASSIGN_OR_RETURN(auto session, runtime::Session::Load((dir / "model.onnx").string(), options));
  return session->Run(inputs);
}

// Every output of `got` matches `want`: floats within `tolerance` (relative to want's largest magnitude),
// everything else bit for bit.
void ExpectClose(const runtime::NamedTensors& got, const runtime::NamedTensors& want, double tolerance,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (const auto& [name, expected] : want) {
    const Tensor& actual = got.at(name);
    ASSERT_EQ(actual.shape(), expected.shape()) << what << ", output " << name;
    ASSERT_EQ(actual.dtype(), expected.dtype()) << what << ", output " << name;
    if (IsFloatingPoint(expected.dtype())) {
      EXPECT_LE(RelativeError(actual, expected), tolerance) << what << ", output " << name;
    } else {
      EXPECT_EQ(0, std::memcmp(actual.raw_data(), expected.raw_data(), expected.nbytes()))
          << what << ", output " << name;
    }
  }
}

// fp32 without TF32 must agree with the CPU backend as closely as the case's own tolerance; fp32 with TF32
// and fp16 within 1e-2 (docs/cuda-backend.md); a replayed CUDA graph as the kernel-by-kernel run (to 1e-6:
// kernels that reduce with atomics may sum in another order).
void CheckCaseOnCuda(const fs::path& dir) {
  const std::string no_gpu = NoGpuReason();
  if (!no_gpu.empty()) GTEST_SKIP() << "no GPU here, CUDA case skipped: " << no_gpu;
  nlohmann::json meta = nlohmann::json::parse(std::ifstream(dir / "case.json"));
  const double tolerance = std::max(meta.value("tolerance", 1e-4), 1e-4);

  runtime::SessionOptions cpu;
  auto cpu_model = runtime::Session::Load((dir / "model.onnx").string(), cpu);
  ASSERT_TRUE(cpu_model.ok()) << cpu_model.status().ToString();
  const runtime::NamedTensors inputs = ReadInputs((*cpu_model)->model(), dir);
  auto on_cpu = (*cpu_model)->Run(inputs);
  ASSERT_TRUE(on_cpu.ok()) << on_cpu.status().ToString();

  runtime::SessionOptions fp32;
  fp32.backend = "cuda";
  fp32.allow_tf32 = false;
  auto on_gpu = RunOn(dir, inputs, fp32);
  ASSERT_TRUE(on_gpu.ok()) << on_gpu.status().ToString();
  ExpectClose(*on_gpu, *on_cpu, tolerance, "cuda fp32 vs cpu");

  fp32.cuda_graph = true;
  auto replayed = RunOn(dir, inputs, fp32);
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  ExpectClose(*replayed, *on_gpu, 1e-6, "cuda graph vs kernel by kernel");

  // TF32 rounds the products' inputs to fp16's 10-bit significand (in float's range): fp16's bound.
  runtime::SessionOptions tf32;
  tf32.backend = "cuda";
  tf32.allow_tf32 = true;
  auto with_tf32 = RunOn(dir, inputs, tf32);
  ASSERT_TRUE(with_tf32.ok()) << with_tf32.status().ToString();
  ExpectClose(*with_tf32, *on_cpu, std::max(tolerance, 1e-2), "cuda tf32 vs cpu");

  if (!meta.value("fp16", true)) return;  // the case's values do not fit in fp16 (see make_op_cases.py)
  runtime::SessionOptions fp16;
  fp16.backend = "cuda";
  fp16.precision = runtime::Precision::kFp16;
  auto half = RunOn(dir, inputs, fp16);
  ASSERT_TRUE(half.ok()) << half.status().ToString();
  ExpectClose(*half, *on_cpu, std::max(tolerance, 1e-2), "cuda fp16 vs cpu");
}

class CaseTest : public testing::TestWithParam<std::string> {};

TEST_P(CaseTest, CudaMatchesCpu) {
  CheckCaseOnCuda(GetParam());
}

TEST_P(CaseTest, MatchesReference) {
  CheckCase(GetParam(), /*fuse=*/true);
}
TEST_P(CaseTest, MatchesReferenceUnfused) {
  CheckCase(GetParam(), /*fuse=*/false);
}

INSTANTIATE_TEST_SUITE_P(Cases, CaseTest, testing::ValuesIn(CaseDirectories()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = fs::path(info.param).filename().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CaseTest);

TEST(CaseDirectoryTest, CasesWereGenerated) {
  // Guards against a silently empty run: the fixture that generates the cases must have produced some.
  EXPECT_GT(CaseDirectories().size(), 100u) << "no cases under $MISSILE_CASES_DIR";
}

TEST(CaseDirectoryTest, EveryOperatorHasAReferenceCase) {
  std::set<std::string> covered;
  for (const std::string& dir : CaseDirectories()) {
    const std::string ops = nlohmann::json::parse(std::ifstream(fs::path(dir) / "case.json")).value("op", "");
    std::stringstream parts(ops);  // multi-node cases list their operators joined by '+'
    for (std::string op; std::getline(parts, op, '+');) covered.insert(op);
  }
  for (const ops::OpSchema* schema : ops::AllSchemas()) {
    EXPECT_TRUE(covered.contains(std::string(schema->op_type)))
        << "operator " << schema->op_type << " has no case in tests/cases/make_op_cases.py";
  }
}

#ifdef MISSILE_HAVE_CUDA
TEST(CaseDirectoryTest, EveryOperatorHasACudaKernel) {
  for (const ops::OpSchema* schema : ops::AllSchemas()) {
    EXPECT_TRUE(ops::cuda::HasKernel(schema->op_type))
        << "operator " << schema->op_type << " has no CUDA kernel";
  }
}
#endif

}  // namespace
}  // namespace missile
