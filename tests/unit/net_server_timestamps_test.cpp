#include <gtest/gtest.h>

#include "loadgen/http_timeline.h"
#include "net/server_timestamps.h"

namespace missile::net {
namespace {

TEST(ServerTimestampsTest, RoundTripsThroughItsHeaderValue) {
  const ServerTimestamps stamps{1'000'000'123, 1'000'050'000, 1'000'800'000};
  const std::string value = FormatServerTimestamps(stamps);
  EXPECT_EQ(value, "head=1000000123 body=1000050000 reply=1000800000");
  auto parsed = ParseServerTimestamps(value);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->head_ns, stamps.head_ns);
  EXPECT_EQ(parsed->body_ns, stamps.body_ns);
  EXPECT_EQ(parsed->reply_ns, stamps.reply_ns);
}

TEST(ServerTimestampsTest, RefusesAnythingElse) {
  for (const char* value :
       {"", "1", "head=1 body=2", "head=1 body=2 reply=3 extra=4", "head=1  body=2 reply=3",
        "body=2 head=1 reply=3", "head=x body=2 reply=3", "head=1 body=2 reply=3 "}) {
    EXPECT_FALSE(ParseServerTimestamps(value).has_value()) << value;
  }
}

TEST(HttpTimelineTest, SplitsEachExchangeIntoPhases) {
  loadgen::HttpTimeline timeline;
  const auto start = std::chrono::steady_clock::time_point(std::chrono::microseconds(1000));
  HttpResponse response;
  response.sent = start + std::chrono::microseconds(30);
  response.received = start + std::chrono::microseconds(900);
  const ServerTimestamps server{SteadyNanoseconds(start + std::chrono::microseconds(10)),
                                SteadyNanoseconds(start + std::chrono::microseconds(50)),
                                SteadyNanoseconds(start + std::chrono::microseconds(850))};
  timeline.Record(start, response, server);
  const nlohmann::json summary = timeline.Summary();
  EXPECT_EQ(summary["exchanges"], 1);
  const nlohmann::json& phases = summary["phases_us"];
  EXPECT_DOUBLE_EQ(phases["client_send"]["p50"].get<double>(), 30);
  EXPECT_DOUBLE_EQ(phases["server_header"]["p50"].get<double>(), 10);
  EXPECT_DOUBLE_EQ(phases["server_body"]["p50"].get<double>(), 40);
  EXPECT_DOUBLE_EQ(phases["server_handling"]["p50"].get<double>(), 800);
  EXPECT_DOUBLE_EQ(phases["response_return"]["p50"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(phases["total"]["p50"].get<double>(), 900);
  EXPECT_NE(timeline.Format().find("server_handling"), std::string::npos);
}

}  // namespace
}  // namespace missile::net
