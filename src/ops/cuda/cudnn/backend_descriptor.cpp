#include "ops/cuda/cudnn/backend_descriptor.h"

#include <utility>

#include "device/cuda/cuda_status.h"

namespace missile::ops::cuda::cudnn {

Result<BackendDescriptor> BackendDescriptor::Create(cudnnBackendDescriptorType_t type) {
  cudnnBackendDescriptor_t raw = nullptr;
  MISSILE_CUDNN_RETURN_IF_ERROR(cudnnBackendCreateDescriptor(type, &raw));
  return BackendDescriptor(raw);
}

BackendDescriptor::BackendDescriptor(BackendDescriptor&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, nullptr)) {}

BackendDescriptor& BackendDescriptor::operator=(BackendDescriptor&& other) noexcept {
  if (this != &other) {
    if (descriptor_ != nullptr) cudnnBackendDestroyDescriptor(descriptor_);
    descriptor_ = std::exchange(other.descriptor_, nullptr);
  }
  return *this;
}

BackendDescriptor::~BackendDescriptor() {
  if (descriptor_ != nullptr) cudnnBackendDestroyDescriptor(descriptor_);
}

Status BackendDescriptor::Set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type,
                              int64_t count, const void* values) {
  MISSILE_CUDNN_RETURN_IF_ERROR(cudnnBackendSetAttribute(descriptor_, name, type, count, values));
  return Status::Ok();
}

Status BackendDescriptor::SetInt64(cudnnBackendAttributeName_t name, int64_t value) {
  return Set(name, CUDNN_TYPE_INT64, 1, &value);
}

Status BackendDescriptor::SetInt64s(cudnnBackendAttributeName_t name, std::span<const int64_t> values) {
  return Set(name, CUDNN_TYPE_INT64, static_cast<int64_t>(values.size()), values.data());
}

Status BackendDescriptor::SetBool(cudnnBackendAttributeName_t name, bool value) {
  return Set(name, CUDNN_TYPE_BOOLEAN, 1, &value);
}

Status BackendDescriptor::SetFloat(cudnnBackendAttributeName_t name, float value) {
  return Set(name, CUDNN_TYPE_FLOAT, 1, &value);
}

Status BackendDescriptor::SetDataType(cudnnBackendAttributeName_t name, cudnnDataType_t value) {
  return Set(name, CUDNN_TYPE_DATA_TYPE, 1, &value);
}

Status BackendDescriptor::SetHandle(cudnnBackendAttributeName_t name, cudnnHandle_t handle) {
  return Set(name, CUDNN_TYPE_HANDLE, 1, &handle);
}

Status BackendDescriptor::SetDescriptor(cudnnBackendAttributeName_t name, const BackendDescriptor& value) {
  cudnnBackendDescriptor_t raw = value.get();
  return Set(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &raw);
}

Status BackendDescriptor::SetDescriptors(cudnnBackendAttributeName_t name,
                                         std::span<const cudnnBackendDescriptor_t> values) {
  return Set(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, static_cast<int64_t>(values.size()), values.data());
}

cudnnStatus_t BackendDescriptor::TryFinalize() {
  return cudnnBackendFinalize(descriptor_);
}

Status BackendDescriptor::Finalize() {
  MISSILE_CUDNN_RETURN_IF_ERROR(cudnnBackendFinalize(descriptor_));
  return Status::Ok();
}

Status BackendDescriptor::GetRaw(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type,
                                 int64_t capacity, int64_t* count, void* values) const {
  MISSILE_CUDNN_RETURN_IF_ERROR(cudnnBackendGetAttribute(descriptor_, name, type, capacity, count, values));
  return Status::Ok();
}

Result<int64_t> BackendDescriptor::GetInt64(cudnnBackendAttributeName_t name) const {
  int64_t value = 0;
  int64_t count = 0;
  MISSILE_RETURN_IF_ERROR(GetRaw(name, CUDNN_TYPE_INT64, 1, &count, &value));
  return value;
}

Status BackendDescriptor::GetDescriptor(cudnnBackendAttributeName_t name, BackendDescriptor& out) const {
  cudnnBackendDescriptor_t raw = out.get();
  int64_t count = 0;
  return GetRaw(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &count, &raw);
}

}  // namespace missile::ops::cuda::cudnn
