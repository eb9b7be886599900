#include "probe/channel_report.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace missile::probe {
namespace {

using nlohmann::json;

std::string Hex(uint64_t value) {
  return fmt::format("{:#x}", value);
}

std::string Bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0)
    return fmt::format("{} GiB", bytes >> 30);
  if (bytes >= (uint64_t{1} << 20)) return fmt::format("{:.1f} MiB", bytes / 1048576.0);
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

// A text bar for a value in [0, full]: the report's plots.
std::string Bar(double value, double full, int width = 20) {
  const int filled = full > 0 ? std::clamp(static_cast<int>(value / full * width + 0.5), 0, width) : 0;
  return std::string(filled, '#') + std::string(width - filled, '.');
}

std::string Percent(double fraction) {
  return fmt::format("{:.2f}%", 100 * fraction);
}

void CalibrationMarkdown(const OracleCalibration& c, std::string& md) {
  md += "## 1. Atomic oracle calibration\n\n";
  md += fmt::format(
      "{} blocks x {} threads on {} SMs hammer the lines with `red.relaxed.gpu.add`; iterations were tuned "
      "so "
      "that one line alone takes {:.0f} us (measured: {:.1f} us). A size is usable when its match and "
      "no-match "
      "times never overlap and differ by the minimum contrast.\n\n",
      c.blocks, c.threads_per_block, c.sm_count, c.target_us, c.single_line_us);
  md +=
      "| group size | iterations | match (us) | no match (us) | contrast | spreads | threshold (us) | usable "
      "|\n";
  md += "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const GroupContrast& g : c.groups) {
    md += fmt::format("| {} | {} | {:.1f} | {:.1f} | {:.2f} | {:.0f}% / {:.0f}% | {:.1f} | {} |\n",
                      g.group_size, g.iterations, g.match_us, g.no_match_us, g.contrast(),
                      100 * g.match_spread, 100 * g.no_match_spread, g.threshold_us, g.usable ? "yes" : "no");
  }
  if (c.twin_offset > 0) {
    md += fmt::format(
        "\nDiagnostic: pairs of different lines {} bytes apart took {:.1f} us (one line alone {:.1f} us, two "
        "slices {:.1f} us): {}.\n",
        c.twin_offset, c.twin_pair_us, c.single_line_us,
        c.groups.empty() ? 0.0 : c.groups.front().no_match_us,
        c.groups.empty() ? "no pair reference"
        : c.twin_pair_us > c.groups.front().threshold_us
            ? "they behave as one slice, so distinct lines of one slice collapse like a single line"
            : "they behave as two slices (either the offset enters the hash here, or atomics are limited per "
              "line "
              "rather than per slice — then the oracle's 'same' reference is wrong)");
  }
  md += fmt::format(
      "\nChosen group size: **{}**. Calibration: {} measurements, {:.2f} s. During the probe: {} queries, "
      "{:.0f} us each on average (wall, host round trip included), {} re-measurements of the single line, "
      "largest drift {:.1f}%.\n\n",
      c.chosen_group_size, c.calibration_measurements, c.seconds, c.queries,
      c.queries > 0 ? 1e6 * c.query_seconds / c.queries : 0.0, c.recalibrations, 100 * c.max_drift);
}

void SweepMarkdown(const BandwidthSweep& s, std::string& md) {
  md += "## 2. Read bandwidth sweep\n\n";
  md += fmt::format(
      "Reads `block` bytes out of every `period` bytes at `offset` of a {} buffer (L2 flushed before each of "
      "{} timings, median kept). Reading the whole buffer: **{:.0f} GB/s**. Near-full bandwidth for sparse "
      "blocks means each period's blocks spread over (nearly) all channels. Points reading under {} are "
      "skipped (L2 or latency would dominate).\n\n",
      Bytes(s.buffer_bytes), s.repeats, s.full_read_gb_per_s, Bytes(s.min_bytes_read));
  md +=
      "| block | period | offset | read | GB/s | of full | |\n| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const BandwidthPoint& p : s.points) {
    if (p.measured) {
      md += fmt::format("| {} | {} | {} | {} | {:.0f} | {:.0f}% | `{}` |\n", Bytes(p.block_bytes),
                        Bytes(p.period_bytes), Bytes(p.offset_bytes), Bytes(p.bytes_read), p.gb_per_s,
                        100 * p.of_full, Bar(p.of_full, 1.0));
    } else {
      md += fmt::format("| {} | {} | {} | {} | – | – | skipped: {} |\n", Bytes(p.block_bytes),
                        Bytes(p.period_bytes), Bytes(p.offset_bytes), Bytes(p.bytes_read), p.skipped_because);
    }
  }
  md += fmt::format("\nSweep time: {:.1f} s.\n\n", s.seconds);
}

void ClassificationMarkdown(const ChannelProbeResult& r, std::string& md) {
  md += fmt::format("## 3. Classification of page {}\n\n", Hex(r.reference_page));
  md += fmt::format(
      "Invariant bits: `{}` ({} measurements). Classified lines: {} ({}), granule {} B, page {}.\n\n",
      Hex(r.invariant_bits), r.invariance_queries.total(), r.offsets.size(),
      r.whole_page ? "every line with the invariant bits clear: the whole page" : "a random sample",
      r.granule_bytes, Bytes(r.page_bytes));
  md +=
      "| run | classes | pair / group measurements | time (s) | audit: same answered different | "
      "different answered same | repaired | merged | status |\n";
  md += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (size_t i = 0; i < r.runs.size(); ++i) {
    const ClassificationRun& run = r.runs[i];
    md += fmt::format("| {} | {} | {} / {} | {:.1f} | {} | {} | {} | {} | {} |\n", i + 1, run.class_count(),
                      run.queries.pair_queries, run.queries.group_queries, run.seconds,
                      Percent(run.same_pairs_answered_different), Percent(run.different_pairs_answered_same),
                      run.repaired, run.merged, run.status.ok() ? "ok" : run.status.message());
  }
  if (r.stability) {
    md += fmt::format("\nStability (same classes in runs 1 and 2, best renumbering): **{}** of lines ({}).\n",
                      Percent(*r.stability), *r.stability >= 0.99 ? "meets the 99% acceptance" : "below 99%");
  }
  if (const ClassificationRun* run = r.reference_run()) {
    std::vector<int64_t> sizes(run->class_count(), 0);
    for (int32_t label : run->labels) ++sizes[label];
    std::sort(sizes.begin(), sizes.end());
    if (!sizes.empty()) {
      md += fmt::format("\nLines per class (first successful run): min {}, median {}, max {}.\n",
                        sizes.front(), sizes[sizes.size() / 2], sizes.back());
    }
  }
  md += "\n";
}

void ValidationMarkdown(const ChannelProbeResult& r, std::string& md) {
  const ValidationSummary& v = r.validation;
  md += "## 4. Validation: each class read alone from every SM\n\n";
  if (!v.status.ok()) {
    md += fmt::format("Failed: {}\n\n", v.status.message());
    return;
  }
  if (v.classes.empty()) {
    md += "Not run.\n\n";
    return;
  }
  md += fmt::format(
      "Each class's lines (with their invariant-bit twins) were read alone with `ld.global.cg`, and as many "
      "lines spread over all classes; ratio = time alone / time spread (> 1: the class's slice is the "
      "bottleneck). Median ratio **{:.2f}**, smallest {:.2f}; {} of {} classes at or above the collapse "
      "threshold. Control (two spread sets): {:.2f}. Time: {:.1f} s.\n\n",
      v.median_ratio, v.min_ratio, Percent(v.collapsed_fraction), v.classes.size(), v.control_ratio,
      v.seconds);
  // A histogram of the ratios, in bins of 0.5.
  std::map<int, int> bins;
  for (const ClassValidation& c : v.classes) ++bins[static_cast<int>(c.ratio() * 2)];
  int most = 0;
  for (const auto& [bin, count] : bins) most = std::max(most, count);
  md += "| ratio | classes | |\n| --- | --- | --- |\n";
  for (const auto& [bin, count] : bins) {
    md += fmt::format("| {:.1f}-{:.1f} | {} | `{}` |\n", bin / 2.0, (bin + 1) / 2.0, count, Bar(count, most));
  }
  md += "\n";
}

void CrossPageMarkdown(const ChannelProbeResult& r, std::string& md) {
  md += "## 5. Cross-page relation\n\n";
  if (r.cross_pages.empty()) {
    md += "No other page was probed.\n\n";
    return;
  }
  md += fmt::format(
      "Lines of other pages located among the reference page's classes ({:.1f} s). \"Same offset\": the "
      "line's "
      "class is the reference's at the same offset. Translations (whole reference page only): the offset XOR "
      "or addition explaining most lines, with the best unrelated one for comparison (chance: about lines / "
      "classes).\n\n",
      r.cross_page_seconds);
  md +=
      "| page | lines | located | same offset | distinct classes | best XOR (explained / runner-up) | best "
      "addition | swizzle constants |\n";
  md += "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const CrossPageSummary& p : r.cross_pages) {
    const std::string xor_text = p.best_xor ? fmt::format("{} ({} / {})", Hex(p.best_xor->offset_delta),
                                                          p.best_xor->explained, p.best_xor->runner_up)
                                            : "–";
    const std::string add_text = p.best_add ? fmt::format("{} ({} / {})", Hex(p.best_add->offset_delta),
                                                          p.best_add->explained, p.best_add->runner_up)
                                            : "–";
    const std::string swizzle = p.swizzle
                                    ? fmt::format("s={} t={} x={}", Hex(p.swizzle->xor_constant),
                                                  p.swizzle->label_offset, Hex(p.swizzle->output_xor))
                                    : (p.swizzle_failure.empty() ? "–" : "failed: " + p.swizzle_failure);
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", Hex(p.page), p.lines, p.matched,
                      p.same_offset, p.distinct_classes, xor_text, add_text, swizzle);
  }
  md += "\n";
}

void ModelMarkdown(const ChannelProbeResult& r, std::string& md) {
  md += "## 6. Model\n\n";
  if (r.swizzle_fit) {
    md += fmt::format(
        "The page fits \"swizzle then modulo\": constant {} explains {} of lines ({} equally good "
        "constants).\n",
        Hex(r.swizzle_fit->xor_constant), Percent(r.swizzle_fit->agreement),
        r.swizzle_fit->equally_good.size());
  } else if (!r.swizzle_fit_failure.empty()) {
    md += fmt::format("Swizzle-mod fit: {}\n", r.swizzle_fit_failure);
  }
  if (r.model) {
    const char* kind = r.model->kind == HashKind::kPageSwizzleMod ? "page_swizzle_mod"
                       : r.model->kind == HashKind::kPageTable    ? "page_table"
                                                                  : "xor";
    const size_t pages =
        r.model->kind == HashKind::kPageSwizzleMod ? r.model->swizzle_pages.size() : r.model->tables.size();
    md += fmt::format("\nModel written: kind `{}`, {} classes, granule {} B, {} page(s).\n\n", kind,
                      r.model->class_count, r.model->granule_bytes, pages);
  } else {
    md += "\nNo hash model: the whole reference page was not classified.\n\n";
  }
}

json GroupJson(const GroupContrast& g) {
  return {{"group_size", g.group_size},
          {"iterations", g.iterations},
          {"match_us", g.match_us},
          {"no_match_us", g.no_match_us},
          {"match_spread", g.match_spread},
          {"no_match_spread", g.no_match_spread},
          {"threshold_us", g.threshold_us},
          {"contrast", g.contrast()},
          {"usable", g.usable}};
}

json CalibrationJson(const OracleCalibration& c) {
  json groups = json::array();
  for (const GroupContrast& g : c.groups) groups.push_back(GroupJson(g));
  return {{"sm_count", c.sm_count},
          {"blocks", c.blocks},
          {"threads_per_block", c.threads_per_block},
          {"target_us", c.target_us},
          {"single_line_us", c.single_line_us},
          {"twin_offset", c.twin_offset},
          {"twin_pair_us", c.twin_pair_us},
          {"groups", groups},
          {"chosen_group_size", c.chosen_group_size},
          {"calibration_measurements", c.calibration_measurements},
          {"seconds", c.seconds},
          {"recalibrations", c.recalibrations},
          {"max_drift", c.max_drift},
          {"queries", c.queries},
          {"query_seconds", c.query_seconds}};
}

json SweepJson(const BandwidthSweep& s) {
  json points = json::array();
  for (const BandwidthPoint& p : s.points) {
    json point = {{"block_bytes", p.block_bytes},
                  {"period_bytes", p.period_bytes},
                  {"offset_bytes", p.offset_bytes},
                  {"bytes_read", p.bytes_read},
                  {"measured", p.measured}};
    if (p.measured) {
      point["gb_per_s"] = p.gb_per_s;
      point["of_full"] = p.of_full;
    } else {
      point["skipped_because"] = p.skipped_because;
    }
    points.push_back(point);
  }
  return {{"buffer_bytes", s.buffer_bytes},
          {"l2_bytes", s.l2_bytes},
          {"min_bytes_read", s.min_bytes_read},
          {"repeats", s.repeats},
          {"full_read_gb_per_s", s.full_read_gb_per_s},
          {"points", points},
          {"seconds", s.seconds}};
}

json ProbeJson(const ChannelProbeResult& r) {
  json runs = json::array();
  for (const ClassificationRun& run : r.runs) {
    json entry = {{"ok", run.status.ok()},
                  {"classes", run.class_count()},
                  {"pair_queries", run.queries.pair_queries},
                  {"group_queries", run.queries.group_queries},
                  {"seconds", run.seconds},
                  {"same_pairs_answered_different", run.same_pairs_answered_different},
                  {"different_pairs_answered_same", run.different_pairs_answered_same},
                  {"repaired", run.repaired},
                  {"merged", run.merged},
                  {"labels", run.labels}};
    if (!run.status.ok()) entry["error"] = run.status.message();
    runs.push_back(entry);
  }
  json offsets = json::array();
  for (uint64_t o : r.offsets) offsets.push_back(o);
  json validation = {{"ok", r.validation.status.ok()},
                     {"median_ratio", r.validation.median_ratio},
                     {"min_ratio", r.validation.min_ratio},
                     {"collapsed_fraction", r.validation.collapsed_fraction},
                     {"control_ratio", r.validation.control_ratio},
                     {"seconds", r.validation.seconds}};
  if (!r.validation.status.ok()) validation["error"] = r.validation.status.message();
  json classes = json::array();
  for (const ClassValidation& c : r.validation.classes) {
    classes.push_back(
        {{"label", c.label}, {"lines", c.lines}, {"class_us", c.class_us}, {"spread_us", c.spread_us}});
  }
  validation["classes"] = classes;
  json pages = json::array();
  for (const CrossPageSummary& p : r.cross_pages) {
    json page = {{"page", Hex(p.page)},
                 {"lines", p.lines},
                 {"matched", p.matched},
                 {"same_offset", p.same_offset},
                 {"distinct_classes", p.distinct_classes}};
    if (p.best_xor) {
      page["best_xor"] = {{"delta", Hex(p.best_xor->offset_delta)},
                          {"explained", p.best_xor->explained},
                          {"runner_up", p.best_xor->runner_up}};
    }
    if (p.best_add) {
      page["best_add"] = {{"delta", Hex(p.best_add->offset_delta)},
                          {"explained", p.best_add->explained},
                          {"runner_up", p.best_add->runner_up}};
    }
    if (p.swizzle) {
      page["swizzle"] = {{"xor_constant", Hex(p.swizzle->xor_constant)},
                         {"label_offset", p.swizzle->label_offset},
                         {"output_xor", Hex(p.swizzle->output_xor)}};
    }
    if (!p.swizzle_failure.empty()) page["swizzle_failure"] = p.swizzle_failure;
    pages.push_back(page);
  }
  json lines = json::array();
  for (const CrossPageLine& l : r.cross_lines) {
    lines.push_back({{"page", Hex(l.page)},
                     {"offset", l.offset},
                     {"label", l.label ? json(*l.label) : json(nullptr)},
                     {"reference_label", l.reference_label}});
  }
  json out = {{"reference_page", Hex(r.reference_page)},
              {"page_bytes", r.page_bytes},
              {"granule_bytes", r.granule_bytes},
              {"invariant_bits", Hex(r.invariant_bits)},
              {"invariance_queries", r.invariance_queries.total()},
              {"whole_page", r.whole_page},
              {"offsets", offsets},
              {"runs", runs},
              {"stability", r.stability ? json(*r.stability) : json(nullptr)},
              {"validation", validation},
              {"cross_pages", pages},
              {"cross_lines", lines},
              {"cross_page_seconds", r.cross_page_seconds},
              {"notes", r.notes},
              {"seconds", r.seconds}};
  if (r.swizzle_fit) {
    out["swizzle_fit"] = {{"xor_constant", Hex(r.swizzle_fit->xor_constant)},
                          {"agreement", r.swizzle_fit->agreement},
                          {"equally_good", r.swizzle_fit->equally_good.size()}};
  } else if (!r.swizzle_fit_failure.empty()) {
    out["swizzle_fit_failure"] = r.swizzle_fit_failure;
  }
  out["model_written"] = r.model.has_value();
  return out;
}

}  // namespace

std::string ChannelProbeMarkdown(const ChannelProbeReport& report) {
  std::string md =
      fmt::format("# Channel probe: {}\n\n", report.device.name.empty() ? "GPU" : report.device.name);
  md += fmt::format("{} · `{}` · {:.1f} s in all\n\n", report.date_utc, report.command, report.seconds);
  const ProbedDevice& d = report.device;
  md +=
      "| SMs | memory | L2 | persisting L2 max | VMM granularity | driver |\n| --- | --- | --- | --- | --- | "
      "--- |\n";
  md +=
      fmt::format("| {} | {} | {} | {} | {} | {} |\n\n", d.sm_count, Bytes(d.memory_bytes), Bytes(d.l2_bytes),
                  Bytes(d.persisting_l2_max_bytes), Bytes(d.vmm_granularity), d.driver_version);

  md += "## Summary\n\n";
  if (report.probe) {
    const ChannelProbeResult& r = *report.probe;
    const ClassificationRun* run = r.reference_run();
    md += fmt::format("- Lines classified: {} ({}); classes found: {}.\n", r.offsets.size(),
                      r.whole_page ? "whole page" : "sample",
                      run ? std::to_string(run->class_count()) : "none");
    md += r.stability
              ? fmt::format("- Stability over two runs: {} (acceptance: >= 99%).\n", Percent(*r.stability))
              : "- Stability: not measured (fewer than two successful runs).\n";
    if (r.validation.status.ok() && !r.validation.classes.empty()) {
      md +=
          fmt::format("- Reading a class alone: median {:.2f}x slower than a spread set (control {:.2f}x).\n",
                      r.validation.median_ratio, r.validation.control_ratio);
    }
    int64_t lines = 0, located = 0, same = 0;
    for (const CrossPageSummary& p : r.cross_pages) {
      lines += p.lines;
      located += p.matched;
      same += p.same_offset;
    }
    if (lines > 0) {
      md += fmt::format(
          "- Other pages: {} of {} lines located among the reference's classes, {} at the same "
          "offset's class.\n",
          located, lines, same);
    }
  }
  if (!report.calibration_error.empty())
    md += "- Oracle calibration failed: " + report.calibration_error + "\n";
  if (!report.sweep_error.empty()) md += "- Bandwidth sweep failed: " + report.sweep_error + "\n";
  if (!report.probe_error.empty()) md += "- Probe failed: " + report.probe_error + "\n";
  md += "\n";

  if (report.calibration) CalibrationMarkdown(*report.calibration, md);
  if (report.sweep) SweepMarkdown(*report.sweep, md);
  if (report.probe) {
    ClassificationMarkdown(*report.probe, md);
    ValidationMarkdown(*report.probe, md);
    CrossPageMarkdown(*report.probe, md);
    ModelMarkdown(*report.probe, md);
    if (!report.probe->notes.empty()) {
      md += "## Notes\n\n";
      for (const std::string& note : report.probe->notes) md += "- " + note + "\n";
      md += "\n";
    }
  }
  for (const ReportSection& section : report.sections) md += section.markdown;
  return md;
}

Result<std::string> ChannelProbeJson(const ChannelProbeReport& report) {
  const ProbedDevice& d = report.device;
  json out = {{"format", "missile-channel-probe/1"},
              {"command", report.command},
              {"date_utc", report.date_utc},
              {"seconds", report.seconds},
              {"device",
               {{"name", d.name},
                {"sm_count", d.sm_count},
                {"memory_bytes", d.memory_bytes},
                {"l2_bytes", d.l2_bytes},
                {"persisting_l2_max_bytes", d.persisting_l2_max_bytes},
                {"vmm_granularity", d.vmm_granularity},
                {"driver_version", d.driver_version}}}};
  if (report.calibration) out["calibration"] = CalibrationJson(*report.calibration);
  if (!report.calibration_error.empty()) out["calibration_error"] = report.calibration_error;
  if (report.sweep) out["sweep"] = SweepJson(*report.sweep);
  if (!report.sweep_error.empty()) out["sweep_error"] = report.sweep_error;
  if (report.probe) out["probe"] = ProbeJson(*report.probe);
  if (!report.probe_error.empty()) out["probe_error"] = report.probe_error;
  for (const ReportSection& section : report.sections) {
    json value = json::parse(section.json, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
      return Error(ErrorCode::kInternal, "report section '{}' is not valid JSON", section.key);
    }
    out[section.key] = std::move(value);
  }
  return out.dump(1);
}

}  // namespace missile::probe
