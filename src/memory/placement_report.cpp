#include "memory/placement_report.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "memory/physical_placement.h"
#include "memory/placement_analysis.h"

namespace missile::memory {
namespace {

std::string Bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0)
    return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

std::vector<ClassifiedLine> Lines(const probe::ChannelProbeResult& result) {
  std::vector<ClassifiedLine> lines;
  if (const probe::ClassificationRun* run = result.reference_run()) {
    for (size_t i = 0; i < result.offsets.size(); ++i) {
      lines.push_back({result.reference_page + result.offsets[i], run->labels[i]});
    }
  }
  for (const probe::CrossPageLine& line : result.cross_lines) {
    if (line.label) lines.push_back({line.page + line.offset, *line.label});
  }
  return lines;
}

Result<PlacementAnalysis> Analyze(const probe::ChannelProbeResult& result, uint64_t unit_bytes) {
  if (result.model) return AnalyzePlacement(*result.model, unit_bytes);
  const probe::ClassificationRun* run = result.reference_run();
  if (run == nullptr) return Error(ErrorCode::kFailedPrecondition, "no classification to analyse");
  const std::vector<UnitClasses> units =
      UnitsFromLines(Lines(result), result.granule_bytes, unit_bytes, result.invariant_bits);
  return AnalyzeUnits(units, run->class_count(), unit_bytes);
}

nlohmann::json AnalysisJson(const PlacementAnalysis& a) {
  return {{"unit_bytes", a.unit_bytes},
          {"class_count", a.class_count},
          {"units", a.units},
          {"complete_units", a.complete_units},
          {"min_classes_per_unit", a.min_classes_per_unit},
          {"max_classes_per_unit", a.max_classes_per_unit},
          {"mean_classes_per_unit", a.mean_classes_per_unit},
          {"min_fraction_per_unit", a.min_fraction_per_unit()},
          {"unseen_classes", a.unseen_classes},
          {"units_touching_all", a.units_touching_all},
          {"zero_waste_colors", a.colors.size()},
          {"disjoint_units_exist", a.disjoint_units_exist},
          {"isolation", IsolationName(a.isolation)},
          {"summary", a.Summary()}};
}

}  // namespace

probe::ReportSection PlacementSection(const probe::ChannelProbeResult& result, uint64_t vmm_granularity,
                                      const std::vector<uint64_t>& granularities) {
  probe::ReportSection section;
  section.key = "placement";
  nlohmann::json json;
  std::string md = "## 7. Placement: what each granularity could isolate\n\n";
  md += result.model
            ? "From the page model (every line of the probed pages known).\n\n"
            : "From the classified lines only (units observed in part): \"none\" is a proof, anything "
              "else is undetermined until whole pages are classified.\n\n";
  std::vector<uint64_t> units = granularities;
  if (vmm_granularity > 0) units.push_back(vmm_granularity);
  std::sort(units.begin(), units.end());
  units.erase(std::unique(units.begin(), units.end()), units.end());
  md +=
      "| unit | units analysed (complete) | classes per unit: min / mean / max | isolation | zero-waste "
      "colors |\n";
  md += "| --- | --- | --- | --- | --- |\n";
  nlohmann::json rows = nlohmann::json::array();
  std::optional<PlacementAnalysis> vmm;
  for (uint64_t unit : units) {
    Result<PlacementAnalysis> analysis = Analyze(result, unit);
    if (!analysis.ok()) {
      md += fmt::format("| {} | – | – | {} | – |\n", Bytes(unit), analysis.status().message());
      rows.push_back({{"unit_bytes", unit}, {"error", analysis.status().message()}});
      continue;
    }
    md += fmt::format("| {} | {} ({}) | {} / {:.1f} / {} of {} | {} | {} |\n", Bytes(unit), analysis->units,
                      analysis->complete_units, analysis->min_classes_per_unit,
                      analysis->mean_classes_per_unit, analysis->max_classes_per_unit, analysis->class_count,
                      IsolationName(analysis->isolation), analysis->colors.size());
    rows.push_back(AnalysisJson(*analysis));
    if (unit == vmm_granularity) vmm = *analysis;
  }
  json["granularities"] = rows;
  md += "\n**CUDA VMM backend** (";
  md += Bytes(vmm_granularity);
  md += " pages): ";
  if (vmm) {
    md += vmm->Summary() + "\n\n";
    json["vmm"] = AnalysisJson(*vmm);
  } else {
    md += "not analysed.\n\n";
  }
  const Status physical = PatchedDriverPlacement();
  md += "**Physical-address backend**: not available here: " + physical.message() + ".\n\n";
  json["physical_backend"] = {{"available", false}, {"reason", physical.message()}};
  section.json = json.dump();
  section.markdown = std::move(md);
  return section;
}

}  // namespace missile::memory
