#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include "server/shared_memory_registry.h"

namespace missile::server {
namespace {

// A shared-memory object of this test's own (unique per process and test), holding 4 KiB of floats 0, 1, ...
class SharedMemoryRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = "/missile-registry-test-" + std::to_string(getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto created = SharedMemoryMapping::Create(key_, 4096);
    ASSERT_TRUE(created.ok()) << created.status().message();
    object_ = *created;
    auto* floats = reinterpret_cast<float*>(object_->bytes().data());
    for (int i = 0; i < 1024; ++i) floats[i] = static_cast<float>(i);
  }

  std::string key_;
  std::shared_ptr<SharedMemoryMapping> object_;
  SharedMemoryRegistry registry_;
};

TEST_F(SharedMemoryRegistryTest, ReadsTensorsInPlaceWhenAlignedAndByCopyOtherwise) {
  ASSERT_TRUE(registry_.Register("r", key_, 0, 4096).ok());
  auto aligned = registry_.Read({"r", 64, 8}, DataType::kFloat32, {2});
  ASSERT_TRUE(aligned.ok()) << aligned.status().message();
  EXPECT_EQ(aligned->data<float>()[0], 16.0f);
  auto unaligned = registry_.Read({"r", 4, 8}, DataType::kFloat32, {2});
  ASSERT_TRUE(unaligned.ok()) << unaligned.status().message();
  EXPECT_EQ(unaligned->data<float>()[1], 2.0f);
  // In place: the client's later writes show through; the copy keeps what was read.
  reinterpret_cast<float*>(object_->bytes().data())[16] = -1;
  reinterpret_cast<float*>(object_->bytes().data())[1] = -1;
  EXPECT_EQ(aligned->data<float>()[0], -1.0f);
  EXPECT_EQ(unaligned->data<float>()[0], 1.0f);
}

TEST_F(SharedMemoryRegistryTest, ARegionAtAnOffsetIsAddressedFromItsStart) {
  ASSERT_TRUE(registry_.Register("tail", key_, 1024, 2048).ok());  // floats 256 .. 767
  auto tensor = registry_.Read({"tail", 0, 4}, DataType::kFloat32, {1});
  ASSERT_TRUE(tensor.ok()) << tensor.status().message();
  EXPECT_EQ(tensor->data<float>()[0], 256.0f);
  EXPECT_FALSE(registry_.Read({"tail", 2046, 4}, DataType::kFloat32, {1}).ok());
}

TEST_F(SharedMemoryRegistryTest, WritesOutputsAndRefusesWhatDoesNotFit) {
  ASSERT_TRUE(registry_.Register("out", key_, 0, 4096).ok());
  const Tensor output = Tensor::FromVector<float>({2}, std::vector<float>{5, 6});
  ASSERT_TRUE(registry_.Write({"out", 128, 8}, output).ok());
  EXPECT_EQ(reinterpret_cast<float*>(object_->bytes().data())[32], 5.0f);
  EXPECT_EQ(registry_.Write({"out", 128, 4}, output).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_.Write({"out", 4092, 8}, output).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_.Write({"none", 0, 8}, output).code(), ErrorCode::kInvalidArgument);
}

TEST_F(SharedMemoryRegistryTest, ATensorOutlivesItsRegionsUnregistration) {
  ASSERT_TRUE(registry_.Register("r", key_, 0, 4096).ok());
  auto tensor = registry_.Read({"r", 0, 16}, DataType::kFloat32, {4});
  ASSERT_TRUE(tensor.ok());
  ASSERT_TRUE(registry_.Unregister("r").ok());
  object_.reset();  // the object is unlinked; the server's mapping stays while the tensor refers to it
  EXPECT_EQ(tensor->data<float>()[3], 3.0f);
  EXPECT_EQ(registry_.Read({"r", 0, 16}, DataType::kFloat32, {4}).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST_F(SharedMemoryRegistryTest, RefusesBadRegistrations) {
  EXPECT_EQ(registry_.Register("r", "/missile-registry-test-missing", 0, 64).code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry_.Register("r", "no-slash", 0, 64).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_.Register("r", key_, 4000, 200).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_.Register("r", key_, 0, 0).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry_.Register("bad name", key_, 0, 64).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(registry_.Register("r", key_, 0, 64).ok());
  EXPECT_EQ(registry_.Register("r", key_, 0, 64).code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(registry_.Unregister("other").code(), ErrorCode::kNotFound);
  auto listed = registry_.List(std::nullopt);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key, key_);
  EXPECT_EQ(registry_.List(std::string("other")).status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace missile::server
