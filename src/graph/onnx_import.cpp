#include "graph/onnx_import.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "core/file_io.h"

namespace missile::graph {
namespace {

// The opsets PyTorch exports and the operator semantics implemented here (ONNX versions 13..17).
constexpr int kMinOpset = 13;
constexpr int kMaxOpset = 17;

Result<DataType> FromOnnxType(int32_t elem_type, const std::string& what) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT:
      return DataType::kFloat32;
    case onnx::TensorProto::FLOAT16:
      return DataType::kFloat16;
    case onnx::TensorProto::DOUBLE:
      return DataType::kFloat64;
    case onnx::TensorProto::INT64:
      return DataType::kInt64;
    case onnx::TensorProto::INT32:
      return DataType::kInt32;
    case onnx::TensorProto::INT8:
      return DataType::kInt8;
    case onnx::TensorProto::UINT8:
      return DataType::kUInt8;
    case onnx::TensorProto::BOOL:
      return DataType::kBool;
    default: {
      const auto* descriptor = onnx::TensorProto::DataType_descriptor();
      const auto* value = descriptor->FindValueByNumber(elem_type);
      return Error(ErrorCode::kUnimplemented, "{}: element type {} is not supported", what,
                   value != nullptr ? value->name() : std::to_string(elem_type));
    }
  }
}

// Reads an external-data tensor's bytes from the file next to the model (models over protobuf's 2 GB limit).
Result<std::string> ReadExternalData(const onnx::TensorProto& proto, const std::string& base_dir) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& entry : proto.external_data()) {
    if (entry.key() == "location") location = entry.value();
    if (entry.key() == "offset") offset = std::stoll(entry.value());
    if (entry.key() == "length") length = std::stoll(entry.value());
  }
  const std::filesystem::path relative(location);
  if (location.empty() || relative.is_absolute() || location.find("..") != std::string::npos) {
    return Error(ErrorCode::kInvalidModel, "tensor '{}': invalid external data location '{}'", proto.name(),
                 location);
  }
  const std::filesystem::path path = std::filesystem::path(base_dir) / relative;
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return Error(ErrorCode::kNotFound, "tensor '{}': cannot open external data file '{}'", proto.name(),
                 path.string());
  file.seekg(0, std::ios::end);
  const int64_t size = file.tellg();
  if (length < 0) length = size - offset;
  if (offset < 0 || offset + length > size) {
    return Error(ErrorCode::kInvalidModel, "tensor '{}': external data [{}, {}) lies outside '{}' ({} bytes)",
                 proto.name(), offset, offset + length, path.string(), size);
  }
  std::string bytes(static_cast<size_t>(length), '\0');
  file.seekg(offset);
  file.read(bytes.data(), length);
  return bytes;
}

template <typename T, typename Field>
void CopyTypedField(const Field& field, Tensor& tensor) {
  T* out = tensor.data<T>();
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<T>(field.Get(i));
}

Result<Tensor> FromOnnxTensor(const onnx::TensorProto& proto, const std::string& base_dir) {
  const std::string what = fmt::format("tensor '{}'", proto.name());
  MISSILE_ASSIGN_OR_RETURN(DataType dtype, FromOnnxType(proto.data_type(), what));
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape) {
    if (d < 0)
      return Error(ErrorCode::kInvalidModel, "{}: negative dimension in {}", what, ShapeToString(shape));
  }
  Tensor tensor(dtype, shape);
  const auto count = static_cast<size_t>(tensor.num_elements());

  std::string external;
  const std::string* raw = nullptr;
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    MISSILE_ASSIGN_OR_RETURN(external, ReadExternalData(proto, base_dir));
    raw = &external;
  } else if (proto.has_raw_data()) {
    raw = &proto.raw_data();
  }
  if (raw != nullptr) {
    if (raw->size() != tensor.nbytes()) {
      return Error(ErrorCode::kInvalidModel, "{}: holds {} bytes but shape {} of {} needs {}", what,
                   raw->size(), ShapeToString(shape), DataTypeName(dtype), tensor.nbytes());
    }
    if (!raw->empty()) std::memcpy(tensor.raw_data(), raw->data(), raw->size());
    return tensor;
  }

  // Typed fields: ONNX stores float16/int8/uint8/bool/int32 in int32_data, float in float_data, etc.
  size_t stored = 0;
  switch (dtype) {
    case DataType::kFloat32:
      stored = proto.float_data_size();
      break;
    case DataType::kFloat64:
      stored = proto.double_data_size();
      break;
    case DataType::kInt64:
      stored = proto.int64_data_size();
      break;
    default:
      stored = proto.int32_data_size();
      break;
  }
  if (stored != count) {
    return Error(ErrorCode::kInvalidModel, "{}: holds {} values but shape {} needs {}", what, stored,
                 ShapeToString(shape), count);
  }
  switch (dtype) {
    case DataType::kFloat32:
      CopyTypedField<float>(proto.float_data(), tensor);
      break;
    case DataType::kFloat64:
      CopyTypedField<double>(proto.double_data(), tensor);
      break;
    case DataType::kInt64:
      CopyTypedField<int64_t>(proto.int64_data(), tensor);
      break;
    case DataType::kInt32:
      CopyTypedField<int32_t>(proto.int32_data(), tensor);
      break;
    case DataType::kInt8:
      CopyTypedField<int8_t>(proto.int32_data(), tensor);
      break;
    case DataType::kUInt8:
      CopyTypedField<uint8_t>(proto.int32_data(), tensor);
      break;
    case DataType::kBool:
      CopyTypedField<bool>(proto.int32_data(), tensor);
      break;
    case DataType::kFloat16: {
      auto* out = tensor.data<Float16>();
      for (size_t i = 0; i < count; ++i) out[i] = Float16{static_cast<uint16_t>(proto.int32_data(int(i)))};
      break;
    }
  }
  return tensor;
}

Result<AttributeValue> FromOnnxAttribute(const onnx::AttributeProto& attr, const std::string& base_dir) {
  switch (attr.type()) {
    case onnx::AttributeProto::INT:
      return AttributeValue(attr.i());
    case onnx::AttributeProto::FLOAT:
      return AttributeValue(attr.f());
    case onnx::AttributeProto::STRING:
      return AttributeValue(attr.s());
    case onnx::AttributeProto::INTS:
      return AttributeValue(std::vector<int64_t>(attr.ints().begin(), attr.ints().end()));
    case onnx::AttributeProto::FLOATS:
      return AttributeValue(std::vector<float>(attr.floats().begin(), attr.floats().end()));
    case onnx::AttributeProto::STRINGS:
      return AttributeValue(std::vector<std::string>(attr.strings().begin(), attr.strings().end()));
    case onnx::AttributeProto::TENSOR: {
      MISSILE_ASSIGN_OR_RETURN(Tensor t, FromOnnxTensor(attr.t(), base_dir));
      return AttributeValue(std::move(t));
    }
    default:
      return Error(ErrorCode::kUnimplemented,
                   "attribute '{}' has an unsupported kind (graphs, sparse tensors and "
                   "type protos are not supported)",
                   attr.name());
  }
}

Result<InputSignature> FromValueInfo(const onnx::ValueInfoProto& info) {
  const std::string what = fmt::format("graph input '{}'", info.name());
  if (!info.type().has_tensor_type()) {
    return Error(ErrorCode::kUnimplemented, "{}: only tensor inputs are supported", what);
  }
  const auto& tensor_type = info.type().tensor_type();
  InputSignature signature;
  MISSILE_ASSIGN_OR_RETURN(signature.dtype, FromOnnxType(tensor_type.elem_type(), what));
  if (!tensor_type.has_shape()) {
    return Error(ErrorCode::kUnimplemented, "{}: inputs of unknown rank are not supported", what);
  }
  for (const auto& dim : tensor_type.shape().dim()) {
    if (dim.has_dim_value()) {
      signature.dims.push_back(Dim{.value = dim.dim_value(), .symbol = ""});
    } else {
      signature.dims.push_back(Dim{.value = -1, .symbol = dim.dim_param()});
    }
  }
  return signature;
}

Status CheckOpsets(const onnx::ModelProto& model, Graph& graph) {
  for (const auto& opset : model.opset_import()) {
    if (opset.domain().empty() || opset.domain() == "ai.onnx") {
      graph.set_opset(static_cast<int>(opset.version()));
    }
  }
  if (graph.opset() == 0) return Error(ErrorCode::kInvalidModel, "the model imports no default-domain opset");
  if (graph.opset() < kMinOpset || graph.opset() > kMaxOpset) {
    return Error(ErrorCode::kUnimplemented,
                 "opset {} is not supported (supported: {} to {}, as PyTorch exports)", graph.opset(),
                 kMinOpset, kMaxOpset);
  }
  return Status::Ok();
}

Result<Graph> BuildGraph(const onnx::ModelProto& model, const std::string& base_dir) {
  Graph graph;
  MISSILE_RETURN_IF_ERROR(CheckOpsets(model, graph));
  const onnx::GraphProto& proto = model.graph();
  std::unordered_map<std::string, ValueId> by_name;
  auto value_named = [&](const std::string& name) {
    auto [it, inserted] = by_name.try_emplace(name, kNoValue);
    if (inserted) it->second = graph.AddValue(name);
    return it->second;
  };

  for (const auto& init : proto.initializer()) {
    MISSILE_ASSIGN_OR_RETURN(Tensor tensor, FromOnnxTensor(init, base_dir));
    const ValueId id = value_named(init.name());
    graph.value(id).spec = TensorSpec{tensor.dtype(), tensor.shape()};
    graph.value(id).constant = std::move(tensor);
  }
  for (const auto& input : proto.input()) {
    const ValueId id = value_named(input.name());
    if (graph.value(id).constant) continue;  // old exporters list initializers as inputs too
    MISSILE_ASSIGN_OR_RETURN(InputSignature signature, FromValueInfo(input));
    graph.inputs().push_back(id);
    graph.input_signatures().push_back(std::move(signature));
  }
  for (const auto& node_proto : proto.node()) {
    Node node;
    node.name = node_proto.name().empty() ? fmt::format("#{}", graph.nodes().size()) : node_proto.name();
    node.op_type = node_proto.op_type();
    node.domain = node_proto.domain() == "ai.onnx" ? "" : node_proto.domain();
    for (const auto& in : node_proto.input()) node.inputs.push_back(in.empty() ? kNoValue : value_named(in));
    for (const auto& out : node_proto.output())
      node.outputs.push_back(out.empty() ? kNoValue : value_named(out));
    for (const auto& attr : node_proto.attribute()) {
      auto value = FromOnnxAttribute(attr, base_dir);
      if (!value.ok()) return value.status().WithContext(node.Describe());
      node.attributes.Set(attr.name(), std::move(value).value());
    }
    graph.nodes().push_back(std::move(node));
  }
  for (const auto& output : proto.output()) {
    auto it = by_name.find(output.name());
    if (it == by_name.end()) {
      return Error(ErrorCode::kInvalidModel, "graph output '{}' is never produced", output.name());
    }
    graph.outputs().push_back(it->second);
    graph.output_names().push_back(output.name());
  }
  if (graph.outputs().empty()) return Error(ErrorCode::kInvalidModel, "the graph has no outputs");
  MISSILE_RETURN_IF_ERROR(graph.Finalize());
  return graph;
}

}  // namespace

Result<Graph> ImportOnnxBytes(std::string_view bytes, const std::string& base_dir) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error(ErrorCode::kInvalidModel, "not a valid ONNX ModelProto (truncated or corrupt protobuf)");
  }
  if (!model.has_graph()) return Error(ErrorCode::kInvalidModel, "the file holds no graph");
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    return Error(ErrorCode::kInvalidModel, "ONNX checker: {}", message);
  }
  return BuildGraph(model, base_dir);
}

Result<Graph> ImportOnnxFile(const std::string& path) {
  MISSILE_ASSIGN_OR_RETURN(const std::string bytes, ReadFileBytes(path, "model"));
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  auto graph = ImportOnnxBytes(bytes, base_dir);
  if (!graph.ok()) return graph.status().WithContext(fmt::format("model '{}'", path));
  return graph;
}

}  // namespace missile::graph
