// The Open Inference Protocol's inference request and response bodies, in JSON and with the binary tensor
// extension: a JSON header of Inference-Header-Content-Length bytes, then each binary tensor's raw bytes
// (row-major, little-endian) in the order the header lists them with parameters.binary_data_size.
//
// The system shared-memory extension: a tensor's parameters name a registered region
// (shared_memory_region, shared_memory_byte_size, optional shared_memory_offset) instead of carrying data.
//
// Both directions of both messages live here, so the server and the load generator speak the same protocol
// through one implementation. Pure: bytes in, values out.
#pragma once

#include <functional>
#include <map>
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

// Where a tensor lies in a registered shared-memory region: bytes [offset, offset + byte_size) of it.
struct SharedMemoryRef {
  std::string region;
  uint64_t offset = 0;
  uint64_t byte_size = 0;
};

// Turns an input placed in shared memory into a tensor of `dtype` and `shape` (byte_size is checked against
// them already): the server's reads its registered regions (shared_memory_registry.h). Without one, inputs
// in shared memory are refused.
using SharedMemoryReader =
    std::function<Result<Tensor>(const SharedMemoryRef& where, DataType dtype, const Shape& shape)>;

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// Tensors that travel through shared memory rather than in the body, by name: a request's inputs (the client
// encodes these as region references; the server's decoder reports where it read them) or a response's
// outputs (where the server wrote them; their tensors hold what it wrote).
using SharedMemoryPlacement = std::map<std::string, SharedMemoryRef>;

struct RequestedOutput {
  std::string name;
  std::optional<bool> binary;  // parameters.binary_data; unset: the request's binary_data_output
  std::optional<SharedMemoryRef> shared_memory;  // write it here instead of into the response body
};

struct InferRequest {
  std::string id;
  std::vector<NamedTensor> inputs;       // in request order, names unique
  std::vector<RequestedOutput> outputs;  // empty: every output of the model
  bool binary_data_output = false;       // parameters.binary_data_output
  SharedMemoryPlacement shared_memory_inputs;
};

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<NamedTensor> outputs;
  SharedMemoryPlacement shared_memory_outputs;
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
// `shared_memory` resolves inputs given through shared memory.
Result<InferRequest> DecodeInferRequest(std::string_view body, std::optional<uint64_t> json_length,
                                        const std::shared_ptr<std::byte[]>& body_owner = nullptr,
                                        const SharedMemoryReader& shared_memory = nullptr);

// Encodes a response; outputs whose flag is set go binary, outputs in shared_memory_outputs are named by
// their region and byte size only. `binary[i]` pairs with response.outputs[i].
EncodedBody EncodeInferResponse(const InferResponse& response, const std::vector<bool>& binary);

// The client side: a request with every input binary (or all JSON), asking for the named outputs binary (or
// JSON), except inputs in shared_memory_inputs and outputs with shared_memory set, which name their region;
// and the response decoder
// (`shared_memory` reads the outputs the server placed in the client's regions).
EncodedBody EncodeInferRequest(const InferRequest& request, bool binary_inputs, bool binary_outputs);
Result<InferResponse> DecodeInferResponse(std::string_view body, std::optional<uint64_t> json_length,
                                          const SharedMemoryReader& shared_memory = nullptr);

}  // namespace missile::server
