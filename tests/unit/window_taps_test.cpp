#include "ops/window_taps.h"

#include <gtest/gtest.h>

#include <random>

namespace missile::ops {
namespace {

// The per-output arithmetic GPU pooling kernels use agrees with the tables of ops/window_geometry.h that the
// CPU kernels use, over windows with pads, dilations, strides and ceil_mode overhangs.
TEST(WindowTapsTest, MatchesWindowGeometryTables) {
  std::mt19937 rng(11);
  int checked = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    graph::Attributes attributes;
    const int64_t kernel = 1 + rng() % 5, stride = 1 + rng() % 3, dilation = 1 + rng() % 3;
    const int64_t pad_begin = rng() % 3, pad_end = rng() % 3, input = 1 + rng() % 12;
    attributes.Set("kernel_shape", std::vector<int64_t>{kernel});
    attributes.Set("strides", std::vector<int64_t>{stride});
    attributes.Set("dilations", std::vector<int64_t>{dilation});
    attributes.Set("pads", std::vector<int64_t>{pad_begin, pad_end});
    attributes.Set("ceil_mode", static_cast<int64_t>(rng() % 2));
    auto geometry = ParseWindowGeometry(attributes, Shape{input});
    if (!geometry.ok()) continue;  // window larger than the padded input
    auto window = ToWindow3d(*geometry);
    ASSERT_TRUE(window.ok());
    const WindowAxis axis = WindowAxis::Of(*window, 2);
    const std::vector<StepRange> taps = TapsInsidePerOutput(*window, 2);
    const std::vector<int64_t> padded = TapsInsidePaddingPerOutput(*window, 2);
    for (int64_t o = 0; o < window->output[2]; ++o) {
      const StepRange t = axis.TapsInside(o);
      EXPECT_EQ(t.begin, taps[o].begin);
      EXPECT_EQ(t.end, taps[o].end);
      EXPECT_EQ(axis.TapsInsidePadding(o), padded[o]);
      // The 32-bit form the GPU kernels run, with and (where it applies) without the division by the
      // dilation.
      ASSERT_TRUE(WindowAxis32::Fits(axis, window->output[2]));
      const WindowAxis32 narrow = WindowAxis32::Of(axis);
      int32_t begin, end;
      narrow.TapsInside<false>(static_cast<int32_t>(o), &begin, &end);
      EXPECT_EQ(begin, taps[o].begin);
      EXPECT_EQ(end, taps[o].end);
      EXPECT_EQ(narrow.TapsInsidePadding<false>(static_cast<int32_t>(o)), padded[o]);
      if (dilation == 1) {
        narrow.TapsInside<true>(static_cast<int32_t>(o), &begin, &end);
        EXPECT_EQ(begin, taps[o].begin);
        EXPECT_EQ(end, taps[o].end);
        EXPECT_EQ(narrow.TapsInsidePadding<true>(static_cast<int32_t>(o)), padded[o]);
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(WindowTapsTest, InsideStepsAgree) {
  for (int64_t offset = -7; offset <= 7; ++offset) {
    for (int64_t step = 1; step <= 3; ++step) {
      for (int64_t size = 0; size <= 6; ++size) {
        for (int64_t count = 0; count <= 5; ++count) {
          const StepRange a = InsideSteps(offset, step, size, count);
          const StepRange b = InsideStepsHD(offset, step, size, count);
          EXPECT_EQ(a.begin, b.begin);
          EXPECT_EQ(a.end, b.end);
        }
      }
    }
  }
}

}  // namespace
}  // namespace missile::ops
