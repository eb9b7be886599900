#include "server/infer_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "server/oip_datatype.h"

namespace missile::server {
namespace {

using nlohmann::json;

std::string Binary(const std::vector<float>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

void ExpectError(const Result<InferRequest>& request, ErrorCode code, const std::string& fragment) {
  ASSERT_FALSE(request.ok()) << "expected an error containing '" << fragment << "'";
  EXPECT_EQ(request.status().code(), code) << request.status().message();
  EXPECT_NE(request.status().message().find(fragment), std::string::npos)
      << "expected '" << fragment << "' in: " << request.status().message();
}

TEST(InferCodecTest, DecodesJsonTensorsFlatAndNested) {
  const std::string body = R"({"id": "r1",
    "inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2.5], [3, -4]]},
               {"name": "ids", "shape": [3], "datatype": "INT64", "data": [7, 0, 9007199254740993]},
               {"name": "mask", "shape": [2], "datatype": "BOOL", "data": [true, false]}],
    "outputs": [{"name": "y", "parameters": {"binary_data": true}}, {"name": "z"}]})";
  auto request = DecodeInferRequest(body, std::nullopt);
  ASSERT_TRUE(request.ok()) << request.status().message();
  EXPECT_EQ(request->id, "r1");
  ASSERT_EQ(request->inputs.size(), 3u);
  const Tensor& x = request->inputs[0].tensor;
  EXPECT_EQ(x.dtype(), DataType::kFloat32);
  EXPECT_EQ(x.shape(), (Shape{2, 2}));
  EXPECT_EQ(std::vector<float>(x.data<float>(), x.data<float>() + 4), (std::vector<float>{1, 2.5f, 3, -4}));
  EXPECT_EQ(request->inputs[1].tensor.data<int64_t>()[2], 9007199254740993);  // exact beyond 2^53
  EXPECT_TRUE(request->inputs[2].tensor.data<bool>()[0]);
  EXPECT_FALSE(request->inputs[2].tensor.data<bool>()[1]);
  ASSERT_EQ(request->outputs.size(), 2u);
  EXPECT_EQ(request->outputs[0].binary, true);
  EXPECT_FALSE(request->outputs[1].binary.has_value());
  EXPECT_FALSE(request->binary_data_output);
}

TEST(InferCodecTest, DecodesBinaryTensorsInHeaderOrder) {
  const std::string header = R"({"inputs": [
      {"name": "a", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 8}},
      {"name": "b", "shape": [1], "datatype": "FP32", "data": [5]},
      {"name": "c", "shape": [3], "datatype": "FP32", "parameters": {"binary_data_size": 12}}],
    "parameters": {"binary_data_output": true}})";
  const std::string body = header + Binary({1, 2}) + Binary({3, 4, 6});
  auto request = DecodeInferRequest(body, header.size());
  ASSERT_TRUE(request.ok()) << request.status().message();
  EXPECT_EQ(request->inputs[0].tensor.data<float>()[1], 2.0f);
  EXPECT_EQ(request->inputs[1].tensor.data<float>()[0], 5.0f);
  EXPECT_EQ(request->inputs[2].tensor.data<float>()[2], 6.0f);
  EXPECT_TRUE(request->binary_data_output);
}

TEST(InferCodecTest, BinaryTensorsOfASharedBodyAreUsedInPlaceWhenAligned) {
  const std::string header = R"({"inputs": [
      {"name": "a", "shape": [16], "datatype": "FP32", "parameters": {"binary_data_size": 64}},
      {"name": "b", "shape": [3], "datatype": "FP32", "parameters": {"binary_data_size": 12}},
      {"name": "c", "shape": [2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}]})";
  std::vector<float> a(16);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i);
  const std::string bytes = header + Binary(a) + Binary({1, 2, 3}) + Binary({7, 8});
  // The body placed as the server places it: the binary part (after the header) 64-byte aligned.
  const size_t shift = (64 - header.size() % 64) % 64;
  std::shared_ptr<std::byte[]> storage = AllocateHostBytes(bytes.size() + 64);
  std::shared_ptr<std::byte[]> body(storage, storage.get() + shift);
  std::memcpy(body.get(), bytes.data(), bytes.size());
  const std::string_view view(reinterpret_cast<const char*>(body.get()), bytes.size());

  auto request = DecodeInferRequest(view, header.size(), body);
  ASSERT_TRUE(request.ok()) << request.status().message();
  // "a" and "b" start on 64-byte boundaries: they are the body's bytes; "c" (64 + 12 bytes in) is a copy.
  EXPECT_EQ(request->inputs[0].tensor.raw_data(), body.get() + header.size());
  EXPECT_EQ(request->inputs[1].tensor.raw_data(), body.get() + header.size() + 64);
  EXPECT_NE(request->inputs[2].tensor.raw_data(), body.get() + header.size() + 76);
  EXPECT_EQ(request->inputs[0].tensor.data<float>()[15], 15.0f);
  EXPECT_EQ(request->inputs[1].tensor.data<float>()[2], 3.0f);
  EXPECT_EQ(request->inputs[2].tensor.data<float>()[1], 8.0f);
  // The tensors keep the body alive.
  const long holders = storage.use_count();
  EXPECT_GE(holders, 3);
  request = Error(ErrorCode::kInternal, "dropped");
  EXPECT_EQ(storage.use_count(), holders - 2);

  // Without an owner every binary tensor is copied.
  auto copied = DecodeInferRequest(view, header.size());
  ASSERT_TRUE(copied.ok());
  EXPECT_NE(copied->inputs[0].tensor.raw_data(), body.get() + header.size());
  EXPECT_EQ(copied->inputs[0].tensor.data<float>()[15], 15.0f);
}

TEST(InferCodecTest, RefusesMalformedRequestsNamingTheProblem) {
  ExpectError(DecodeInferRequest("{\"inputs\": [", std::nullopt), ErrorCode::kInvalidArgument,
              "not valid JSON");
  ExpectError(DecodeInferRequest("[]", std::nullopt), ErrorCode::kInvalidArgument, "expected an object");
  ExpectError(DecodeInferRequest(R"({"inputs": []})", std::nullopt), ErrorCode::kInvalidArgument,
              "request.inputs: required");
  ExpectError(DecodeInferRequest(R"({"inputs": [], "extra": 1})", std::nullopt), ErrorCode::kInvalidArgument,
              "unknown key 'extra'");
  ExpectError(DecodeInferRequest(
                  R"({"inputs": [{"name": "x", "shape": [2], "datatype": "FP33", "data": [1, 2]}]})", {}),
              ErrorCode::kInvalidArgument, "input 'x': unknown datatype 'FP33'");
  ExpectError(DecodeInferRequest(
                  R"({"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["a"]}]})", {}),
              ErrorCode::kUnimplemented, "BYTES");
  ExpectError(DecodeInferRequest(R"({"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32",
                                   "data": [1, 2, 3, 4, 5]}]})",
                                 {}),
              ErrorCode::kInvalidArgument, "input 'x': 'data' has 5 elements, but shape [2,3] needs 6");
  ExpectError(DecodeInferRequest(
                  R"({"inputs": [{"name": "x", "shape": [2], "datatype": "INT32", "data": [1, 2.5]}]})", {}),
              ErrorCode::kInvalidArgument, "element 1 (2.5) is not a valid INT32 value");
  ExpectError(DecodeInferRequest(
                  R"({"inputs": [{"name": "x", "shape": [1], "datatype": "INT8", "data": [300]}]})", {}),
              ErrorCode::kInvalidArgument, "is not a valid INT8 value");
  ExpectError(DecodeInferRequest(
                  R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": ["1"]}]})", {}),
              ErrorCode::kInvalidArgument, "is not a valid FP32 value");
  ExpectError(
      DecodeInferRequest(R"({"inputs": [{"name": "x", "shape": [-1], "datatype": "FP32", "data": []}]})", {}),
      ErrorCode::kInvalidArgument, "integers >= 0");
  ExpectError(DecodeInferRequest(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32"}]})", {}),
              ErrorCode::kInvalidArgument, "neither 'data' nor parameters.binary_data_size");
  ExpectError(DecodeInferRequest(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]},
                                              {"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]})",
                                 {}),
              ErrorCode::kInvalidArgument, "input 'x' appears twice");
  ExpectError(
      DecodeInferRequest(R"({"inputs": [{"name": "x", "shape": [4294967296, 4294967296], "datatype": "FP32",
                                   "data": [1]}]})",
                         {}),
      ErrorCode::kInvalidArgument, "too large");
  // Deeply nested data is refused without recursing through it.
  const std::string deep = std::string(100000, '[') + "1" + std::string(100000, ']');
  ExpectError(
      DecodeInferRequest(
          R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": )" + deep + "}]}", {}),
      ErrorCode::kInvalidArgument, "nested deeper than 32 levels");
  ExpectError(DecodeInferRequest(
                  R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [{"a": 1}]}]})", {}),
              ErrorCode::kInvalidArgument, "element 0 (an object) is not a valid FP32 value");
}

TEST(InferCodecTest, RefusesBinaryDataThatDoesNotAddUp) {
  const std::string header =
      R"({"inputs": [{"name": "x", "shape": [4], "datatype": "FP32", "parameters": {"binary_data_size": 16}}]})";
  // Truncated: 12 of 16 bytes.
  ExpectError(DecodeInferRequest(header + Binary({1, 2, 3}), header.size()), ErrorCode::kInvalidArgument,
              "input 'x': binary data truncated: binary_data_size is 16 bytes, but only 12");
  // Stray bytes after the last tensor.
  ExpectError(DecodeInferRequest(header + Binary({1, 2, 3, 4, 5}), header.size()),
              ErrorCode::kInvalidArgument, "4 unexpected bytes after the binary tensors");
  // A size that disagrees with the shape.
  const std::string wrong_size =
      R"({"inputs": [{"name": "x", "shape": [4], "datatype": "FP32", "parameters": {"binary_data_size": 12}}]})";
  ExpectError(DecodeInferRequest(wrong_size + Binary({1, 2, 3}), wrong_size.size()),
              ErrorCode::kInvalidArgument,
              "binary_data_size is 12 bytes, but shape [4] of FP32 needs 16 bytes");
  // A header length past the body.
  ExpectError(DecodeInferRequest(header, header.size() + 1), ErrorCode::kInvalidArgument,
              "Inference-Header-Content-Length is");
  // Binary data announced but no header length: the bytes are not there.
  ExpectError(DecodeInferRequest(header, std::nullopt), ErrorCode::kInvalidArgument, "binary data truncated");
  EXPECT_FALSE(ParseInferenceHeaderLength("12x").ok());
  EXPECT_FALSE(ParseInferenceHeaderLength("").ok());
  EXPECT_EQ(*ParseInferenceHeaderLength("42"), 42u);
}

TEST(InferCodecTest, ResponseRoundTripsInJsonAndBinary) {
  InferResponse response{"m", "1", "abc", {}, {}};
  response.outputs.push_back({"y", Tensor::FromVector<float>({2}, std::vector<float>{0.1f, -3.75f})});
  response.outputs.push_back({"k", Tensor::FromVector<int64_t>({1}, std::vector<int64_t>{-7})});
  for (bool binary : {false, true}) {
    EncodedBody body = EncodeInferResponse(response, {binary, false});
    EXPECT_EQ(body.json_length.has_value(), binary);
    auto decoded = DecodeInferResponse(body.bytes, body.json_length);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(decoded->model_name, "m");
    EXPECT_EQ(decoded->id, "abc");
    ASSERT_EQ(decoded->outputs.size(), 2u);
    // Floats survive JSON exactly: they are written with enough digits to read back the same float.
    EXPECT_EQ(std::memcmp(decoded->outputs[0].tensor.raw_data(), response.outputs[0].tensor.raw_data(), 8),
              0);
    EXPECT_EQ(decoded->outputs[1].tensor.data<int64_t>()[0], -7);
  }
  // The JSON part of a binary response says where each binary tensor is.
  EncodedBody body = EncodeInferResponse(response, {true, false});
  json header = json::parse(body.bytes.substr(0, *body.json_length));
  EXPECT_EQ(header["outputs"][0]["parameters"]["binary_data_size"], 8);
  EXPECT_FALSE(header["outputs"][0].contains("data"));
  EXPECT_EQ(header["outputs"][1]["data"], json::array({-7}));
  EXPECT_EQ(body.bytes.size(), *body.json_length + 8);
}

TEST(InferCodecTest, ClientRequestEncodingIsWhatTheServerDecodes) {
  InferRequest request;
  request.id = "q";
  request.inputs.push_back({"x", Tensor::FromVector<float>({1, 3}, std::vector<float>{1, 2, 3})});
  request.outputs.push_back({"y", std::nullopt, std::nullopt});
  for (bool binary : {false, true}) {
    EncodedBody body = EncodeInferRequest(request, binary, binary);
    auto decoded = DecodeInferRequest(body.bytes, body.json_length);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(decoded->id, "q");
    EXPECT_EQ(decoded->inputs[0].tensor.shape(), (Shape{1, 3}));
    EXPECT_EQ(decoded->inputs[0].tensor.data<float>()[2], 3.0f);
    EXPECT_EQ(decoded->outputs[0].binary, binary);
  }
}

TEST(InferCodecTest, SharedMemoryReferencesRoundTripThroughTheReader) {
  InferRequest request;
  request.inputs.push_back({"x", Tensor::FromVector<float>({1, 3}, std::vector<float>{1, 2, 3})});
  request.shared_memory_inputs["x"] = {"r", 128, 12};
  request.outputs.push_back({"y", std::nullopt, SharedMemoryRef{"r", 256, 64}});
  const EncodedBody body = EncodeInferRequest(request, true, true);
  EXPECT_FALSE(body.json_length.has_value()) << "nothing binary: the tensor is in the region";
  const json header = json::parse(body.bytes);
  EXPECT_EQ(
      header["inputs"][0]["parameters"],
      (json{{"shared_memory_region", "r"}, {"shared_memory_offset", 128}, {"shared_memory_byte_size", 12}}));
  EXPECT_FALSE(header["inputs"][0].contains("data"));

  std::vector<SharedMemoryRef> reads;
  const SharedMemoryReader reader = [&](const SharedMemoryRef& where, DataType dtype, const Shape& shape) {
    reads.push_back(where);
    return Result<Tensor>(Tensor::FromVector<float>(shape, std::vector<float>{7, 8, 9}));
  };
  auto decoded = DecodeInferRequest(body.bytes, body.json_length, nullptr, reader);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].region, "r");
  EXPECT_EQ(reads[0].offset, 128u);
  EXPECT_EQ(decoded->inputs[0].tensor.data<float>()[0], 7.0f);
  EXPECT_EQ(decoded->shared_memory_inputs.at("x").byte_size, 12u);
  ASSERT_TRUE(decoded->outputs[0].shared_memory.has_value());
  EXPECT_EQ(decoded->outputs[0].shared_memory->offset, 256u);

  // Without a reader (the extension off) the same request is refused, naming the region.
  ExpectError(DecodeInferRequest(body.bytes, body.json_length), ErrorCode::kInvalidArgument,
              "shared-memory region 'r', but the system shared-memory extension is not enabled");
  // A reader's error names the input.
  const SharedMemoryReader failing = [](const SharedMemoryRef&, DataType, const Shape&) -> Result<Tensor> {
    return Error(ErrorCode::kInvalidArgument, "no shared-memory region 'r' is registered");
  };
  ExpectError(DecodeInferRequest(body.bytes, body.json_length, nullptr, failing), ErrorCode::kInvalidArgument,
              "input 'x'");

  // A response names the region its outputs were written to, and the client reads them back through its own.
  InferResponse response{
      "m", "1", "", {{"y", Tensor::FromVector<float>({1, 2}, std::vector<float>{4, 5})}}, {}};
  response.shared_memory_outputs["y"] = {"r", 256, 8};
  const EncodedBody encoded = EncodeInferResponse(response, {true});
  EXPECT_FALSE(encoded.json_length.has_value());
  const json response_header = json::parse(encoded.bytes);
  EXPECT_EQ(response_header["outputs"][0]["parameters"]["shared_memory_byte_size"], 8);
  auto client_side = DecodeInferResponse(
      encoded.bytes, encoded.json_length, [](const SharedMemoryRef&, DataType, const Shape& shape) {
        return Result<Tensor>(Tensor::FromVector<float>(shape, std::vector<float>{4, 5}));
      });
  ASSERT_TRUE(client_side.ok()) << client_side.status().message();
  EXPECT_EQ(client_side->shared_memory_outputs.at("y").offset, 256u);
}

TEST(InferCodecTest, RefusesInconsistentSharedMemoryParameters) {
  const auto reader = [](const SharedMemoryRef&, DataType dtype, const Shape& shape) {
    return Result<Tensor>(Tensor(dtype, shape));
  };
  const auto request = [&](const std::string& params, const std::string& extra = "") {
    return DecodeInferRequest(
        R"({"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "parameters": )" + params + "}" +
            extra + "]}",
        std::nullopt, nullptr, reader);
  };
  EXPECT_TRUE(request(R"({"shared_memory_region": "r", "shared_memory_byte_size": 8})").ok());
  ExpectError(request(R"({"shared_memory_region": "r"})"), ErrorCode::kInvalidArgument,
              "must be given together");
  ExpectError(request(R"({"shared_memory_byte_size": 8})"), ErrorCode::kInvalidArgument,
              "must be given together");
  ExpectError(request(R"({"shared_memory_region": "r", "shared_memory_byte_size": 12})"),
              ErrorCode::kInvalidArgument,
              "shared_memory_byte_size is 12 bytes, but shape [2] of FP32 needs 8");
  ExpectError(
      request(R"({"shared_memory_region": "r", "shared_memory_byte_size": 8, "shared_memory_offset": -1})"),
      ErrorCode::kInvalidArgument, ">= 0");
  ExpectError(
      request(R"({"shared_memory_region": "r", "shared_memory_byte_size": 8, "binary_data_size": 8})"),
      ErrorCode::kInvalidArgument, "one way");
  ExpectError(DecodeInferRequest(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}],
      "outputs": [{"name": "y", "parameters": {"binary_data": true, "shared_memory_region": "r",
                                               "shared_memory_byte_size": 4}}]})",
                                 std::nullopt, nullptr, reader),
              ErrorCode::kInvalidArgument, "asks for binary_data and for shared_memory_region");
}

TEST(InferCodecTest, DatatypeNamesRoundTrip) {
  for (DataType type : {DataType::kBool, DataType::kUInt8, DataType::kInt8, DataType::kInt32,
                        DataType::kInt64, DataType::kFloat16, DataType::kFloat32, DataType::kFloat64}) {
    EXPECT_EQ(*ParseOipDatatype(OipDatatypeName(type)), type);
  }
}

}  // namespace
}  // namespace missile::server
