// The probe's report and the placement section, built from a probe run on synthetic hardware.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "memory/placement_report.h"
#include "probe/channel_report.h"
#include "probe/synthetic_oracle.h"

namespace missile::probe {
namespace {

constexpr uint64_t kPage = uint64_t{2} << 20;

class BusiestClassTimer final : public LineReadTimer {
 public:
  explicit BusiestClassTimer(std::function<int64_t(Address)> class_of) : class_of_(std::move(class_of)) {}
  Result<double> TimeReads(std::span<const Address> lines) override {
    std::map<int64_t, int64_t> count;
    int64_t busiest = 0;
    for (Address a : lines) busiest = std::max(busiest, ++count[class_of_(a)]);
    return 50.0 * double(busiest) / double(lines.size());
  }

 private:
  std::function<int64_t(Address)> class_of_;
};

ChannelProbeReport SampleReport(int64_t lines) {
  const SwizzleModHash truth = H200LikeSwizzleModHash(4);
  auto class_of = [truth](Address a) { return truth.ClassOf(a); };
  SyntheticOracle oracle(class_of, 0.05, 21, 8);
  BusiestClassTimer reader(class_of);
  ChannelProbeOptions options;
  options.lines = lines;
  options.repetitions = lines > 0 ? 2 : 1;
  options.cross_lines = 8;
  const Address pages[] = {12 * kPage, 345 * kPage};
  ChannelProbeReport report;
  report.command = "missile probe channels --quick";
  report.date_utc = "2026-11-26T00:00:00Z";
  report.device = {
      "NVIDIA H200", 132,  uint64_t{140} << 30, 60 * (uint64_t{1} << 20), 37 * (uint64_t{1} << 20),
      kPage,         13000};
  OracleCalibration calibration;
  calibration.sm_count = 132;
  calibration.single_line_us = 60;
  calibration.groups.push_back({1, 40, 60.2, 30.1, 0.02, 0.03, 42.6, true});
  calibration.groups.push_back({2, 60, 61.0, 29.0, 0.02, 0.03, 42.1, false});
  calibration.chosen_group_size = 1;
  report.calibration = calibration;
  BandwidthSweep sweep;
  sweep.buffer_bytes = uint64_t{64} << 30;
  sweep.full_read_gb_per_s = 4400;
  sweep.points.push_back({4096, kPage, 0, 128 << 20, true, "", 3800, 3800.0 / 4400});
  sweep.points.push_back({256, kPage, 0, 8 << 20, false, "reads 8.0 MiB, under 2x the L2", 0, 0});
  report.sweep = sweep;
  auto result = RunChannelProbe(oracle, reader, pages, options);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (result.ok()) report.probe = std::move(result).value();
  return report;
}

TEST(ProbeChannelReportTest, MarkdownAndJsonCarryTheNumbers) {
  ChannelProbeReport report = SampleReport(1024);
  ASSERT_TRUE(report.probe.has_value());
  report.sections.push_back(memory::PlacementSection(*report.probe, kPage));
  const std::string md = ChannelProbeMarkdown(report);
  for (const char* expected :
       {"# Channel probe: NVIDIA H200", "## 1. Atomic oracle calibration", "Chosen group size: **1**",
        "## 2. Read bandwidth sweep", "| 4 KiB | 2.0 MiB | 0 B | 128.0 MiB | 3800 | 86% |",
        "skipped: reads 8.0 MiB", "## 3. Classification", "Stability", "## 4. Validation",
        "## 5. Cross-page relation", "## 6. Model", "No hash model", "## 7. Placement",
        "**CUDA VMM backend** (2 MiB pages)", "Physical-address backend"}) {
    EXPECT_NE(md.find(expected), std::string::npos) << "missing: " << expected << "\n" << md;
  }
  // The sample of 1024 lines touches all 94 classes: the VMM verdict is a proof even from a sample.
  EXPECT_NE(md.find("no channel subset can be isolated at this granularity"), std::string::npos) << md;

  auto json_text = ChannelProbeJson(report);
  ASSERT_TRUE(json_text.ok()) << json_text.status().ToString();
  const nlohmann::json json = nlohmann::json::parse(*json_text);
  EXPECT_EQ(json["format"], "missile-channel-probe/1");
  EXPECT_EQ(json["device"]["sm_count"], 132);
  EXPECT_EQ(json["calibration"]["groups"].size(), 2u);
  EXPECT_EQ(json["probe"]["offsets"].size(), 1024u);
  EXPECT_EQ(json["probe"]["runs"][0]["labels"].size(), 1024u);
  EXPECT_GE(json["probe"]["stability"].get<double>(), 0.99);
  EXPECT_EQ(json["probe"]["cross_pages"].size(), 1u);
  EXPECT_EQ(json["placement"]["vmm"]["isolation"], "none");
  // The reference page's sample is seen touching all 94; the other page's 8 lines only give lower bounds.
  EXPECT_EQ(json["placement"]["vmm"]["units_touching_all"], 1);
  EXPECT_EQ(json["placement"]["vmm"]["max_classes_per_unit"], 94);
  EXPECT_EQ(json["placement"]["physical_backend"]["available"], false);
  EXPECT_EQ(json["sweep"]["points"][1]["measured"], false);
}

TEST(ProbeChannelReportTest, WholePageReportNamesTheModel) {
  ChannelProbeReport report = SampleReport(0);
  ASSERT_TRUE(report.probe.has_value());
  report.sections.push_back(memory::PlacementSection(*report.probe, kPage));
  const std::string md = ChannelProbeMarkdown(report);
  EXPECT_NE(md.find("Model written: kind `page_swizzle_mod`, 94 classes"), std::string::npos) << md;
  EXPECT_NE(md.find("From the page model"), std::string::npos);
  const nlohmann::json json = nlohmann::json::parse(*ChannelProbeJson(report));
  EXPECT_EQ(json["probe"]["model_written"], true);
  // Every granularity analysed from complete pages: one class per granule gives 94 zero-waste colors.
  const nlohmann::json& rows = json["placement"]["granularities"];
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0]["unit_bytes"], 256);
  EXPECT_EQ(rows[0]["isolation"], "colors");
  EXPECT_EQ(rows[0]["zero_waste_colors"], 94);
}

TEST(ProbeChannelReportTest, BadSectionJsonIsAnError) {
  ChannelProbeReport report;
  report.sections.push_back({"placement", "{not json", ""});
  EXPECT_FALSE(ChannelProbeJson(report).ok());
}

}  // namespace
}  // namespace missile::probe
