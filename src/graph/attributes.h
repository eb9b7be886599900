// Node attributes: ONNX's attribute kinds, read with defaults and typed errors.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/tensor.h"

namespace missile::graph {

using AttributeValue = std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>,
                                    std::vector<std::string>, Tensor>;

class Attributes {
 public:
  bool Has(const std::string& name) const { return values_.contains(name); }
  void Set(const std::string& name, AttributeValue value) { values_[name] = std::move(value); }
  void Erase(const std::string& name) { values_.erase(name); }
  const std::map<std::string, AttributeValue>& all() const { return values_; }

  // Required attributes: a clear error when missing or of another kind.
  Result<int64_t> Int(const std::string& name) const { return Get<int64_t>(name, "int"); }
  Result<float> Float(const std::string& name) const { return Get<float>(name, "float"); }
  Result<std::string> String(const std::string& name) const { return Get<std::string>(name, "string"); }
  Result<std::vector<int64_t>> Ints(const std::string& name) const {
    return Get<std::vector<int64_t>>(name, "ints");
  }
  Result<std::vector<float>> Floats(const std::string& name) const {
    return Get<std::vector<float>>(name, "floats");
  }
  Result<Tensor> TensorValue(const std::string& name) const { return Get<Tensor>(name, "tensor"); }

  // Optional attributes with ONNX's defaults.
  int64_t Int(const std::string& name, int64_t fallback) const { return GetOr<int64_t>(name, fallback); }
  float Float(const std::string& name, float fallback) const { return GetOr<float>(name, fallback); }
  std::string String(const std::string& name, const std::string& fallback) const {
    return GetOr<std::string>(name, fallback);
  }
  std::vector<int64_t> Ints(const std::string& name, std::vector<int64_t> fallback) const {
    return GetOr<std::vector<int64_t>>(name, std::move(fallback));
  }

 private:
  template <typename T>
  Result<T> Get(const std::string& name, const char* kind) const {
    auto it = values_.find(name);
    if (it == values_.end()) return Error(ErrorCode::kInvalidModel, "missing required attribute '{}'", name);
    if (const T* v = std::get_if<T>(&it->second)) return *v;
    return Error(ErrorCode::kInvalidModel, "attribute '{}' must be of kind {}", name, kind);
  }
  template <typename T>
  T GetOr(const std::string& name, T fallback) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    if (const T* v = std::get_if<T>(&it->second)) return *v;
    return fallback;
  }

  std::map<std::string, AttributeValue> values_;
};

}  // namespace missile::graph
