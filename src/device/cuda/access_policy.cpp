#include "device/cuda/access_policy.h"

#include <vector>

#include "device/cuda/cuda_status.h"

namespace missile::device::cuda {
namespace {

cudaAccessPolicyWindow ToCuda(const AccessWindow& window) {
  cudaAccessPolicyWindow policy{};
  policy.base_ptr = reinterpret_cast<void*>(window.base);
  policy.num_bytes = window.bytes;  // 0 disables the window
  policy.hitRatio = window.bytes > 0 ? window.hit_ratio : 0.0f;
  policy.hitProp = cudaAccessPropertyPersisting;
  policy.missProp = cudaAccessPropertyStreaming;
  return policy;
}

AccessWindow FromCuda(const cudaAccessPolicyWindow& policy) {
  return {reinterpret_cast<uint64_t>(policy.base_ptr), policy.num_bytes, policy.hitRatio};
}

Result<std::vector<cudaGraphNode_t>> KernelNodes(cudaGraph_t graph) {
  size_t count = 0;
  MISSILE_CUDA_RETURN_IF_ERROR(cudaGraphGetNodes(graph, nullptr, &count));
  std::vector<cudaGraphNode_t> nodes(count);
  if (count > 0) MISSILE_CUDA_RETURN_IF_ERROR(cudaGraphGetNodes(graph, nodes.data(), &count));
  std::vector<cudaGraphNode_t> kernels;
  for (cudaGraphNode_t node : nodes) {
    cudaGraphNodeType type{};
    MISSILE_CUDA_RETURN_IF_ERROR(cudaGraphNodeGetType(node, &type));
    if (type == cudaGraphNodeTypeKernel) kernels.push_back(node);
  }
  return kernels;
}

}  // namespace

Status SetStreamWindow(cudaStream_t stream, const AccessWindow& window) {
  cudaStreamAttrValue value{};
  value.accessPolicyWindow = ToCuda(window);
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamSetAttribute(stream, cudaStreamAttributeAccessPolicyWindow, &value));
  return Status::Ok();
}

Result<AccessWindow> GetStreamWindow(cudaStream_t stream) {
  cudaStreamAttrValue value{};
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamGetAttribute(stream, cudaStreamAttributeAccessPolicyWindow, &value));
  return FromCuda(value.accessPolicyWindow);
}

Status CopyStreamWindowToGraph(cudaStream_t stream, cudaGraph_t graph) {
  cudaStreamAttrValue value{};
  MISSILE_CUDA_RETURN_IF_ERROR(cudaStreamGetAttribute(stream, cudaStreamAttributeAccessPolicyWindow, &value));
  if (value.accessPolicyWindow.num_bytes == 0) return Status::Ok();
  MISSILE_ASSIGN_OR_RETURN(std::vector<cudaGraphNode_t> kernels, KernelNodes(graph));
  cudaKernelNodeAttrValue node_value{};
  node_value.accessPolicyWindow = value.accessPolicyWindow;
  for (cudaGraphNode_t node : kernels) {
    MISSILE_CUDA_RETURN_IF_ERROR(
        cudaGraphKernelNodeSetAttribute(node, cudaKernelNodeAttributeAccessPolicyWindow, &node_value));
  }
  return Status::Ok();
}

Result<AccessWindow> GetGraphWindow(cudaGraph_t graph) {
  MISSILE_ASSIGN_OR_RETURN(std::vector<cudaGraphNode_t> kernels, KernelNodes(graph));
  if (kernels.empty()) return AccessWindow{};
  cudaKernelNodeAttrValue value{};
  MISSILE_CUDA_RETURN_IF_ERROR(
      cudaGraphKernelNodeGetAttribute(kernels.front(), cudaKernelNodeAttributeAccessPolicyWindow, &value));
  return FromCuda(value.accessPolicyWindow);
}

}  // namespace missile::device::cuda
