#include "ops/cuda/lt_gemm.h"

#include "device/cuda/cuda_status.h"

namespace missile::ops::cuda {
namespace {

// cuBLASLt's fastest Hopper kernels want a few MiB; 32 MiB leaves every candidate open.
constexpr size_t kMaxGemmWorkspace = size_t{32} << 20;

Result<cudaDataType_t> CudaDataType(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32:
      return CUDA_R_32F;
    case DataType::kFloat16:
      return CUDA_R_16F;
    default:
      return Error(ErrorCode::kUnimplemented, "GEMMs on {} are not supported by the CUDA backend",
                   DataTypeName(dtype));
  }
}

// A column-major rows x cols matrix with leading dimension ld, repeated `batch` times every `stride`.
Status MakeLayout(cublasLtMatrixLayout_t* layout, cudaDataType_t type, int64_t rows, int64_t cols, int64_t ld,
                  int64_t batch, int64_t stride) {
  MISSILE_CUBLAS_RETURN_IF_ERROR(
      cublasLtMatrixLayoutCreate(layout, type, static_cast<uint64_t>(rows), static_cast<uint64_t>(cols), ld));
  if (batch > 1) {
    const int32_t count = static_cast<int32_t>(batch);
    MISSILE_CUBLAS_RETURN_IF_ERROR(
        cublasLtMatrixLayoutSetAttribute(*layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)));
    MISSILE_CUBLAS_RETURN_IF_ERROR(cublasLtMatrixLayoutSetAttribute(
        *layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
  }
  return Status::Ok();
}

}  // namespace

LtGemm::~LtGemm() {
  if (d_layout_ != nullptr) cublasLtMatrixLayoutDestroy(d_layout_);
  if (b_layout_ != nullptr) cublasLtMatrixLayoutDestroy(b_layout_);
  if (a_layout_ != nullptr) cublasLtMatrixLayoutDestroy(a_layout_);
  if (operation_ != nullptr) cublasLtMatmulDescDestroy(operation_);
}

Result<std::unique_ptr<LtGemm>> LtGemm::Plan(const GemmProblem& p, cublasLtHandle_t handle) {
  std::unique_ptr<LtGemm> gemm(new LtGemm());
  gemm->problem_ = p;
  MISSILE_ASSIGN_OR_RETURN(cudaDataType_t type, CudaDataType(p.dtype));
  const cublasComputeType_t compute =
      p.dtype == DataType::kFloat32 && p.allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  MISSILE_CUBLAS_RETURN_IF_ERROR(cublasLtMatmulDescCreate(&gemm->operation_, compute, CUDA_R_32F));
  // Swapped operands (see the header): cuBLASLt's A is our B, its B our A.
  const cublasOperation_t lt_trans_a = p.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t lt_trans_b = p.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  MISSILE_CUBLAS_RETURN_IF_ERROR(cublasLtMatmulDescSetAttribute(gemm->operation_, CUBLASLT_MATMUL_DESC_TRANSA,
                                                                &lt_trans_a, sizeof(lt_trans_a)));
  MISSILE_CUBLAS_RETURN_IF_ERROR(cublasLtMatmulDescSetAttribute(gemm->operation_, CUBLASLT_MATMUL_DESC_TRANSB,
                                                                &lt_trans_b, sizeof(lt_trans_b)));
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  if (p.bias)
    epilogue = p.relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
  else if (p.relu)
    epilogue = CUBLASLT_EPILOGUE_RELU;
  MISSILE_CUBLAS_RETURN_IF_ERROR(cublasLtMatmulDescSetAttribute(
      gemm->operation_, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)));
  if (p.bias) {
    const cudaDataType_t bias_type = type;
    MISSILE_CUBLAS_RETURN_IF_ERROR(cublasLtMatmulDescSetAttribute(
        gemm->operation_, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof(bias_type)));
  }

  // Our row-major B [k, n] is column-major [n, k] (ld n); transposed, it is stored [n, k] = column-major [k,
  // n].
  MISSILE_RETURN_IF_ERROR(MakeLayout(&gemm->a_layout_, type, p.trans_b ? p.k : p.n, p.trans_b ? p.n : p.k,
                                     p.trans_b ? p.k : p.n, p.batch, p.stride_b));
  MISSILE_RETURN_IF_ERROR(MakeLayout(&gemm->b_layout_, type, p.trans_a ? p.m : p.k, p.trans_a ? p.k : p.m,
                                     p.trans_a ? p.m : p.k, p.batch, p.stride_a));
  MISSILE_RETURN_IF_ERROR(MakeLayout(&gemm->d_layout_, type, p.n, p.m, p.n, p.batch, p.stride_d));

  cublasLtMatmulPreference_t preference = nullptr;
  MISSILE_CUBLAS_RETURN_IF_ERROR(cublasLtMatmulPreferenceCreate(&preference));
  const size_t limit = kMaxGemmWorkspace;
  cublasStatus_t set = cublasLtMatmulPreferenceSetAttribute(
      preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &limit, sizeof(limit));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  if (set == CUBLAS_STATUS_SUCCESS) {
    set = cublasLtMatmulAlgoGetHeuristic(handle, gemm->operation_, gemm->a_layout_, gemm->b_layout_,
                                         gemm->d_layout_, gemm->d_layout_, preference, 1, &result, &found);
  }
  cublasLtMatmulPreferenceDestroy(preference);
  MISSILE_CUBLAS_RETURN_IF_ERROR(set);
  if (found == 0) {
    return Error(ErrorCode::kUnimplemented, "cuBLASLt has no algorithm for a {} GEMM of {}x{}x{} (batch {})",
                 DataTypeName(p.dtype), p.m, p.n, p.k, p.batch);
  }
  gemm->algorithm_ = result.algo;
  gemm->workspace_bytes_ = result.workspaceSize;
  return gemm;
}

Status LtGemm::Enqueue(const LaunchContext& launch, const void* a, const void* b, const void* bias,
                       const void* c, void* d, void* workspace) const {
  if (problem_.bias) {
    MISSILE_CUBLAS_RETURN_IF_ERROR(
        cublasLtMatmulDescSetAttribute(operation_, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
  }
  MISSILE_CUBLAS_RETURN_IF_ERROR(cublasLtMatmul(launch.cublaslt, operation_, &problem_.alpha, b, a_layout_, a,
                                                b_layout_, &problem_.beta, c != nullptr ? c : d, d_layout_, d,
                                                d_layout_, &algorithm_, workspace, workspace_bytes_,
                                                launch.stream));
  return Status::Ok();
}

}  // namespace missile::ops::cuda
