// An owned cuDNN backend (graph API) descriptor and typed setters and getters for its attributes: the small
// part of cudnn_frontend Missile needs, written against the C API (cudnn_graph.h).
#pragma once

#include <cudnn.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"

namespace missile::ops::cuda::cudnn {

class BackendDescriptor {
 public:
  static Result<BackendDescriptor> Create(cudnnBackendDescriptorType_t type);
  BackendDescriptor() = default;
  BackendDescriptor(BackendDescriptor&& other) noexcept;
  BackendDescriptor& operator=(BackendDescriptor&& other) noexcept;
  BackendDescriptor(const BackendDescriptor&) = delete;
  BackendDescriptor& operator=(const BackendDescriptor&) = delete;
  ~BackendDescriptor();

  cudnnBackendDescriptor_t get() const { return descriptor_; }
  explicit operator bool() const { return descriptor_ != nullptr; }

  Status Set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count,
             const void* values);
  Status SetInt64(cudnnBackendAttributeName_t name, int64_t value);
  Status SetInt64s(cudnnBackendAttributeName_t name, std::span<const int64_t> values);
  Status SetBool(cudnnBackendAttributeName_t name, bool value);
  Status SetFloat(cudnnBackendAttributeName_t name, float value);
  Status SetDataType(cudnnBackendAttributeName_t name, cudnnDataType_t value);
  Status SetHandle(cudnnBackendAttributeName_t name, cudnnHandle_t handle);
  Status SetDescriptor(cudnnBackendAttributeName_t name, const BackendDescriptor& value);
  Status SetDescriptors(cudnnBackendAttributeName_t name, std::span<const cudnnBackendDescriptor_t> values);

  // Finalize fails for configurations cuDNN does not support; the raw status lets callers skip those quietly.
  cudnnStatus_t TryFinalize();
  Status Finalize();

  Result<int64_t> GetInt64(cudnnBackendAttributeName_t name) const;
  // An attribute holding a list of enum values (numerical or behaviour notes): at most `capacity` of them.
  template <typename T>
  Result<std::vector<T>> GetEnums(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type,
                                  int64_t capacity) const {
    std::vector<T> values(static_cast<size_t>(capacity));
    int64_t count = 0;
    MISSILE_RETURN_IF_ERROR(GetRaw(name, type, capacity, &count, values.data()));
    values.resize(static_cast<size_t>(count));
    return values;
  }
  // Descriptor-valued attributes are read into descriptors the caller created (cuDNN's rule).
  Status GetDescriptor(cudnnBackendAttributeName_t name, BackendDescriptor& out) const;

 private:
  explicit BackendDescriptor(cudnnBackendDescriptor_t descriptor) : descriptor_(descriptor) {}
  Status GetRaw(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t capacity,
                int64_t* count, void* values) const;

  cudnnBackendDescriptor_t descriptor_ = nullptr;
};

}  // namespace missile::ops::cuda::cudnn
