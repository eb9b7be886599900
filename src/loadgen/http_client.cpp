#include "loadgen/http_client.h"

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstring>

#include "core/json_fields.h"
#include "loadgen/request_inputs.h"
#include "net/http_connection.h"
#include "net/server_timestamps.h"
#include "server/oip_datatype.h"
#include "server/shared_memory_mapping.h"

namespace missile::loadgen {

using nlohmann::json;

Result<HttpEndpoint> ParseHttpUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    return Error(ErrorCode::kInvalidArgument, "URL '{}' must start with http:// (https is not supported)",
                 url);
  }
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return Error(ErrorCode::kInvalidArgument, "URL '{}': give only http://host:port, without a path", url);
  }
  HttpEndpoint endpoint;
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    endpoint.host = std::string(rest);
  } else {
    endpoint.host = std::string(rest.substr(0, colon));
    const std::string_view port = rest.substr(colon + 1);
    const auto parsed = std::from_chars(port.data(), port.data() + port.size(), endpoint.port);
    if (parsed.ec != std::errc() || parsed.ptr != port.data() + port.size() || endpoint.port <= 0 ||
        endpoint.port > 65535) {
      return Error(ErrorCode::kInvalidArgument, "URL '{}': '{}' is not a port", url, port);
    }
  }
  if (endpoint.host.empty()) return Error(ErrorCode::kInvalidArgument, "URL '{}' has no host", url);
  return endpoint;
}

namespace {

net::HttpConnection OpenConnection(const HttpEndpoint& endpoint, const HttpClientOptions& options) {
  net::HttpConnection connection(endpoint.host, endpoint.port,
                                 std::chrono::milliseconds(static_cast<int64_t>(options.timeout_s * 1e3)));
  connection.SetBusyPoll(std::chrono::microseconds(options.busy_poll_us));
  connection.SetSocketBufferBytes(options.socket_buffer_bytes);
  return connection;
}

struct ModelSignature {
  std::vector<server::TensorSignature> inputs;
  std::vector<server::TensorSignature> outputs;
};

Result<std::vector<server::TensorSignature>> ParseSignatures(const json& metadata, const std::string& model,
                                                             const char* field);

// The model's inputs, and its outputs when asked (they must then have fixed shapes too), from its metadata
// (GET /v2/models/<model>).
Result<ModelSignature> FetchSignature(net::HttpConnection& connection, const std::string& model,
                                      const std::string& url, bool with_outputs) {
  auto response = connection.Request("GET", fmt::format("/v2/models/{}", model), {});
  if (!response.ok()) {
    return Error(ErrorCode::kUnavailable, "cannot reach the server at {}: {}", url,
                 response.status().message());
  }
  if (response->status != 200) {
    return Error(ErrorCode::kNotFound, "model '{}': the server answered {}: {}", model, response->status,
                 response->body);
  }
  MISSILE_ASSIGN_OR_RETURN(json metadata, ParseJson(response->body, "the model metadata"));
  ModelSignature signature;
  MISSILE_ASSIGN_OR_RETURN(signature.inputs, ParseSignatures(metadata, model, "inputs"));
  if (with_outputs) {
    MISSILE_ASSIGN_OR_RETURN(signature.outputs, ParseSignatures(metadata, model, "outputs"));
  }
  return signature;
}

// The metadata's "inputs" or "outputs": every tensor with a fixed shape.
Result<std::vector<server::TensorSignature>> ParseSignatures(const json& metadata, const std::string& model,
                                                             const char* field) {
  const auto tensors = metadata.is_object() ? metadata.find(field) : metadata.end();
  if (!metadata.is_object() || tensors == metadata.end() || !tensors->is_array()) {
    return Error(ErrorCode::kInvalidArgument, "model '{}': the metadata has no '{}' array", model, field);
  }
  std::vector<server::TensorSignature> signatures;
  for (const json& input : *tensors) {
    if (!input.is_object() || !input.contains("name") || !input.contains("datatype") ||
        !input.contains("shape")) {
      return Error(ErrorCode::kInvalidArgument, "model '{}': one of its {} lacks name, datatype or shape",
                   model, field);
    }
    server::TensorSignature signature;
    signature.name = input.at("name").get<std::string>();
    auto datatype = server::ParseOipDatatype(input.at("datatype").get<std::string>());
    if (!datatype.ok()) return datatype.status().WithContext(fmt::format("model '{}'", model));
    signature.dtype = *datatype;
    for (const json& dim : input.at("shape")) {
      if (!dim.is_number_integer() || dim.get<int64_t>() < 0) {
        return Error(ErrorCode::kInvalidArgument, "model '{}': '{}' has a variable shape {}", model,
                     signature.name, ShortJson(input.at("shape")));
      }
      signature.shape.push_back(dim.get<int64_t>());
    }
    signatures.push_back(std::move(signature));
  }
  return signatures;
}

size_t AlignUp(size_t bytes) {
  return (bytes + 63) / 64 * 64;
}

// A connection's own shared-memory region: the object (made here, unlinked with it) registered on the server
// under the same name, and the request naming it.
struct ClientRegion {
  std::shared_ptr<server::SharedMemoryMapping> mapping;
  std::string name;
};

Result<std::pair<ClientRegion, std::shared_ptr<const HttpClientFactory::PreparedRequest>>> MakeClientRegion(
    net::HttpConnection& connection, const HttpClientFactory::PreparedRequest& shared) {
  static std::atomic<uint64_t> next{0};
  ClientRegion region;
  region.name = fmt::format("missile-bench-{}-{}", getpid(), next++);
  // Inputs, then outputs, each 64-byte aligned (the server then reads the inputs in place).
  auto request = std::make_shared<HttpClientFactory::PreparedRequest>(shared);
  size_t size = 0;
  for (const server::NamedTensor& input : request->request.inputs) {
    request->request.shared_memory_inputs[input.name] = {region.name, size, input.tensor.nbytes()};
    size += AlignUp(input.tensor.nbytes());
  }
  request->request.outputs.clear();
  for (const server::TensorSignature& output : request->outputs) {
    const uint64_t bytes = server::TensorByteSize(output.dtype, output.shape);
    request->request.outputs.push_back(
        {output.name, std::nullopt, server::SharedMemoryRef{region.name, size, bytes}});
    size += AlignUp(bytes);
  }
  MISSILE_ASSIGN_OR_RETURN(region.mapping, server::SharedMemoryMapping::Create("/" + region.name, size));
  for (const server::NamedTensor& input : request->request.inputs) {
    const server::SharedMemoryRef& where = request->request.shared_memory_inputs.at(input.name);
    std::memcpy(region.mapping->bytes().data() + where.offset, input.tensor.raw_data(),
                input.tensor.nbytes());
  }
  const json registration{{"key", region.mapping->key()}, {"offset", 0}, {"byte_size", size}};
  auto registered =
      connection.Request("POST", fmt::format("/v2/systemsharedmemory/region/{}/register", region.name), {},
                         registration.dump(), "application/json");
  if (!registered.ok()) return registered.status().WithContext("registering a shared-memory region");
  if (registered->status != 200) {
    return Error(ErrorCode::kFailedPrecondition, "the server refused the shared-memory region ({}): {}",
                 registered->status, registered->body);
  }
  server::EncodedBody body = server::EncodeInferRequest(request->request, false, false);
  request->body = std::move(body.bytes);
  request->json_length.reset();
  request->content_type = "application/json";
  return std::make_pair(std::move(region),
                        std::shared_ptr<const HttpClientFactory::PreparedRequest>(request));
}

class HttpInferenceClient final : public InferenceClient {
 public:
  HttpInferenceClient(net::HttpConnection connection,
                      std::shared_ptr<const HttpClientFactory::PreparedRequest> request,
                      std::shared_ptr<HttpTimeline> timeline,
                      std::optional<ClientRegion> region = std::nullopt)
      : connection_(std::move(connection)),
        request_(std::move(request)),
        timeline_(std::move(timeline)),
        region_(std::move(region)) {
    if (request_->json_length) {
      headers_.emplace_back(server::kInferenceHeaderContentLength, std::to_string(*request_->json_length));
    }
    if (timeline_) headers_.emplace_back(net::kTimestampsHeader, "1");
  }
  ~HttpInferenceClient() override {
    // Best effort: a server that is gone has forgotten the region anyway; the object goes with the mapping.
    if (region_) {
      (void)connection_.Request("POST",
                                fmt::format("/v2/systemsharedmemory/region/{}/unregister", region_->name), {},
                                "", "application/json");
    }
  }

  CallResult Infer() override {
    const auto start = std::chrono::steady_clock::now();
    auto response =
        connection_.Request("POST", request_->path, headers_, request_->body, request_->content_type);
    if (!response.ok()) return CallResult::Failure("connection", response.status().message());
    if (response->status != 200) {
      return CallResult::Failure(fmt::format("http_{}", response->status), response->body.substr(0, 500));
    }
    // A binary response announces its JSON part; a response without it was not what was asked for.
    if (request_->json_length && !response->Header(server::kInferenceHeaderContentLength)) {
      return CallResult::Failure("bad_response", "binary outputs were requested, the response has none");
    }
    if (timeline_) {
      // A server without the diagnostic answers without the header: nothing to line up.
      if (auto stamps = response->Header(net::kTimestampsHeader)) {
        if (auto server = net::ParseServerTimestamps(*stamps)) timeline_->Record(start, *response, *server);
      }
    }
    return {};
  }

 private:
  net::HttpConnection connection_;
  std::shared_ptr<const HttpClientFactory::PreparedRequest> request_;
  std::shared_ptr<HttpTimeline> timeline_;  // may be null
  std::optional<ClientRegion> region_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace

Result<std::unique_ptr<HttpClientFactory>> HttpClientFactory::Create(const std::string& url,
                                                                     HttpClientOptions options) {
  MISSILE_ASSIGN_OR_RETURN(HttpEndpoint endpoint, ParseHttpUrl(url));
  return std::unique_ptr<HttpClientFactory>(new HttpClientFactory(std::move(endpoint), url, options));
}

Status HttpClientFactory::Prepare(const StreamSpec& stream) {
  if (prepared_.count(stream.model) != 0) return Status::Ok();
  net::HttpConnection connection = OpenConnection(endpoint_, options_);
  MISSILE_ASSIGN_OR_RETURN(ModelSignature signature,
                           FetchSignature(connection, stream.model, url_, options_.shared_memory));
  server::InferRequest request;
  request.inputs = MakeRequestInputs(signature.inputs, options_.seed);
  server::EncodedBody body =
      server::EncodeInferRequest(request, options_.binary_tensors, options_.binary_tensors);
  auto prepared = std::make_shared<PreparedRequest>();
  prepared->request = std::move(request);
  prepared->outputs = std::move(signature.outputs);
  prepared->path = fmt::format("/v2/models/{}/infer", stream.model);
  prepared->body = std::move(body.bytes);
  prepared->json_length = body.json_length;
  prepared->content_type = body.json_length ? "application/octet-stream" : "application/json";
  prepared_.emplace(stream.model, std::move(prepared));
  return Status::Ok();
}

Result<std::unique_ptr<InferenceClient>> HttpClientFactory::Connect(const StreamSpec& stream) {
  auto it = prepared_.find(stream.model);
  if (it == prepared_.end()) {
    return Error(ErrorCode::kFailedPrecondition, "stream '{}' was not prepared", stream.name);
  }
  net::HttpConnection connection = OpenConnection(endpoint_, options_);
  if (!options_.shared_memory) {
    return std::unique_ptr<InferenceClient>(
        new HttpInferenceClient(std::move(connection), it->second, timeline_));
  }
  MISSILE_ASSIGN_OR_RETURN(auto region, MakeClientRegion(connection, *it->second));
  return std::unique_ptr<InferenceClient>(new HttpInferenceClient(
      std::move(connection), std::move(region.second), timeline_, std::move(region.first)));
}

std::string HttpClientFactory::Describe() const {
  if (options_.shared_memory) return fmt::format("{} (tensors in system shared memory)", url_);
  return fmt::format("{} ({} tensors)", url_, options_.binary_tensors ? "binary" : "JSON");
}

}  // namespace missile::loadgen
