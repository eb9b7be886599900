#include <gtest/gtest.h>

#include <cstdint>

#include "server/body_buffer.h"

namespace missile::server {
namespace {

bool Aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % 64 == 0;
}

TEST(BodyBufferTest, PlacesTheBinaryPartOnA64ByteBoundary) {
  BodyBuffer buffer;
  for (size_t json_length : {0, 1, 63, 64, 65, 200, 4095}) {
    std::span<std::byte> body = buffer.Prepare(10000, json_length);
    ASSERT_EQ(body.size(), 10000u);
    EXPECT_TRUE(Aligned(body.data() + json_length)) << json_length;
    EXPECT_EQ(buffer.owner().get(), body.data());
    buffer.Finish();
  }
  // An offset outside the body (no binary part) leaves the body itself aligned.
  EXPECT_TRUE(Aligned(buffer.Prepare(100, 100).data()));
}

TEST(BodyBufferTest, ReusesItsStorageUnlessSomethingStillHoldsIt) {
  BodyBuffer buffer;
  std::byte* first = buffer.Prepare(1 << 20, 100).data();
  buffer.Finish();
  std::byte* second = buffer.Prepare(1 << 20, 100).data();
  EXPECT_EQ(first, second);                            // same storage, same placement
  std::shared_ptr<std::byte[]> held = buffer.owner();  // e.g. a tensor of the last request, still in use
  buffer.Finish();
  std::byte* third = buffer.Prepare(1 << 20, 100).data();
  EXPECT_NE(third, second);
  EXPECT_EQ(held.get(), second);  // the held body was left as it was
  buffer.Finish();
}

TEST(BodyBufferTest, GivesBackLargeStorageAfterTheRequest) {
  BodyBuffer buffer;
  buffer.Prepare(BodyBuffer::kKeepBytes + 1, 0);
  EXPECT_GT(buffer.capacity(), BodyBuffer::kKeepBytes);
  buffer.Finish();
  EXPECT_EQ(buffer.capacity(), 0u);
  buffer.Prepare(1000, 0);
  buffer.Finish();
  EXPECT_GT(buffer.capacity(), 0u);
}

}  // namespace
}  // namespace missile::server
