#include "server/infer_codec.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>

#include "core/json_fields.h"
#include "server/oip_datatype.h"
#include "server/tensor_json.h"

namespace missile::server {

using nlohmann::json;

Result<uint64_t> ParseInferenceHeaderLength(std::string_view value) {
  uint64_t length = 0;
  const auto parsed = std::from_chars(value.data(), value.data() + value.size(), length);
  if (value.empty() || parsed.ec != std::errc() || parsed.ptr != value.data() + value.size()) {
    return Error(ErrorCode::kInvalidArgument, "{} '{}' is not a byte count", kInferenceHeaderContentLength,
                 value);
  }
  return length;
}

namespace {

// The binary section of a body, consumed front to back by the tensors that declare binary_data_size.
class BinaryCursor {
 public:
  // `owner`, when set, keeps `bytes` alive: tensors may then share it instead of copying their bytes.
  explicit BinaryCursor(std::string_view bytes, std::shared_ptr<std::byte[]> owner = nullptr)
      : bytes_(bytes), owner_(std::move(owner)) {}

  Result<std::string_view> Take(uint64_t size, std::string_view what) {
    if (size > bytes_.size() - offset_) {
      return Error(
          ErrorCode::kInvalidArgument,
          "{}: binary data truncated: binary_data_size is {} bytes, but only {} bytes of binary data "
          "remain in the body",
          what, size, bytes_.size() - offset_);
    }
    std::string_view taken = bytes_.substr(offset_, size);
    offset_ += size;
    return taken;
  }
  size_t remaining() const { return bytes_.size() - offset_; }

  // `taken` (from Take) as a tensor: in place when the bytes are shared and 64-byte aligned (the server
  // places request bodies so that they are: body_buffer.h), else copied.
  Tensor MakeTensor(DataType dtype, Shape shape, std::string_view taken) const {
    if (owner_ != nullptr && reinterpret_cast<uintptr_t>(taken.data()) % 64 == 0) {
      auto* data = reinterpret_cast<std::byte*>(const_cast<char*>(taken.data()));
      return Tensor::Wrap(dtype, std::move(shape), std::shared_ptr<std::byte[]>(owner_, data));
    }
    Tensor tensor(dtype, std::move(shape));
    if (!taken.empty()) std::memcpy(tensor.raw_data(), taken.data(), taken.size());
    return tensor;
  }

 private:
  std::string_view bytes_;
  std::shared_ptr<std::byte[]> owner_;
  size_t offset_ = 0;
};

Result<Shape> ParseTensorShape(const json& object, std::string_view what) {
  auto it = object.find("shape");
  if (it == object.end()) return Error(ErrorCode::kInvalidArgument, "{}: 'shape' is required", what);
  if (!it->is_array()) {
    return Error(ErrorCode::kInvalidArgument, "{}: 'shape' must be an array of integers, got {}", what,
                 JsonTypeName(*it));
  }
  Shape shape;
  int64_t elements = 1;
  for (const json& dim : *it) {
    if (!dim.is_number_integer() || dim.get<int64_t>() < 0) {
      return Error(ErrorCode::kInvalidArgument, "{}: 'shape' must hold integers >= 0, got {}", what,
                   ShortJson(dim));
    }
    shape.push_back(dim.get<int64_t>());
    if (__builtin_mul_overflow(elements, shape.back(), &elements) || elements > (int64_t{1} << 40)) {
      return Error(ErrorCode::kInvalidArgument, "{}: shape {} is too large", what, ShapeToString(shape));
    }
  }
  return shape;
}

// The shared-memory extension's parameters of a tensor, when it has them: region and byte size together,
// the offset optional.
Result<std::optional<SharedMemoryRef>> ReadSharedMemoryRef(const json& params, const std::string& what) {
  const std::string path = what + ".parameters";
  MISSILE_ASSIGN_OR_RETURN(auto region, ReadString(params, path, "shared_memory_region"));
  MISSILE_ASSIGN_OR_RETURN(auto size, ReadInteger(params, path, "shared_memory_byte_size"));
  MISSILE_ASSIGN_OR_RETURN(auto offset, ReadInteger(params, path, "shared_memory_offset"));
  if (!region && !size && !offset) return std::optional<SharedMemoryRef>();
  if (!region || !size) {
    return Error(ErrorCode::kInvalidArgument,
                 "{}: shared_memory_region and shared_memory_byte_size must be given together", what);
  }
  if (*size < 0 || offset.value_or(0) < 0) {
    return Error(ErrorCode::kInvalidArgument, "{}: shared-memory byte size and offset must be >= 0", what);
  }
  return std::optional<SharedMemoryRef>(
      SharedMemoryRef{*region, static_cast<uint64_t>(offset.value_or(0)), static_cast<uint64_t>(*size)});
}

// One tensor of a request's "inputs" or a response's "outputs": its name, shape and datatype, its values from
// "data", from the binary section or from shared memory.
// `placement` records the tensors read from shared memory.
Result<NamedTensor> DecodeTensor(const json& object, std::string_view what_prefix, size_t index,
                                 BinaryCursor& binary, const SharedMemoryReader& shared_memory,
                                 SharedMemoryPlacement& placement) {
  const std::string where = fmt::format("{}[{}]", what_prefix, index);
  MISSILE_RETURN_IF_ERROR(CheckObject(object, where, {"name", "shape", "datatype", "parameters", "data"}));
  MISSILE_ASSIGN_OR_RETURN(std::string name, RequireString(object, where, "name"));
  const std::string what = fmt::format("{} '{}'", what_prefix == "inputs" ? "input" : "output", name);
  MISSILE_ASSIGN_OR_RETURN(std::string datatype_name, RequireString(object, what, "datatype"));
  auto datatype = ParseOipDatatype(datatype_name);
  if (!datatype.ok()) return datatype.status().WithContext(what);
  MISSILE_ASSIGN_OR_RETURN(Shape shape, ParseTensorShape(object, what));

  std::optional<uint64_t> binary_size;
  std::optional<SharedMemoryRef> region;
  if (auto params = object.find("parameters"); params != object.end()) {
    if (!params->is_object()) {
      return Error(ErrorCode::kInvalidArgument, "{}: 'parameters' must be an object", what);
    }
    MISSILE_ASSIGN_OR_RETURN(auto size, ReadInteger(*params, what + ".parameters", "binary_data_size"));
    if (size) {
      if (*size < 0) return Error(ErrorCode::kInvalidArgument, "{}: binary_data_size is negative", what);
      binary_size = static_cast<uint64_t>(*size);
    }
    MISSILE_ASSIGN_OR_RETURN(region, ReadSharedMemoryRef(*params, what));
  }
  const bool has_data = object.contains("data");
  const int sources = int{has_data} + int{binary_size.has_value()} + int{region.has_value()};
  if (sources > 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "{}: give its values one way: 'data', parameters.binary_data_size or shared_memory_region",
                 what);
  }
  if (sources == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "{}: has neither 'data' nor parameters.binary_data_size nor shared_memory_region", what);
  }

  const uint64_t expected_bytes = TensorByteSize(*datatype, shape);
  if (region) {
    if (region->byte_size != expected_bytes) {
      return Error(ErrorCode::kInvalidArgument,
                   "{}: shared_memory_byte_size is {} bytes, but shape {} of {} needs {} bytes ({} elements)",
                   what, region->byte_size, ShapeToString(shape), datatype_name, expected_bytes,
                   NumElements(shape));
    }
    if (!shared_memory) {
      return Error(ErrorCode::kInvalidArgument,
                   "{}: is in shared-memory region '{}', but the system shared-memory extension is not "
                   "enabled",
                   what, region->region);
    }
    auto tensor = shared_memory(*region, *datatype, shape);
    if (!tensor.ok()) return tensor.status().WithContext(what);
    placement[name] = *region;
    return NamedTensor{name, std::move(tensor).value()};
  }
  if (binary_size) {
    if (*binary_size != expected_bytes) {
      return Error(ErrorCode::kInvalidArgument,
                   "{}: binary_data_size is {} bytes, but shape {} of {} needs {} bytes ({} elements)", what,
                   *binary_size, ShapeToString(shape), datatype_name, expected_bytes, NumElements(shape));
    }
    MISSILE_ASSIGN_OR_RETURN(std::string_view bytes, binary.Take(*binary_size, what));
    return NamedTensor{name, binary.MakeTensor(*datatype, std::move(shape), bytes)};
  }
  // Count before allocating: a short "data" array with a huge shape must not allocate the huge tensor.
  MISSILE_ASSIGN_OR_RETURN(int64_t count, CountJsonElements(object.at("data"), what));
  if (count != NumElements(shape)) {
    return Error(ErrorCode::kInvalidArgument, "{}: 'data' has {} elements, but shape {} needs {}", what,
                 count, ShapeToString(shape), NumElements(shape));
  }
  Tensor tensor(*datatype, shape);
  MISSILE_RETURN_IF_ERROR(FillTensorFromJson(object.at("data"), tensor, what));
  return NamedTensor{name, std::move(tensor)};
}

// Splits a body into its JSON header and binary section.
Result<std::pair<std::string_view, std::string_view>> SplitBody(std::string_view body,
                                                                std::optional<uint64_t> json_length) {
  if (!json_length) return std::make_pair(body, std::string_view());
  if (*json_length > body.size()) {
    return Error(ErrorCode::kInvalidArgument, "{} is {} bytes, but the body has only {}",
                 kInferenceHeaderContentLength, *json_length, body.size());
  }
  return std::make_pair(body.substr(0, *json_length), body.substr(*json_length));
}

Status CheckBinaryConsumed(const BinaryCursor& binary) {
  if (binary.remaining() != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "{} unexpected bytes after the binary tensors (binary_data_size values do not add up to the "
                 "body)",
                 binary.remaining());
  }
  return Status::Ok();
}

}  // namespace

Result<InferRequest> DecodeInferRequest(std::string_view body, std::optional<uint64_t> json_length,
                                        const std::shared_ptr<std::byte[]>& body_owner,
                                        const SharedMemoryReader& shared_memory) {
  MISSILE_ASSIGN_OR_RETURN(auto parts, SplitBody(body, json_length));
  MISSILE_ASSIGN_OR_RETURN(json document, ParseJson(parts.first, "the request body"));
  MISSILE_RETURN_IF_ERROR(CheckObject(document, "request", {"id", "parameters", "inputs", "outputs"}));
  InferRequest request;
  MISSILE_ASSIGN_OR_RETURN(auto id, ReadString(document, "request", "id"));
  request.id = id.value_or("");
  if (auto params = document.find("parameters"); params != document.end()) {
    if (!params->is_object())
      return Error(ErrorCode::kInvalidArgument, "request.parameters: must be an object");
    MISSILE_ASSIGN_OR_RETURN(auto binary_output,
                             ReadBool(*params, "request.parameters", "binary_data_output"));
    request.binary_data_output = binary_output.value_or(false);
  }

  auto inputs = document.find("inputs");
  if (inputs == document.end() || !inputs->is_array() || inputs->empty()) {
    return Error(ErrorCode::kInvalidArgument, "request.inputs: required, a non-empty array of input tensors");
  }
  BinaryCursor binary(parts.second, body_owner);
  std::set<std::string> seen;
  for (size_t i = 0; i < inputs->size(); ++i) {
    MISSILE_ASSIGN_OR_RETURN(NamedTensor input, DecodeTensor((*inputs)[i], "inputs", i, binary, shared_memory,
                                                             request.shared_memory_inputs));
    if (!seen.insert(input.name).second) {
      return Error(ErrorCode::kInvalidArgument, "input '{}' appears twice", input.name);
    }
    request.inputs.push_back(std::move(input));
  }
  MISSILE_RETURN_IF_ERROR(CheckBinaryConsumed(binary));

  if (auto outputs = document.find("outputs"); outputs != document.end()) {
    if (!outputs->is_array()) return Error(ErrorCode::kInvalidArgument, "request.outputs: must be an array");
    std::set<std::string> requested;
    for (size_t i = 0; i < outputs->size(); ++i) {
      const std::string where = JsonPath("outputs", i);
      const json& output = (*outputs)[i];
      MISSILE_RETURN_IF_ERROR(CheckObject(output, where, {"name", "parameters"}));
      MISSILE_ASSIGN_OR_RETURN(std::string name, RequireString(output, where, "name"));
      RequestedOutput out{name, std::nullopt, std::nullopt};
      if (auto params = output.find("parameters"); params != output.end()) {
        if (!params->is_object())
          return Error(ErrorCode::kInvalidArgument, "{}.parameters: must be an object", where);
        MISSILE_ASSIGN_OR_RETURN(out.binary, ReadBool(*params, where + ".parameters", "binary_data"));
        if (params->contains("classification")) {
          return Error(ErrorCode::kUnimplemented,
                       "output '{}': the classification extension is not supported", name);
        }
        const std::string what = fmt::format("output '{}'", name);
        MISSILE_ASSIGN_OR_RETURN(out.shared_memory, ReadSharedMemoryRef(*params, what));
        if (out.shared_memory && out.binary.value_or(false)) {
          return Error(ErrorCode::kInvalidArgument,
                       "{}: asks for binary_data and for shared_memory_region; give one", what);
        }
      }
      if (!requested.insert(out.name).second) {
        return Error(ErrorCode::kInvalidArgument, "output '{}' is requested twice", out.name);
      }
      request.outputs.push_back(std::move(out));
    }
  }
  return request;
}

namespace {

json TensorHeader(const NamedTensor& tensor) {
  return json{{"name", tensor.name},
              {"datatype", OipDatatypeName(tensor.tensor.dtype())},
              {"shape", tensor.tensor.shape()}};
}

json SharedMemoryParameters(const SharedMemoryRef& where) {
  json params{{"shared_memory_region", where.region}, {"shared_memory_byte_size", where.byte_size}};
  if (where.offset != 0) params["shared_memory_offset"] = where.offset;
  return params;
}

// Appends the JSON header and the binary tensors into one body.
EncodedBody Assemble(const json& header, const std::vector<const Tensor*>& binary_tensors) {
  EncodedBody body;
  body.bytes = header.dump();
  if (binary_tensors.empty()) return body;
  body.json_length = body.bytes.size();
  size_t total = body.bytes.size();
  for (const Tensor* tensor : binary_tensors) total += tensor->nbytes();
  body.bytes.reserve(total);
  for (const Tensor* tensor : binary_tensors) {
    body.bytes.append(static_cast<const char*>(tensor->raw_data()), tensor->nbytes());
  }
  return body;
}

}  // namespace

EncodedBody EncodeInferResponse(const InferResponse& response, const std::vector<bool>& binary) {
  json header{{"model_name", response.model_name}, {"model_version", response.model_version}};
  if (!response.id.empty()) header["id"] = response.id;
  json outputs = json::array();
  std::vector<const Tensor*> binary_tensors;
  for (size_t i = 0; i < response.outputs.size(); ++i) {
    const NamedTensor& output = response.outputs[i];
    json entry = TensorHeader(output);
    if (auto region = response.shared_memory_outputs.find(output.name);
        region != response.shared_memory_outputs.end()) {
      entry["parameters"] = SharedMemoryParameters(region->second);
    } else if (i < binary.size() && binary[i]) {
      entry["parameters"] = {{"binary_data_size", output.tensor.nbytes()}};
      binary_tensors.push_back(&output.tensor);
    } else {
      entry["data"] = TensorToJson(output.tensor);
    }
    outputs.push_back(std::move(entry));
  }
  header["outputs"] = std::move(outputs);
  return Assemble(header, binary_tensors);
}

EncodedBody EncodeInferRequest(const InferRequest& request, bool binary_inputs, bool binary_outputs) {
  json header = json::object();
  if (!request.id.empty()) header["id"] = request.id;
  json inputs = json::array();
  std::vector<const Tensor*> binary_tensors;
  for (const NamedTensor& input : request.inputs) {
    json entry = TensorHeader(input);
    if (auto region = request.shared_memory_inputs.find(input.name);
        region != request.shared_memory_inputs.end()) {
      entry["parameters"] = SharedMemoryParameters(region->second);
    } else if (binary_inputs) {
      entry["parameters"] = {{"binary_data_size", input.tensor.nbytes()}};
      binary_tensors.push_back(&input.tensor);
    } else {
      entry["data"] = TensorToJson(input.tensor);
    }
    inputs.push_back(std::move(entry));
  }
  header["inputs"] = std::move(inputs);
  if (!request.outputs.empty()) {
    json outputs = json::array();
    for (const RequestedOutput& output : request.outputs) {
      outputs.push_back({{"name", output.name},
                         {"parameters", output.shared_memory ? SharedMemoryParameters(*output.shared_memory)
                                                             : json{{"binary_data", binary_outputs}}}});
    }
    header["outputs"] = std::move(outputs);
  } else if (binary_outputs) {
    header["parameters"] = {{"binary_data_output", true}};
  }
  return Assemble(header, binary_tensors);
}

Result<InferResponse> DecodeInferResponse(std::string_view body, std::optional<uint64_t> json_length,
                                          const SharedMemoryReader& shared_memory) {
  MISSILE_ASSIGN_OR_RETURN(auto parts, SplitBody(body, json_length));
  MISSILE_ASSIGN_OR_RETURN(json document, ParseJson(parts.first, "the response body"));
  if (!document.is_object()) return Error(ErrorCode::kInvalidArgument, "the response is not a JSON object");
  if (auto error = document.find("error"); error != document.end()) {
    return Error(ErrorCode::kInvalidArgument, "the server answered with an error: {}",
                 error->is_string() ? error->get<std::string>() : ShortJson(*error));
  }
  MISSILE_RETURN_IF_ERROR(
      CheckObject(document, "response", {"model_name", "model_version", "id", "parameters", "outputs"}));
  InferResponse response;
  MISSILE_ASSIGN_OR_RETURN(std::string model, RequireString(document, "response", "model_name"));
  response.model_name = model;
  MISSILE_ASSIGN_OR_RETURN(auto version, ReadString(document, "response", "model_version"));
  response.model_version = version.value_or("");
  MISSILE_ASSIGN_OR_RETURN(auto id, ReadString(document, "response", "id"));
  response.id = id.value_or("");
  auto outputs = document.find("outputs");
  if (outputs == document.end() || !outputs->is_array()) {
    return Error(ErrorCode::kInvalidArgument, "response.outputs: required, an array");
  }
  BinaryCursor binary(parts.second);
  for (size_t i = 0; i < outputs->size(); ++i) {
    MISSILE_ASSIGN_OR_RETURN(NamedTensor output, DecodeTensor((*outputs)[i], "outputs", i, binary,
                                                              shared_memory, response.shared_memory_outputs));
    response.outputs.push_back(std::move(output));
  }
  MISSILE_RETURN_IF_ERROR(CheckBinaryConsumed(binary));
  return response;
}

}  // namespace missile::server
