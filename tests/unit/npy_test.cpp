#include "core/npy.h"

#include <gtest/gtest.h>

namespace missile {
namespace {

TEST(NpyTest, RoundTripsEveryDtypeAndRank) {
  for (DataType dtype : {DataType::kFloat32, DataType::kFloat16, DataType::kFloat64, DataType::kInt64,
                         DataType::kInt32, DataType::kInt8, DataType::kUInt8, DataType::kBool}) {
    for (const Shape& shape : {Shape{}, Shape{5}, Shape{2, 3}, Shape{1, 3, 4, 2}, Shape{0, 4}}) {
      Tensor t(dtype, shape);
      auto* bytes = static_cast<uint8_t*>(t.raw_data());
      for (size_t i = 0; i < t.nbytes(); ++i)
        bytes[i] = dtype == DataType::kBool ? i % 2 : static_cast<uint8_t>(i * 7);
      auto parsed = ParseNpy(SerializeNpy(t), "test");
      ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
      EXPECT_EQ(parsed->dtype(), dtype);
      EXPECT_EQ(parsed->shape(), shape);
      ASSERT_EQ(parsed->nbytes(), t.nbytes());
      EXPECT_EQ(0, std::memcmp(parsed->raw_data(), t.raw_data(), t.nbytes()));
    }
  }
}

TEST(NpyTest, HeaderIsPaddedToSixtyFourBytesLikeNumpy) {
  const std::string bytes = SerializeNpy(Tensor(DataType::kFloat32, {3}));
  EXPECT_EQ((bytes.size() - 12) % 64, 0u);
  EXPECT_NE(bytes.find("'shape': (3,)"), std::string::npos);
}

TEST(NpyTest, RejectsTruncatedData) {
  std::string bytes = SerializeNpy(Tensor(DataType::kFloat32, {4, 4}));
  bytes.resize(bytes.size() - 4);
  auto parsed = ParseNpy(bytes, "x.npy");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("needs 64"), std::string::npos) << parsed.status().message();
}

TEST(NpyTest, RejectsBadMagicFortranOrderAndUnknownDtype) {
  EXPECT_FALSE(ParseNpy("not a numpy file at all", "x").ok());
  std::string fortran = SerializeNpy(Tensor(DataType::kFloat32, {2, 2}));
  fortran.replace(fortran.find("False"), 5, "True ");
  auto f = ParseNpy(fortran, "x");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("Fortran"), std::string::npos);
  std::string complex = SerializeNpy(Tensor(DataType::kFloat64, {2}));
  complex.replace(complex.find("<f8"), 3, "<c8");
  auto c = ParseNpy(complex, "x");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("<c8"), std::string::npos);
}

TEST(NpyTest, FileNamesReplaceUnsafeCharacters) {
  EXPECT_EQ(NpyFileName("input.1"), "input.1.npy");
  EXPECT_EQ(NpyFileName("/layer1/Relu_output_0"), "_layer1_Relu_output_0.npy");
  EXPECT_EQ(NpyFileName("a b:c"), "a_b_c.npy");
}

}  // namespace
}  // namespace missile
