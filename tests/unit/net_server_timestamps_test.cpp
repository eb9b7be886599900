#include <gtest/gtest.h>

#include "loadgen/http_timeline.h"
#include "net/server_timestamps.h"

namespace missile::net {
namespace {

TEST(ServerTimestampsTest, RoundTripsThroughItsHeaderValue) {
  const ServerTimestamps stamps{{"head", 1'000'000'123}, {"body", 1'000'050'000}, {"reply", 1'000'800'000}};
  const std::string value = FormatServerTimestamps(stamps);
  EXPECT_EQ(value, "head=1000000123 body=1000050000 reply=1000800000");
  auto parsed = ParseServerTimestamps(value);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, stamps);
  EXPECT_EQ(TimestampOf(*parsed, "body"), 1'000'050'000);
  EXPECT_FALSE(TimestampOf(*parsed, "ran").has_value());
}

TEST(ServerTimestampsTest, HandlerMarksKeepTheirOrderUpToTheirCapacity) {
  HandlerMarks marks;
  const char* names[] = {"a", "b", "c", "d", "e"};
  for (int i = 0; i < 5; ++i) marks.Mark(names[i], 10 * i);
  ServerTimestamps timestamps{{"head", 1}};
  marks.AppendTo(timestamps);
  const ServerTimestamps expected{{"head", 1}, {"a", 0}, {"b", 10}, {"c", 20}, {"d", 30}};
  EXPECT_EQ(timestamps, expected);
}

TEST(ServerTimestampsTest, RefusesAnythingElse) {
  for (const char* value : {"", "1", "head=", "=1", "head=1  body=2", "head=1 body=2 ", " head=1", "he-ad=1",
                            "head=x", "head=1body=2"}) {
    EXPECT_FALSE(ParseServerTimestamps(value).has_value()) << value;
  }
}

std::chrono::steady_clock::time_point At(int us) {
  return std::chrono::steady_clock::time_point(std::chrono::microseconds(us));
}

TEST(HttpTimelineTest, SplitsEachExchangeIntoPhasesAndMarks) {
  loadgen::HttpTimeline timeline;
  HttpResponse response;
  response.sent = At(1030);
  response.received = At(1900);
  const ServerTimestamps server{{"head", SteadyNanoseconds(At(1010))},
                                {"body", SteadyNanoseconds(At(1050))},
                                {"decoded", SteadyNanoseconds(At(1055))},
                                {"ran", SteadyNanoseconds(At(1840))},
                                {"reply", SteadyNanoseconds(At(1850))}};
  ASSERT_TRUE(timeline.Record(At(1000), response, server));
  const nlohmann::json summary = timeline.Summary();
  EXPECT_EQ(summary["exchanges"], 1);
  const nlohmann::json& phases = summary["phases_us"];
  const std::vector<std::pair<std::string, double>> expected = {
      {"client_send", 30},      {"server_header", 10},   {"server_body", 40},
      {"server_handling", 800}, {"server_decoded", 5},   {"server_ran", 785},
      {"server_reply", 10},     {"response_return", 50}, {"total", 900}};
  std::vector<std::string> order;
  for (const auto& [phase, us] : expected) {
    EXPECT_DOUBLE_EQ(phases[phase]["p50"].get<double>(), us) << phase;
    order.push_back(phase);
  }
  EXPECT_EQ(summary["order"].get<std::vector<std::string>>(), order);
  EXPECT_NE(timeline.Format().find("server_ran"), std::string::npos);
  // Stamps without the three fixed points are not an exchange to line up.
  EXPECT_FALSE(timeline.Record(At(0), response, {{"head", 1}, {"reply", 2}}));
  EXPECT_EQ(timeline.Summary()["exchanges"], 1);
}

}  // namespace
}  // namespace missile::net
