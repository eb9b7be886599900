#include "loadgen/http_client.h"

#include <charconv>

#include "core/json_fields.h"
#include "loadgen/request_inputs.h"
#include "net/http_connection.h"
#include "server/oip_datatype.h"

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
  return connection;
}

// The model's inputs from its metadata (GET /v2/models/<model>).
Result<std::vector<server::TensorSignature>> FetchInputs(net::HttpConnection& connection,
                                                         const std::string& model, const std::string& url) {
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
  const auto inputs = metadata.find("inputs");
  if (!metadata.is_object() || inputs == metadata.end() || !inputs->is_array()) {
    return Error(ErrorCode::kInvalidArgument, "model '{}': the metadata has no 'inputs' array", model);
  }
  std::vector<server::TensorSignature> signatures;
  for (const json& input : *inputs) {
    if (!input.is_object() || !input.contains("name") || !input.contains("datatype") ||
        !input.contains("shape")) {
      return Error(ErrorCode::kInvalidArgument, "model '{}': an input lacks name, datatype or shape", model);
    }
    server::TensorSignature signature;
    signature.name = input.at("name").get<std::string>();
    auto datatype = server::ParseOipDatatype(input.at("datatype").get<std::string>());
    if (!datatype.ok()) return datatype.status().WithContext(fmt::format("model '{}'", model));
    signature.dtype = *datatype;
    for (const json& dim : input.at("shape")) {
      if (!dim.is_number_integer() || dim.get<int64_t>() < 0) {
        return Error(ErrorCode::kInvalidArgument, "model '{}': input '{}' has a variable shape {}", model,
                     signature.name, ShortJson(input.at("shape")));
      }
      signature.shape.push_back(dim.get<int64_t>());
    }
    signatures.push_back(std::move(signature));
  }
  return signatures;
}

class HttpInferenceClient final : public InferenceClient {
 public:
  HttpInferenceClient(net::HttpConnection connection,
                      std::shared_ptr<const HttpClientFactory::PreparedRequest> request)
      : connection_(std::move(connection)), request_(std::move(request)) {
    if (request_->json_length) {
      headers_.emplace_back(server::kInferenceHeaderContentLength, std::to_string(*request_->json_length));
    }
  }

  CallResult Infer() override {
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
    return {};
  }

 private:
  net::HttpConnection connection_;
  std::shared_ptr<const HttpClientFactory::PreparedRequest> request_;
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
  MISSILE_ASSIGN_OR_RETURN(auto inputs, FetchInputs(connection, stream.model, url_));
  server::InferRequest request;
  request.inputs = MakeRequestInputs(inputs, options_.seed);
  server::EncodedBody body =
      server::EncodeInferRequest(request, options_.binary_tensors, options_.binary_tensors);
  auto prepared = std::make_shared<PreparedRequest>();
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
  return std::unique_ptr<InferenceClient>(
      new HttpInferenceClient(OpenConnection(endpoint_, options_), it->second));
}

std::string HttpClientFactory::Describe() const {
  return fmt::format("{} ({} tensors)", url_, options_.binary_tensors ? "binary" : "JSON");
}

}  // namespace missile::loadgen
