#include "ops/window_geometry.h"

#include <gtest/gtest.h>

namespace missile::ops {
namespace {

graph::Attributes Window(std::vector<int64_t> kernel, std::vector<int64_t> strides,
                         std::vector<int64_t> pads = {}) {
  graph::Attributes attributes;
  attributes.Set("kernel_shape", std::move(kernel));
  attributes.Set("strides", std::move(strides));
  if (!pads.empty()) attributes.Set("pads", std::move(pads));
  return attributes;
}

WindowGeometry Parse(const graph::Attributes& attributes, Shape input, Shape weight_kernel = {}) {
  auto geometry = ParseWindowGeometry(attributes, input, weight_kernel);
  EXPECT_TRUE(geometry.ok()) << geometry.status().ToString();
  return geometry.ok() ? *geometry : WindowGeometry{};
}

TEST(WindowGeometryTest, ExplicitPadsAndStrides) {
  // ResNet's stem: 224 -> 112 with a 7x7 kernel, stride 2, pad 3.
  const WindowGeometry g = Parse(Window({7, 7}, {2, 2}, {3, 3, 3, 3}), {224, 224});
  EXPECT_EQ(g.output, (Shape{112, 112}));
  EXPECT_EQ(g.dilations, (Shape{1, 1}));
  EXPECT_FALSE(g.IsPointwise());
}

TEST(WindowGeometryTest, AsymmetricPadsAndDilation) {
  graph::Attributes attributes = Window({3, 2}, {1, 1}, {0, 1, 2, 0});
  attributes.Set("dilations", std::vector<int64_t>{2, 1});
  const WindowGeometry g = Parse(attributes, {9, 8});
  EXPECT_EQ(g.pad_begin, (Shape{0, 1}));
  EXPECT_EQ(g.pad_end, (Shape{2, 0}));
  EXPECT_EQ(g.DilatedKernel(0), 5);
  EXPECT_EQ(g.output, (Shape{7, 8}));  // (9 + 2 - 5) + 1, (8 + 1 - 2) + 1
}

TEST(WindowGeometryTest, KernelFromWeight) {
  graph::Attributes attributes;
  const WindowGeometry g = Parse(attributes, {7, 7}, {1, 1});
  EXPECT_EQ(g.kernel, (Shape{1, 1}));
  EXPECT_TRUE(g.IsPointwise());
}

TEST(WindowGeometryTest, KernelShapeMustMatchWeight) {
  graph::Attributes attributes;
  attributes.Set("kernel_shape", std::vector<int64_t>{3, 3});
  EXPECT_FALSE(ParseWindowGeometry(attributes, Shape{7, 7}, Shape{1, 1}).ok());
}

TEST(WindowGeometryTest, PoolingNeedsKernelShape) {
  graph::Attributes attributes;
  const auto geometry = ParseWindowGeometry(attributes, Shape{7, 7});
  ASSERT_FALSE(geometry.ok());
  EXPECT_NE(geometry.status().message().find("kernel_shape"), std::string::npos);
}

TEST(WindowGeometryTest, CeilModeKeepsPartialWindows) {
  graph::Attributes attributes = Window({3}, {2});
  attributes.Set("ceil_mode", int64_t{1});
  EXPECT_EQ(Parse(attributes, {10}).output, (Shape{5}));  // floor would give 4
  attributes.Set("ceil_mode", int64_t{0});
  EXPECT_EQ(Parse(attributes, {10}).output, (Shape{4}));
}

TEST(WindowGeometryTest, CeilModeDropsWindowStartingInTrailingPad) {
  // 9 wide, kernel 3, stride 2, pad 1: ceil((9 + 2 - 3) / 2) + 1 = 5 windows, and the 5th starts at 8 - 1 = 7
  // in the input, so it stays. With kernel 2 and pads [0, 1] on 4: ceil((4 + 1 - 2) / 2) + 1 = 3, but the 3rd
  // window would start at 4 (entirely in the trailing pad) and is dropped.
  graph::Attributes attributes = Window({3}, {2}, {1, 1});
  attributes.Set("ceil_mode", int64_t{1});
  EXPECT_EQ(Parse(attributes, {9}).output, (Shape{5}));
  graph::Attributes edge = Window({2}, {2}, {0, 1});
  edge.Set("ceil_mode", int64_t{1});
  EXPECT_EQ(Parse(edge, {4}).output, (Shape{2}));
}

TEST(WindowGeometryTest, SameUpperAndLower) {
  graph::Attributes attributes = Window({3, 3}, {2, 2});
  attributes.Set("auto_pad", std::string("SAME_UPPER"));
  WindowGeometry g = Parse(attributes, {8, 7});
  EXPECT_EQ(g.output, (Shape{4, 4}));
  EXPECT_EQ(g.pad_begin, (Shape{0, 1}));  // totals 1 and 2: the odd pixel goes last
  EXPECT_EQ(g.pad_end, (Shape{1, 1}));
  attributes.Set("auto_pad", std::string("SAME_LOWER"));
  g = Parse(attributes, {8, 7});
  EXPECT_EQ(g.pad_begin, (Shape{1, 1}));
  EXPECT_EQ(g.pad_end, (Shape{0, 1}));
}

TEST(WindowGeometryTest, ValidIgnoresPads) {
  graph::Attributes attributes = Window({3}, {1}, {1, 1});
  attributes.Set("auto_pad", std::string("VALID"));
  const WindowGeometry g = Parse(attributes, {8});
  EXPECT_EQ(g.output, (Shape{6}));
  EXPECT_EQ(g.pad_begin, (Shape{0}));
}

TEST(WindowGeometryTest, RejectsBadAttributes) {
  EXPECT_FALSE(ParseWindowGeometry(Window({3, 3}, {2}), Shape{7, 7}).ok());     // strides of rank 1
  EXPECT_FALSE(ParseWindowGeometry(Window({3, 3}, {0, 1}), Shape{7, 7}).ok());  // zero stride
  EXPECT_FALSE(ParseWindowGeometry(Window({3}, {1}, {-1, 0}), Shape{7}).ok());  // negative pad
  EXPECT_FALSE(ParseWindowGeometry(Window({5}, {1}), Shape{4}).ok());           // window larger than input
  graph::Attributes attributes = Window({3}, {1});
  attributes.Set("auto_pad", std::string("SAME"));
  EXPECT_FALSE(ParseWindowGeometry(attributes, Shape{7}).ok());
}

TEST(WindowGeometryTest, Window3dLeftPadsDims) {
  const WindowGeometry g = Parse(Window({5}, {2}, {1, 2}), {20});
  const auto w = ToWindow3d(g);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->input, (std::array<int64_t, 3>{1, 1, 20}));
  EXPECT_EQ(w->kernel, (std::array<int64_t, 3>{1, 1, 5}));
  EXPECT_EQ(w->pad_end, (std::array<int64_t, 3>{0, 0, 2}));
  EXPECT_EQ(w->output_size(), 10);
  EXPECT_FALSE(ToWindow3d(Parse(Window({1, 1, 1, 1}, {1, 1, 1, 1}), {2, 2, 2, 2})).ok());
}

TEST(WindowGeometryTest, InsideSteps) {
  // Kernel tap 0 with pad 1, stride 2, over 5 inputs and 3 outputs: positions -1, 1, 3 -> outputs 1 and 2.
  StepRange r = InsideSteps(-1, 2, 5, 3);
  EXPECT_EQ(r.begin, 1);
  EXPECT_EQ(r.end, 3);
  // Tap 2 of the same: positions 1, 3, 5 -> outputs 0 and 1.
  r = InsideSteps(1, 2, 5, 3);
  EXPECT_EQ(r.begin, 0);
  EXPECT_EQ(r.end, 2);
  // Entirely outside.
  r = InsideSteps(7, 1, 5, 3);
  EXPECT_EQ(r.begin, r.end);
  r = InsideSteps(-9, 2, 5, 3);
  EXPECT_EQ(r.begin, r.end);
}

}  // namespace
}  // namespace missile::ops
