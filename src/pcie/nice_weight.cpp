#include "pcie/nice_weight.h"

#include <array>

namespace missile::pcie {
namespace {

constexpr std::array<uint32_t, kMaxNice - kMinNice + 1> kWeights = {
    /* -20 */ 88761, 71755, 56483, 46273, 36291,
    /* -15 */ 29154, 23254, 18705, 14949, 11916,
    /* -10 */ 9548,  7620,  6100,  4904,  3906,
    /*  -5 */ 3121,  2501,  1991,  1586,  1277,
    /*   0 */ 1024,  820,   655,   526,   423,
    /*   5 */ 335,   272,   215,   172,   137,
    /*  10 */ 110,   87,    70,    56,    45,
    /*  15 */ 36,    29,    23,    18,    15,
};

}  // namespace

Result<uint32_t> WeightForNice(int nice) {
  if (nice < kMinNice || nice > kMaxNice) {
    return Error(ErrorCode::kInvalidArgument, "nice value {} is outside [{}, {}]", nice, kMinNice, kMaxNice);
  }
  return kWeights[nice - kMinNice];
}

}  // namespace missile::pcie
