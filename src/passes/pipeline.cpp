#include "passes/pipeline.h"

#include "passes/fusions.h"
#include "passes/infer_and_fold.h"

namespace missile::passes {

Status RunPipeline(graph::Graph& graph, const std::vector<graph::TensorSpec>& input_specs,
                   const PipelineOptions& options) {
  MISSILE_RETURN_IF_ERROR(InferShapesAndFold(graph, input_specs));
  MISSILE_RETURN_IF_ERROR(EliminateIdentities(graph));
  if (!options.fuse) return Status::Ok();
  // Order matters: a bias or residual add sits before the activation, so both fuse before it.
  MISSILE_RETURN_IF_ERROR(TransposesAsViews(graph));
  MISSILE_RETURN_IF_ERROR(FoldConvBatchNorm(graph));
  MISSILE_RETURN_IF_ERROR(FuseConvResidual(graph));
  MISSILE_RETURN_IF_ERROR(FuseMatMulBias(graph));
  MISSILE_RETURN_IF_ERROR(MergeSiblingMatMuls(graph));
  MISSILE_RETURN_IF_ERROR(FuseGelu(graph));
  MISSILE_RETURN_IF_ERROR(FuseAttention(graph));
  MISSILE_RETURN_IF_ERROR(FuseTransposedMatMul(graph));
  MISSILE_RETURN_IF_ERROR(FuseMatMulResidual(graph));
  MISSILE_RETURN_IF_ERROR(FuseActivation(graph));
  return Status::Ok();
}

}  // namespace missile::passes
