#include "ops/cuda/cudnn/engine_search.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "ops/conv_engine_policy.h"

namespace missile::ops::cuda::cudnn {
namespace {

// The engine configurations one heuristic mode offers, in its ranking; none when the mode does not apply.
std::vector<BackendDescriptor> HeuristicConfigs(const BackendDescriptor& graph, cudnnBackendHeurMode_t mode) {
  std::vector<BackendDescriptor> configs;
  auto heuristics = BackendDescriptor::Create(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
  if (!heuristics.ok()) return configs;
  BackendDescriptor& heur = *heuristics;
  if (!heur.SetDescriptor(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, graph).ok() ||
      !heur.Set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &mode).ok() ||
      heur.TryFinalize() != CUDNN_STATUS_SUCCESS) {
    return configs;
  }
  int64_t count = 0;
  if (cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 0,
                               &count, nullptr) != CUDNN_STATUS_SUCCESS ||
      count <= 0) {
    return configs;
  }
  std::vector<cudnnBackendDescriptor_t> raw;
  for (int64_t i = 0; i < count; ++i) {
    auto config = BackendDescriptor::Create(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
    if (!config.ok()) return {};
    raw.push_back(config->get());
    configs.push_back(std::move(*config));
  }
  int64_t returned = 0;
  if (cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                               count, &returned, raw.data()) != CUDNN_STATUS_SUCCESS) {
    return {};
  }
  configs.resize(static_cast<size_t>(std::clamp<int64_t>(returned, 0, count)));
  return configs;
}

struct ConfigInfo {
  EngineNotes notes;
  std::string key;  // engine index and knob choices: the same configuration in two lists has the same key
};

Result<ConfigInfo> DescribeConfig(const BackendDescriptor& config) {
  MISSILE_ASSIGN_OR_RETURN(BackendDescriptor engine,
                           BackendDescriptor::Create(CUDNN_BACKEND_ENGINE_DESCRIPTOR));
  MISSILE_RETURN_IF_ERROR(config.GetDescriptor(CUDNN_ATTR_ENGINECFG_ENGINE, engine));
  ConfigInfo info;
  MISSILE_ASSIGN_OR_RETURN(auto notes, engine.GetEnums<cudnnBackendNumericalNote_t>(
                                           CUDNN_ATTR_ENGINE_NUMERICAL_NOTE, CUDNN_TYPE_NUMERICAL_NOTE,
                                           CUDNN_NUMERICAL_NOTE_TYPE_COUNT));
  for (cudnnBackendNumericalNote_t note : notes) {
    if (note == CUDNN_NUMERICAL_NOTE_TENSOR_CORE) info.notes.tensor_core = true;
    if (note == CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS) info.notes.down_convert_inputs = true;
    if (note == CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION)
      info.notes.reduced_precision_reduction = true;
  }
  MISSILE_ASSIGN_OR_RETURN(auto behaviour, engine.GetEnums<cudnnBackendBehaviorNote_t>(
                                               CUDNN_ATTR_ENGINE_BEHAVIOR_NOTE, CUDNN_TYPE_BEHAVIOR_NOTE,
                                               CUDNN_BEHAVIOR_NOTE_TYPE_COUNT));
  for (cudnnBackendBehaviorNote_t note : behaviour) {
    if (note == CUDNN_BEHAVIOR_NOTE_RUNTIME_COMPILATION) info.notes.runtime_compiled = true;
  }
  MISSILE_ASSIGN_OR_RETURN(int64_t index, engine.GetInt64(CUDNN_ATTR_ENGINE_GLOBAL_INDEX));
  info.key = fmt::format("eng{}{{", index);
  // Knob choices: read into KNOB_CHOICE descriptors created up front (cuDNN's rule for descriptor lists).
  constexpr int64_t kMaxKnobs = CUDNN_KNOB_TYPE_COUNTS;
  std::vector<BackendDescriptor> choices;
  std::vector<cudnnBackendDescriptor_t> raw;
  for (int64_t i = 0; i < kMaxKnobs; ++i) {
    MISSILE_ASSIGN_OR_RETURN(BackendDescriptor choice,
                             BackendDescriptor::Create(CUDNN_BACKEND_KNOB_CHOICE_DESCRIPTOR));
    raw.push_back(choice.get());
    choices.push_back(std::move(choice));
  }
  int64_t count = 0;
  if (cudnnBackendGetAttribute(config.get(), CUDNN_ATTR_ENGINECFG_KNOB_CHOICES, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                               kMaxKnobs, &count, raw.data()) == CUDNN_STATUS_SUCCESS) {
    for (int64_t i = 0; i < std::min(count, kMaxKnobs); ++i) {
      cudnnBackendKnobType_t type{};
      int64_t value = 0, n = 0;
      if (cudnnBackendGetAttribute(raw[i], CUDNN_ATTR_KNOB_CHOICE_KNOB_TYPE, CUDNN_TYPE_KNOB_TYPE, 1, &n,
                                   &type) != CUDNN_STATUS_SUCCESS ||
          cudnnBackendGetAttribute(raw[i], CUDNN_ATTR_KNOB_CHOICE_KNOB_VALUE, CUDNN_TYPE_INT64, 1, &n,
                                   &value) != CUDNN_STATUS_SUCCESS) {
        continue;
      }
      info.key += fmt::format("{}k{}={}", i > 0 ? "," : "", static_cast<int>(type), value);
    }
  }
  info.key += '}';
  if (info.notes.runtime_compiled) info.key += "+rtc";
  return info;
}

double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<std::vector<ExecutionPlan>> BuildExecutionPlans(cudnnHandle_t handle, const BackendDescriptor& graph,
                                                       const PlanSearchOptions& options,
                                                       PlanSearchCost* cost) {
  PlanSearchCost ignored;
  if (cost == nullptr) cost = &ignored;
  // cuDNN's ranked list first; the fallback list adds engines the ranking leaves out.
  auto started = std::chrono::steady_clock::now();
  std::array<std::vector<BackendDescriptor>, 2> lists = {HeuristicConfigs(graph, CUDNN_HEUR_MODE_A),
                                                         HeuristicConfigs(graph, CUDNN_HEUR_MODE_FALLBACK)};
  cost->heuristics_ms += MillisecondsSince(started);
  std::vector<std::vector<std::string>> keys(lists.size());
  std::vector<std::vector<size_t>> positions(
      lists.size());  // keys[l][k] belongs to lists[l][positions[l][k]]
  for (size_t l = 0; l < lists.size(); ++l) {
    for (size_t i = 0; i < lists[l].size(); ++i) {
      auto info = DescribeConfig(lists[l][i]);
      if (!info.ok()) continue;
      if (!EngineNumericsAcceptable(info->notes, options.float32_data, options.allow_tf32)) continue;
      if (!EngineBehaviourAcceptable(info->notes, options.allow_runtime_compiled)) continue;
      if (!options.only_plan.empty() && info->key != options.only_plan) continue;
      keys[l].push_back(std::move(info->key));
      positions[l].push_back(i);
    }
  }
  std::vector<ExecutionPlan> plans;
  for (const CandidateRef& ref : SelectCandidates(keys, SIZE_MAX)) {
    if (plans.size() >= options.max_plans) break;
    BackendDescriptor& config = lists[ref.list][positions[ref.list][ref.index]];
    MISSILE_ASSIGN_OR_RETURN(BackendDescriptor plan,
                             BackendDescriptor::Create(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR));
    MISSILE_RETURN_IF_ERROR(plan.SetHandle(CUDNN_ATTR_EXECUTION_PLAN_HANDLE, handle));
    MISSILE_RETURN_IF_ERROR(plan.SetDescriptor(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, config));
    started = std::chrono::steady_clock::now();
    const bool finalized = plan.TryFinalize() == CUDNN_STATUS_SUCCESS;
    const double finalize_ms = MillisecondsSince(started);
    if (!finalized) {  // this configuration cannot run the graph
      cost->failed_finalize_ms += finalize_ms;
      ++cost->failed_finalizes;
      continue;
    }
    MISSILE_ASSIGN_OR_RETURN(int64_t workspace, plan.GetInt64(CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE));
    if (workspace < 0 || workspace > options.max_workspace) continue;
    plans.push_back({std::move(plan), workspace, keys[ref.list][ref.index], std::move(config), finalize_ms});
  }
  return plans;
}

}  // namespace missile::ops::cuda::cudnn
