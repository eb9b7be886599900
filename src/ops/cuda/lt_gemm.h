// One (batched) GEMM on cuBLASLt, described in row-major terms and planned once:
//   D[b] = alpha * op(A[b]) x op(B[b]) + beta * C[b] (+ bias[n]) (then ReLU)
// with op(A) [m, k], op(B) [k, n], D [m, n], all row-major, batch b at element offsets b * stride (0: the
// same matrix for every batch). cuBLASLt is column-major, so the product is computed as D^T = op(B)^T
// op(A)^T, which is how a row-major bias over D's columns becomes cuBLASLt's bias over its rows.
#pragma once

#include <cublasLt.h>

#include <cstdint>
#include <memory>

#include "core/dtype.h"
#include "core/status.h"
#include "ops/cuda/launch_context.h"

namespace missile::ops::cuda {

struct GemmProblem {
  DataType dtype = DataType::kFloat32;  // of A, B, D and the bias
  bool trans_a = false;
  bool trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  int64_t batch = 1;
  int64_t stride_a = 0, stride_b = 0, stride_d = 0;  // elements between batches
  float alpha = 1.0f;
  // beta != 0 reads C (of D's layout): D itself when C was broadcast into D beforehand, or a separate
  // matrix (MatMul's fused residual).
  float beta = 0.0f;
  bool bias = false;  // add a [n] vector to every row
  bool relu = false;
  bool allow_tf32 = true;
};

class LtGemm {
 public:
  // Chooses the algorithm with cuBLASLt's heuristic for this problem.
  static Result<std::unique_ptr<LtGemm>> Plan(const GemmProblem& problem, cublasLtHandle_t handle);
  ~LtGemm();

  // Scratch the chosen algorithm may use (passed to Enqueue).
  size_t workspace_bytes() const { return workspace_bytes_; }
  // `c` (read when beta != 0) may be null for D itself.
  Status Enqueue(const LaunchContext& launch, const void* a, const void* b, const void* bias, const void* c,
                 void* d, void* workspace) const;

 private:
  LtGemm() = default;
  GemmProblem problem_;
  cublasLtMatmulDesc_t operation_ = nullptr;
  cublasLtMatrixLayout_t a_layout_ = nullptr;  // cuBLASLt's A: our B
  cublasLtMatrixLayout_t b_layout_ = nullptr;  // cuBLASLt's B: our A
  cublasLtMatrixLayout_t d_layout_ = nullptr;
  cublasLtMatmulAlgo_t algorithm_{};
  size_t workspace_bytes_ = 0;
};

}  // namespace missile::ops::cuda
