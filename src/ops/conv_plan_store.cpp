#include "ops/conv_plan_store.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <system_error>

#include "core/file_io.h"

namespace missile::ops {
namespace {

// 2: winners that passed the check of their values (conv_graph_tuning.cpp); version 1 files predate it.
constexpr int kFormatVersion = 2;

Status ParseInto(const std::string& text, const std::string& path,
                 std::map<std::string, StoredConvPlan>& out) {
  const nlohmann::json file = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!file.is_object() || !file.contains("version") || !file["version"].is_number_integer() ||
      file["version"].get<int>() != kFormatVersion || !file.contains("plans") || !file["plans"].is_object()) {
    return Error(ErrorCode::kInvalidArgument, "{} is not a Missile convolution plan file (version {})", path,
                 kFormatVersion);
  }
  for (const auto& [key, entry] : file["plans"].items()) {
    if (!entry.is_object() || !entry.contains("fused") || !entry["fused"].is_boolean() ||
        !entry.contains("plan") || !entry["plan"].is_string() || entry["plan"].get<std::string>().empty()) {
      return Error(ErrorCode::kInvalidArgument, "{}: the entry for '{}' needs a boolean 'fused' and a 'plan'",
                   path, key);
    }
    out[key] = {entry["fused"].get<bool>(), entry["plan"].get<std::string>()};
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ConvPlanStore>> ConvPlanStore::Open(std::string path) {
  if (path.empty()) return Error(ErrorCode::kInvalidArgument, "the plan file's path is empty");
  std::unique_ptr<ConvPlanStore> store(new ConvPlanStore(std::move(path)));
  std::error_code error;
  if (!std::filesystem::exists(store->path_, error)) return store;
  MISSILE_ASSIGN_OR_RETURN(std::string text, ReadFileBytes(store->path_, "convolution plan file"));
  MISSILE_RETURN_IF_ERROR(ParseInto(text, store->path_, store->plans_));
  return store;
}

std::optional<StoredConvPlan> ConvPlanStore::Find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = plans_.find(key);
  if (it == plans_.end()) return std::nullopt;
  return it->second;
}

size_t ConvPlanStore::size() const {
  std::lock_guard lock(mutex_);
  return plans_.size();
}

Status ConvPlanStore::Put(const std::string& key, const StoredConvPlan& plan) {
  std::lock_guard lock(mutex_);
  plans_[key] = plan;
  nlohmann::json file = {{"version", kFormatVersion}, {"plans", nlohmann::json::object()}};
  for (const auto& [k, p] : plans_) file["plans"][k] = {{"fused", p.fused}, {"plan", p.plan}};
  // Written beside the file and renamed over it: readers see the old file or the new one, never a part.
  const std::string temporary = path_ + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << file.dump(1) << '\n';
    if (!out.flush()) {
      std::remove(temporary.c_str());
      return Error(ErrorCode::kFailedPrecondition, "cannot write the convolution plan file {}", temporary);
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path_, error);
  if (error) {
    std::remove(temporary.c_str());
    return Error(ErrorCode::kFailedPrecondition, "cannot replace the convolution plan file {}: {}", path_,
                 error.message());
  }
  return Status::Ok();
}

}  // namespace missile::ops
