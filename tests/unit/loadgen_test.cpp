#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "loadgen/http_client.h"
#include "loadgen/latency_stats.h"
#include "loadgen/report.h"
#include "loadgen/runner.h"
#include "loadgen/svg_chart.h"
#include "loadgen/trace.h"
#include "loadgen/workload.h"

namespace missile::loadgen {
namespace {

TEST(LatencyStatsTest, NearestRankPercentiles) {
  std::vector<double> values(1000);
  std::iota(values.begin(), values.end(), 1.0);  // 1..1000
  const LatencySummary s = Summarize(values);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.p50, 500);
  EXPECT_DOUBLE_EQ(s.p90, 900);
  EXPECT_DOUBLE_EQ(s.p99, 990);
  EXPECT_DOUBLE_EQ(s.p999, 999);
  EXPECT_DOUBLE_EQ(s.max, 1000);
  EXPECT_DOUBLE_EQ(s.mean, 500.5);

  // Order does not matter; a tiny sample's tail percentiles are its maximum.
  const LatencySummary few = Summarize({5, 1, 3});
  EXPECT_DOUBLE_EQ(few.p50, 3);
  EXPECT_DOUBLE_EQ(few.p99, 5);
  EXPECT_DOUBLE_EQ(few.p999, 5);
  EXPECT_EQ(Summarize({}).count, 0u);
  EXPECT_DOUBLE_EQ(NearestRank({}, 0.5), 0);
}

TEST(LatencyStatsTest, CdfIsMonotoneEndsAtOneAndReachesTheTail) {
  std::vector<double> values;
  for (int i = 0; i < 100000; ++i) values.push_back(std::exp(i / 20000.0));
  const auto cdf = CdfPoints(values, 400);
  ASSERT_GE(cdf.size(), 100u);
  EXPECT_LE(cdf.size(), 402u);
  EXPECT_DOUBLE_EQ(cdf.front().first, values.front());
  EXPECT_DOUBLE_EQ(cdf.back().second, 1.0);
  EXPECT_DOUBLE_EQ(cdf.back().first, values.back());
  bool reaches_p999 = false;
  for (size_t i = 1; i < cdf.size(); ++i) {
    EXPECT_GE(cdf[i].first, cdf[i - 1].first);
    EXPECT_GT(cdf[i].second, cdf[i - 1].second);
    reaches_p999 |= cdf[i].second > 0.999 && cdf[i].second < 1.0;
  }
  EXPECT_TRUE(reaches_p999);
}

TEST(TraceTest, ParsesDisbTasks) {
  auto trace = ParseDisbTrace(R"({"time": 38, "tasks": [
      {"id": "r_rt", "load": {"type": "trace", "trace": [0, 150, 150, 2000]},
       "client": {"model_name": "resnet152-imagenet", "batch_size": 1, "other": "ignored"}},
      {"id": "r_be", "load": {"type": "continuous"}, "client": {"model_name": "resnet152-imagenet"}}]})");
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  EXPECT_DOUBLE_EQ(trace->duration_s, 38);
  ASSERT_EQ(trace->tasks.size(), 2u);
  EXPECT_EQ(trace->tasks[0].id, "r_rt");
  EXPECT_EQ(trace->tasks[0].model_name, "resnet152-imagenet");
  EXPECT_FALSE(trace->tasks[0].continuous);
  EXPECT_EQ(trace->tasks[0].arrivals_s, (std::vector<double>{0, 0.15, 0.15, 2.0}));
  EXPECT_TRUE(trace->tasks[1].continuous);
  EXPECT_TRUE(trace->tasks[1].arrivals_s.empty());
}

TEST(TraceTest, RefusesBrokenDisbTraces) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"tasks": []})", "time: required"},
      {R"({"time": 1, "tasks": []})", "tasks: required"},
      {R"({"time": 1, "tasks": [{"id": "a", "client": {"model_name": "m"}, "load": {"type": "burst"}}]})",
       "'burst' is neither"},
      {R"({"time": 1, "tasks": [{"id": "a", "client": {"model_name": "m"},
          "load": {"type": "trace", "trace": [5, 3]}}]})",
       "tasks[0].load.trace[1]: 3 ms comes before"},
      {R"({"time": 1, "tasks": [{"id": "a", "load": {"type": "continuous"}}]})", "tasks[0].client: required"},
  };
  for (const auto& [text, fragment] : cases) {
    auto trace = ParseDisbTrace(text);
    ASSERT_FALSE(trace.ok()) << text;
    EXPECT_NE(trace.status().message().find(fragment), std::string::npos) << trace.status().message();
  }
}

TEST(TraceTest, ParsesTheSharedDisbRealTraceIfPresent) {
  auto trace = LoadDisbTrace("/work/shared/data/disb-real-trace.json");
  if (!trace.ok()) GTEST_SKIP() << "no shared data here: " << trace.status().message();
  EXPECT_EQ(trace->tasks.size(), 10u);
  size_t requests = 0;
  for (const DisbTask& task : trace->tasks) requests += task.arrivals_s.size();
  EXPECT_EQ(requests, 375u + 202u + 560u + 374u + 173u);
}

TEST(TraceTest, ParsesPlainTimestampsAsOffsetsFromTheFirst) {
  auto offsets =
      ParseTimestampLines("# a log\n1000.5\n\n1000.5\n1002  # comment\n1003.25\n", TimeUnit::kSeconds);
  ASSERT_TRUE(offsets.ok()) << offsets.status().message();
  EXPECT_EQ(*offsets, (std::vector<double>{0, 0, 1.5, 2.75}));
  auto ms = ParseTimestampLines("10\n20\n", TimeUnit::kMilliseconds);
  EXPECT_EQ(*ms, (std::vector<double>{0, 0.01}));
  auto us = ParseTimestampLines("0\n1500\n", TimeUnit::kMicroseconds);
  EXPECT_DOUBLE_EQ((*us)[1], 0.0015);

  auto decreasing = ParseTimestampLines("1\n3\n2\n", TimeUnit::kSeconds);
  ASSERT_FALSE(decreasing.ok());
  EXPECT_NE(decreasing.status().message().find("line 3: timestamp 2 is earlier"), std::string::npos)
      << decreasing.status().message();
  auto garbage = ParseTimestampLines("1\nsoon\n", TimeUnit::kSeconds);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("line 2: 'soon' is not a timestamp"), std::string::npos);
  EXPECT_FALSE(ParseTimestampLines("# nothing\n", TimeUnit::kSeconds).ok());
  EXPECT_FALSE(ParseTimeUnit("min").ok());
}

TEST(WorkloadTest, PoissonArrivalsHaveTheRateAndAreReproducible) {
  const auto a = PoissonArrivals(200, 50, 7);
  const auto b = PoissonArrivals(200, 50, 7);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, PoissonArrivals(200, 50, 8));
  // 10000 expected; the count of a Poisson process has standard deviation 100.
  EXPECT_NEAR(static_cast<double>(a.size()), 10000.0, 400.0);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_LT(a.back(), 50.0);
  // Inter-arrival gaps are exponential: their coefficient of variation is 1.
  double sum = 0, sum_sq = 0;
  for (size_t i = 1; i < a.size(); ++i) {
    const double gap = a[i] - a[i - 1];
    sum += gap;
    sum_sq += gap * gap;
  }
  const double n = static_cast<double>(a.size() - 1);
  const double mean = sum / n;
  EXPECT_NEAR(std::sqrt(sum_sq / n - mean * mean) / mean, 1.0, 0.05);
}

TEST(WorkloadTest, ParsesStreamsWithTheirPatterns) {
  auto workload = ParseWorkload(R"({"duration_s": 20, "warmup_s": 2, "streams": [
      {"name": "ls", "model": "m1", "pattern": {"type": "poisson", "rate": 50, "seed": 3}},
      {"name": "be", "model": "m2", "pattern": {"type": "closed", "concurrency": 4}, "max_outstanding": 8}]})",
                                "/");
  ASSERT_TRUE(workload.ok()) << workload.status().message();
  EXPECT_DOUBLE_EQ(workload->duration_s, 20);
  EXPECT_DOUBLE_EQ(workload->warmup_s, 2);
  ASSERT_EQ(workload->streams.size(), 2u);
  EXPECT_EQ(workload->streams[0].pattern.kind, ArrivalPattern::Kind::kPoisson);
  EXPECT_EQ(workload->streams[0].pattern.arrivals_s, PoissonArrivals(50, 20, 3));
  EXPECT_EQ(workload->streams[1].pattern.kind, ArrivalPattern::Kind::kClosedLoop);
  EXPECT_EQ(workload->streams[1].pattern.concurrency, 4);
  EXPECT_EQ(workload->streams[1].max_outstanding, 8);
  EXPECT_EQ(workload->streams[1].pattern.Describe(), "closed loop, 4 outstanding");

  const std::pair<const char*, const char*> bad[] = {
      {R"({"streams": []})", "streams: required"},
      {R"({"streams": [{"name": "a", "model": "m", "pattern": {"type": "burst"}}]})", "'burst' is not"},
      {R"({"streams": [{"name": "a", "model": "m", "pattern": {"type": "closed", "concurrency": 0}}]})",
       "concurrency must be 1..4096"},
      {R"({"streams": [{"name": "a", "model": "m", "pattern": {"type": "poisson", "rate": -1}}]})",
       "rate must be > 0"},
      {R"({"streams": [{"name": "a", "model": "m", "pattern": {"type": "closed", "concurrency": 1}},
                       {"name": "a", "model": "m", "pattern": {"type": "closed", "concurrency": 1}}]})",
       "declared twice"},
      {R"({"duration_s": 5, "warmup_s": 5, "streams": [{"name": "a", "model": "m",
          "pattern": {"type": "closed", "concurrency": 1}}]})",
       "warmup"},
      {R"({"streams": [{"name": "a", "model": "m", "pattern": {"type": "trace", "file": "/nonexistent/t.txt"}}]})",
       "/nonexistent/t.txt"},
  };
  for (const auto& [text, fragment] : bad) {
    auto parsed = ParseWorkload(text, "/");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find(fragment), std::string::npos) << parsed.status().message();
  }
}

TEST(WorkloadTest, DisbBecomesTraceAndClosedLoopStreamsWithMappedModelsAndScaledTime) {
  DisbTrace trace;
  trace.duration_s = 38;
  trace.tasks.push_back({"a_rt", "resnet152-imagenet", 1, false, {0.0, 1.0, 38.4}});
  trace.tasks.push_back({"a_be", "resnet152-imagenet", 1, true, {}});
  trace.tasks.push_back({"b_rt", "distilbert", 1, false, {0.5}});
  DisbOptions options;
  options.model_map = {{"resnet152-imagenet", "small_resnet"}};
  options.time_scale = 0.5;
  options.be_concurrency = 2;
  auto workload = WorkloadFromDisb(trace, options);
  ASSERT_TRUE(workload.ok()) << workload.status().message();
  ASSERT_EQ(workload->streams.size(), 3u);
  EXPECT_EQ(workload->streams[0].model, "small_resnet");
  EXPECT_EQ(workload->streams[0].pattern.arrivals_s, (std::vector<double>{0.0, 0.5, 19.2}));
  EXPECT_EQ(workload->streams[1].pattern.kind, ArrivalPattern::Kind::kClosedLoop);
  EXPECT_EQ(workload->streams[1].pattern.concurrency, 2);
  EXPECT_EQ(workload->streams[2].model, "distilbert");  // unmapped names pass through
  // The run covers the scaled "time" and every arrival (DISB's time is rounded down).
  EXPECT_DOUBLE_EQ(workload->duration_s, 19.7);

  // One model per task (each task its own tenant), a task id mapped on its own, the closed loops left out.
  options = {};
  options.model_per_task = true;
  options.model_map = {{"b_rt", "bert"}};
  options.trace_tasks_only = true;
  workload = WorkloadFromDisb(trace, options);
  ASSERT_TRUE(workload.ok()) << workload.status().message();
  ASSERT_EQ(workload->streams.size(), 2u);
  EXPECT_EQ(workload->streams[0].model, "a_rt");
  EXPECT_EQ(workload->streams[1].model, "bert");
}

TEST(HttpUrlTest, ParsesHostAndPort) {
  auto endpoint = ParseHttpUrl("http://127.0.0.1:8000/");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->host, "127.0.0.1");
  EXPECT_EQ(endpoint->port, 8000);
  EXPECT_EQ(ParseHttpUrl("http://server")->port, 80);
  EXPECT_FALSE(ParseHttpUrl("https://server:1").ok());
  EXPECT_FALSE(ParseHttpUrl("http://server:99999").ok());
  EXPECT_FALSE(ParseHttpUrl("http://server:8000/v2").ok());
  EXPECT_FALSE(ParseHttpUrl("http://:8000").ok());
}

TEST(ReportTest, CountsTheWindowAndTheTimeline) {
  RunOutcome outcome;
  outcome.target = "test";
  outcome.duration_s = 4;
  outcome.warmup_s = 1;
  outcome.wall_s = 4.2;
  StreamOutcome stream;
  stream.spec.name = "s";
  stream.spec.model = "m";
  stream.samples = {{0.5, 0.010, ""},  // warmup: in the timeline only
                    {1.0, 0.020, ""},
                    {1.5, 0.040, "http_400"},
                    {2.0, 0.030, ""},
                    {3.9, 0.5, ""}};  // completes at 4.4 s: last bin
  stream.error_examples = {{"http_400", "bad"}};
  outcome.streams.push_back(stream);
  const RunReport report = BuildReport(outcome);
  ASSERT_EQ(report.streams.size(), 1u);
  const StreamReport& s = report.streams[0];
  EXPECT_EQ(s.requests, 4u);
  EXPECT_EQ(s.ok, 3u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.errors.at("http_400"), 1u);
  EXPECT_DOUBLE_EQ(s.throughput_rps, 1.0);  // 3 successes over the 3 s window
  EXPECT_DOUBLE_EQ(s.latency_ms.p50, 30);
  EXPECT_DOUBLE_EQ(s.latency_ms.max, 500);
  EXPECT_EQ(s.completions_per_s, (std::vector<double>{1, 1, 1, 0, 1}));
  EXPECT_EQ(report.total_failed(), 1u);
  const std::string table = FormatTable(report);
  EXPECT_NE(table.find("1 (http_400 1)"), std::string::npos) << table;
  EXPECT_NE(FormatMarkdown(report).find("| s | m |"), std::string::npos);
  EXPECT_EQ(ReportToJson(report)["streams"][0]["latency_ms"]["p99.9"], 500.0);
}

TEST(RoundsTest, EachRoundWarmsUpAndMeasuresItsShare) {
  Workload workload;
  workload.duration_s = 12;
  workload.warmup_s = 2;
  StreamSpec closed;
  closed.name = "closed";
  closed.model = "m";
  StreamSpec poisson;
  poisson.name = "poisson";
  poisson.model = "m";
  poisson.pattern.kind = ArrivalPattern::Kind::kPoisson;
  poisson.pattern.rate = 50;
  poisson.pattern.seed = 7;
  workload.streams = {closed, poisson};

  auto first = RoundOf(workload, 5, 0);
  auto last = RoundOf(workload, 5, 4);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_TRUE(last.ok()) << last.status().message();
  EXPECT_DOUBLE_EQ(first->duration_s, 4);  // 2 s warm-up + 10 s / 5
  EXPECT_DOUBLE_EQ(first->warmup_s, 2);
  const auto& arrivals = first->streams[1].pattern.arrivals_s;
  ASSERT_FALSE(arrivals.empty());
  EXPECT_LT(arrivals.back(), 4.0);
  EXPECT_EQ(arrivals, PoissonArrivals(50, 4, 7));
  EXPECT_NE(last->streams[1].pattern.arrivals_s, arrivals);  // each round its own draw
  EXPECT_FALSE(RoundOf(workload, 5, 5).ok());
  EXPECT_FALSE(RoundOf(workload, 0, 0).ok());

  StreamSpec trace;
  trace.name = "trace";
  trace.model = "m";
  trace.pattern.kind = ArrivalPattern::Kind::kTrace;
  trace.pattern.arrivals_s = {0, 1};
  workload.streams.push_back(trace);
  EXPECT_FALSE(RoundOf(workload, 2, 0).ok());
  EXPECT_TRUE(RoundOf(workload, 1, 0).ok());
}

TEST(RoundsTest, ConcatenatedRoundsReadAsOneRunOfTheirMeasuredWindows) {
  auto round = [](std::vector<Sample> samples, std::map<std::string, std::string> errors) {
    RunOutcome outcome;
    outcome.target = "t";
    outcome.duration_s = 3;
    outcome.warmup_s = 1;
    outcome.wall_s = 3.1;
    StreamOutcome stream;
    stream.spec.name = "s";
    stream.spec.model = "m";
    stream.samples = std::move(samples);
    stream.error_examples = std::move(errors);
    outcome.streams.push_back(std::move(stream));
    return outcome;
  };
  std::vector<RunOutcome> rounds;
  rounds.push_back(round({{0.5, 0.010, ""}, {1.5, 0.020, ""}, {2.5, 0.030, ""}}, {}));
  rounds.push_back(
      round({{0.2, 0.900, ""}, {1.2, 0.040, "http_500"}, {2.9, 0.050, ""}}, {{"http_500", "x"}}));
  const RunOutcome joined = ConcatenateRounds(std::move(rounds));
  EXPECT_DOUBLE_EQ(joined.duration_s, 5);  // 1 s warm-up + 2 measured seconds per round
  EXPECT_DOUBLE_EQ(joined.warmup_s, 1);
  EXPECT_DOUBLE_EQ(joined.wall_s, 5.1);
  ASSERT_EQ(joined.streams.size(), 1u);
  std::vector<double> starts;
  for (const Sample& s : joined.streams[0].samples) starts.push_back(s.start_s);
  // The second round's warm-up sample (0.2 s, 900 ms) is gone; its others follow the first round's window.
  ASSERT_EQ(starts.size(), 5u);
  EXPECT_DOUBLE_EQ(starts[3], 3.2);
  EXPECT_DOUBLE_EQ(starts[4], 4.9);
  EXPECT_EQ(joined.streams[0].error_examples.at("http_500"), "x");

  const RunReport report = BuildReport(joined);
  EXPECT_EQ(report.streams[0].requests, 4u);
  EXPECT_EQ(report.streams[0].failed, 1u);
  EXPECT_DOUBLE_EQ(report.streams[0].throughput_rps, 0.75);  // 3 successes over 4 measured seconds
  EXPECT_DOUBLE_EQ(report.streams[0].latency_ms.max, 50);
}

TEST(SvgChartTest, DrawsOnePolylinePerSeriesWithEscapedLegend) {
  const std::string svg =
      RenderLineChart({{"a<b", {{1, 0.1}, {10, 0.5}, {100, 1.0}}}, {"c&d", {{2, 0.2}, {0, 0.3}, {50, 0.9}}}},
                      {"Title \"x\"", "latency (ms)", "fraction", true});
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  size_t polylines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1))
    ++polylines;
  EXPECT_EQ(polylines, 2u);
  EXPECT_NE(svg.find("a&lt;b"), std::string::npos);
  EXPECT_NE(svg.find("c&amp;d"), std::string::npos);
  EXPECT_NE(svg.find("Title &quot;x&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(SvgChartTest, TicksAreRoundNumbers) {
  EXPECT_EQ(LinearTicks(0, 10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(LinearTicks(0, 1, 4), (std::vector<double>{0, 0.5, 1}));
  EXPECT_EQ(LogTicks(1, 100), (std::vector<double>{1, 2, 5, 10, 20, 50, 100}));
  EXPECT_EQ(LogTicks(1e-2, 1e5), (std::vector<double>{1e-2, 1e-1, 1, 10, 100, 1000, 1e4, 1e5}));
}

}  // namespace
}  // namespace missile::loadgen
