// The Open Inference Protocol's inference request and response bodies, in JSON and with the binary tensor
// extension: a JSON header of Inference-Header-Content-Length bytes, then each binary tensor's raw bytes
// (row-major, little-endian) in the order the header lists them with parameters.binary_data_size.
//
// Both directions of both messages live here, so the server and the load generator speak the same protocol
// through one implementation. Pure: bytes in, values out.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace missile::server {

// The HTTP header that announces the binary extension.
inline constexpr const char* kInferenceHeaderContentLength = "Inference-Header-Content-Length";

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct RequestedOutput {
  std::string name;
  std::optional<bool> binary;  // parameters.binary_data; unset: the request's binary_data_output
};

struct InferRequest {
  std::string id;
  std::vector<NamedTensor> inputs;       // in request order, names unique
  std::vector<RequestedOutput> outputs;  // empty: every output of the model
  bool binary_data_output = false;       // parameters.binary_data_output
};

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<NamedTensor> outputs;
};

// An encoded body; json_length is set when binary tensors follow the JSON (the value of the
// Inference-Header-Content-Length header).
struct EncodedBody {
  std::string bytes;
  std::optional<size_t> json_length;
};

// Parses the Inference-Header-Content-Length header's value.
Result<uint64_t> ParseInferenceHeaderLength(std::string_view value);

// Decodes a request body. `json_length` is the header's value when it was sent. Any structural problem
// (malformed JSON, a missing or mistyped field, an unknown datatype, element or byte counts that disagree
// with the shape, binary data cut short or followed by stray bytes) is kInvalidArgument naming the input.
// `body_owner`, when given, points at the body's first byte and keeps the body alive: binary tensors that
// start 64-byte aligned in it then refer to it in place (no copy of a 602 KB image), holding it as long as
// they live.
Result<InferRequest> DecodeInferRequest(std::string_view body, std::optional<uint64_t> json_length,
                                        const std::shared_ptr<std::byte[]>& body_owner = nullptr);

// Encodes a response; outputs whose flag is set go binary. `binary[i]` pairs with response.outputs[i].
EncodedBody EncodeInferResponse(const InferResponse& response, const std::vector<bool>& binary);

// The client side: a request with every input binary (or all JSON), asking for the named outputs binary (or
// JSON); and the response decoder.
EncodedBody EncodeInferRequest(const InferRequest& request, bool binary_inputs, bool binary_outputs);
Result<InferResponse> DecodeInferResponse(std::string_view body, std::optional<uint64_t> json_length);

}  // namespace missile::server
