#include "ops/conv_plan_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace missile::ops {
namespace {

namespace fs = std::filesystem;

class ConvPlanStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("missile-plan-store-" + std::to_string(::getpid()) + "-" +
                                        testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& text) {
    const std::string path = (dir_ / "plans.json").string();
    std::ofstream(path) << text;
    return path;
  }

  fs::path dir_;
};

TEST_F(ConvPlanStoreTest, AMissingFileIsAnEmptyStore) {
  auto store = ConvPlanStore::Open((dir_ / "none.json").string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->size(), 0u);
  EXPECT_FALSE((*store)->Find("any").has_value());
  EXPECT_FALSE(fs::exists(dir_ / "none.json")) << "opening must not create the file";
}

TEST_F(ConvPlanStoreTest, EntriesSurviveIntoTheNextProcessesStore) {
  const std::string path = (dir_ / "plans.json").string();
  {
    auto store = ConvPlanStore::Open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("H200 sm90 cudnn91900/shape-a", {true, "eng12{k1=2,k3=0}+rtc"}).ok());
    ASSERT_TRUE((*store)->Put("H200 sm90 cudnn91900/shape-b", {false, "eng3{}"}).ok());
    ASSERT_TRUE((*store)->Put("H200 sm90 cudnn91900/shape-b", {true, "eng4{k2=1}"}).ok());  // replaces
  }
  auto reopened = ConvPlanStore::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->size(), 2u);
  EXPECT_EQ((*reopened)->Find("H200 sm90 cudnn91900/shape-a"),
            (StoredConvPlan{true, "eng12{k1=2,k3=0}+rtc"}));
  EXPECT_EQ((*reopened)->Find("H200 sm90 cudnn91900/shape-b"), (StoredConvPlan{true, "eng4{k2=1}"}));
  EXPECT_FALSE((*reopened)->Find("H200 sm90 cudnn91400/shape-a").has_value()) << "another cuDNN, another key";
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename(), "plans.json") << "a temporary file was left behind";
  }
}

TEST_F(ConvPlanStoreTest, AFileThatIsNotAPlanFileIsRefusedByName) {
  for (const std::string text :
       {"not json", "[]", R"({"version": 1, "plans": {}})", R"({"version": "2", "plans": {}})",
        R"({"version": null, "plans": {}})", R"({"version": 2})",
        R"({"version": 2, "plans": {"k": {"fused": 1, "plan": "eng1{}"}}})",
        R"({"version": 2, "plans": {"k": {"fused": true, "plan": ""}}})"}) {
    const std::string path = Write(text);
    auto store = ConvPlanStore::Open(path);
    ASSERT_FALSE(store.ok()) << text;
    EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  }
}

TEST_F(ConvPlanStoreTest, AnUnwritableFileFailsThePutButKeepsTheEntryForThisProcess) {
  auto store = ConvPlanStore::Open((dir_ / "missing-dir" / "plans.json").string());
  ASSERT_TRUE(store.ok());
  const Status put = (*store)->Put("k", {false, "eng1{}"});
  EXPECT_EQ(put.code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ((*store)->Find("k"), (StoredConvPlan{false, "eng1{}"}));
}

TEST_F(ConvPlanStoreTest, AnEmptyPathIsRefused) {
  EXPECT_EQ(ConvPlanStore::Open("").status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace missile::ops
