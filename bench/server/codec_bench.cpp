// The server's own work per request, step by step, for ResNet-50 batch 1 with binary tensors (a 602,112-byte
// input, a 4,000-byte output): what its share of the latency (request minus compute, in its metrics) is made
// of outside the HTTP transport, before and after the body is received in place.
//
//   build/bench/missile_server_codec_bench [--repeat N] [--json FILE]
//
// Each step runs N times (default 2000) after a warm-up; the median and the 90th percentile are printed in
// us.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "server/body_buffer.h"
#include "server/infer_codec.h"

namespace {

using missile::DataType;
using missile::Tensor;
using namespace missile::server;

struct Timing {
  double median_us = 0;
  double p90_us = 0;
};

Timing Measure(int repeat, const std::function<void()>& step) {
  for (int i = 0; i < std::max(10, repeat / 10); ++i) step();
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(repeat));
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    step();
    samples.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2], samples[samples.size() * 9 / 10]};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("The server's own work per ResNet-50 request: receiving, decoding, encoding");
  int repeat = 2000;
  std::string json_path;
  app.add_option("--repeat", repeat, "runs of each step")->check(CLI::PositiveNumber);
  app.add_option("--json", json_path, "also write the timings here");
  CLI11_PARSE(app, argc, argv);

  // The request the load generator sends: a JSON header, then the image's bytes.
  InferRequest request;
  Tensor image(DataType::kFloat32, {1, 3, 224, 224});
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (int64_t i = 0; i < image.num_elements(); ++i) image.data<float>()[i] = uniform(rng);
  request.inputs.push_back({"input", image});
  const EncodedBody encoded = EncodeInferRequest(request, true, true);
  const std::string& wire = encoded.bytes;
  const size_t json_length = *encoded.json_length;

  Tensor logits(DataType::kFloat32, {1, 1000});
  InferResponse response{"resnet50", "1", "", {{"output", logits}}, {}};

  nlohmann::json results;
  const auto report = [&](const std::string& name, const std::string& what, Timing timing) {
    std::cout << fmt::format("{:<34} {:>9.1f} {:>9.1f}   {}\n", name, timing.median_us, timing.p90_us, what);
    results[name] = {{"median_us", timing.median_us}, {"p90_us", timing.p90_us}, {"what", what}};
  };
  std::cout << fmt::format("ResNet-50 bs1 request: {} bytes ({} of JSON), {} runs per step\n", wire.size(),
                           json_length, repeat);
  std::cout << fmt::format("{:<34} {:>9} {:>9}\n", "step", "p50 us", "p90 us");

  // Before: cpp-httplib appended the body to a std::string 4 KB per recv(), the decoder copied the tensor out
  // of it into a new zero-filled tensor.
  report("body_into_string_4k_appends", "cpp-httplib's body: a std::string grown 4 KB at a time",
         Measure(repeat, [&] {
           std::string body;
           for (size_t offset = 0; offset < wire.size(); offset += 4096) {
             body.append(wire, offset, std::min<size_t>(4096, wire.size() - offset));
           }
           if (body.size() != wire.size()) std::abort();
         }));
  report("decode_copying_tensor", "decode, the image copied into a new tensor", Measure(repeat, [&] {
           auto decoded = DecodeInferRequest(wire, json_length);
           if (!decoded.ok()) std::abort();
         }));

  // After: the body lands in a reused buffer (the kernel's recv() copy is the only one; here a memcpy stands
  // in for it), the image is used in place.
  BodyBuffer buffer;
  report("body_into_reused_buffer", "the body in the connection's reused buffer (memcpy for recv)",
         Measure(repeat, [&] {
           std::span<std::byte> room = buffer.Prepare(wire.size(), json_length);
           std::memcpy(room.data(), wire.data(), wire.size());
           buffer.Finish();
         }));
  std::span<std::byte> room = buffer.Prepare(wire.size(), json_length);
  std::memcpy(room.data(), wire.data(), wire.size());
  const std::string_view placed(reinterpret_cast<const char*>(room.data()), room.size());
  report("decode_in_place", "decode, the image used where it arrived", Measure(repeat, [&] {
           auto decoded = DecodeInferRequest(placed, json_length, buffer.owner());
           if (!decoded.ok() || decoded->inputs[0].tensor.raw_data() != room.data() + json_length)
             std::abort();
         }));

  report("encode_binary_response", "the response: JSON header and 4,000 bytes of logits",
         Measure(repeat, [&] {
           EncodedBody body = EncodeInferResponse(response, {true});
           if (body.bytes.size() < 4000) std::abort();
         }));

  if (!json_path.empty()) std::ofstream(json_path) << results.dump(1) << "\n";
  return 0;
}
