#include <gtest/gtest.h>

#include "server/http_routes.h"

namespace missile::server {
namespace {

void ExpectRoute(std::string_view method, std::string_view target, Endpoint endpoint,
                 const std::string& model = "", const std::string& version = "") {
  auto route = MatchRoute(method, target);
  ASSERT_TRUE(route.has_value()) << method << " " << target;
  EXPECT_EQ(route->endpoint, endpoint) << method << " " << target;
  EXPECT_EQ(route->model, model) << target;
  EXPECT_EQ(route->version, version) << target;
}

TEST(HttpRoutesTest, EveryOpenInferenceProtocolRoute) {
  ExpectRoute("GET", "/v2/health/live", Endpoint::kLive);
  ExpectRoute("GET", "/v2/health/ready", Endpoint::kReady);
  ExpectRoute("GET", "/v2", Endpoint::kServerMetadata);
  ExpectRoute("GET", "/v2/", Endpoint::kServerMetadata);
  ExpectRoute("GET", "/v2/models/resnet50", Endpoint::kModelMetadata, "resnet50");
  ExpectRoute("GET", "/v2/models/resnet50/versions/1", Endpoint::kModelMetadata, "resnet50", "1");
  ExpectRoute("GET", "/v2/models/resnet50/ready", Endpoint::kModelReady, "resnet50");
  ExpectRoute("GET", "/v2/models/m/versions/2/ready", Endpoint::kModelReady, "m", "2");
  ExpectRoute("GET", "/v2/models/m/config", Endpoint::kModelConfig, "m");
  ExpectRoute("GET", "/v2/models/m/versions/1/config", Endpoint::kModelConfig, "m", "1");
  ExpectRoute("POST", "/v2/models/m/infer", Endpoint::kInfer, "m");
  ExpectRoute("POST", "/v2/models/m/versions/1/infer", Endpoint::kInfer, "m", "1");
  ExpectRoute("POST", "/v2/repository/index", Endpoint::kRepositoryIndex);
  ExpectRoute("POST", "/v2/repository/models/m/load", Endpoint::kRepositoryLoad, "m");
  ExpectRoute("POST", "/v2/repository/models/m/unload", Endpoint::kRepositoryUnload, "m");
  ExpectRoute("GET", "/metrics", Endpoint::kMetrics);
}

TEST(HttpRoutesTest, SystemSharedMemoryRoutesNameTheirRegion) {
  const auto expect = [](std::string_view method, std::string_view target, Endpoint endpoint,
                         const std::string& region) {
    auto route = MatchRoute(method, target);
    ASSERT_TRUE(route.has_value()) << method << " " << target;
    EXPECT_EQ(route->endpoint, endpoint) << target;
    EXPECT_EQ(route->region, region) << target;
  };
  expect("GET", "/v2/systemsharedmemory/status", Endpoint::kSharedMemoryStatus, "");
  expect("GET", "/v2/systemsharedmemory/region/in%5F0/status", Endpoint::kSharedMemoryStatus, "in_0");
  expect("POST", "/v2/systemsharedmemory/region/in/register", Endpoint::kSharedMemoryRegister, "in");
  expect("POST", "/v2/systemsharedmemory/region/in/unregister", Endpoint::kSharedMemoryUnregister, "in");
  expect("POST", "/v2/systemsharedmemory/unregister", Endpoint::kSharedMemoryUnregister, "");
  for (auto [method, target] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"POST", "/v2/systemsharedmemory/register"},  // registering needs a region name
           {"GET", "/v2/systemsharedmemory/region/in/register"},
           {"POST", "/v2/systemsharedmemory/status"},
           {"GET", "/v2/systemsharedmemory/region//status"},
           {"GET", "/v2/systemsharedmemory/region/in/status/x"},
           {"GET", "/v2/systemsharedmemory"},
       }) {
    EXPECT_FALSE(MatchRoute(method, target).has_value()) << method << " " << target;
  }
}

TEST(HttpRoutesTest, QueriesAreIgnoredAndSegmentsPercentDecoded) {
  ExpectRoute("GET", "/metrics?name=x", Endpoint::kMetrics);
  ExpectRoute("POST", "/v2/models/conv%5Fb/infer?x=1", Endpoint::kInfer, "conv_b");
  ExpectRoute("GET", "/v2/models/a%2", Endpoint::kModelMetadata, "a%2");  // a broken escape stays as it is
}

TEST(HttpRoutesTest, WrongMethodsAndUnknownPathsHaveNoRoute) {
  for (auto [method, target] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"POST", "/v2/health/live"},
           {"GET", "/v2/models/m/infer"},
           {"POST", "/v2/models/m"},
           {"GET", "/v2/repository/index"},
           {"GET", "/v3/anything"},
           {"GET", "/v2/models/"},
           {"GET", "/v2/models//ready"},
           {"GET", "/v2/models/m/versions//ready"},
           {"GET", "/v2/models/m/ready/x"},
           {"GET", "/v2/health/live/"},
           {"POST", "/v2/repository/models/m/reload"},
           {"GET", "metrics"},
           {"GET", ""},
           {"DELETE", "/v2/models/m"},
       }) {
    EXPECT_FALSE(MatchRoute(method, target).has_value()) << method << " " << target;
  }
}

}  // namespace
}  // namespace missile::server
