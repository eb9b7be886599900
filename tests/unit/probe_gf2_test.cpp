#include <gtest/gtest.h>

#include <random>

#include "probe/gf2.h"

namespace missile::probe::gf2 {
namespace {

TEST(ProbeGf2Test, CompressAndExpandBitsAreInverse) {
  EXPECT_EQ(CompressBits(0b101100, 0b111000), 0b101u);
  EXPECT_EQ(ExpandBits(0b101, 0b111000), 0b101000u);
  // The H200 granule index: bit 8 and bits 10..20, bit 9 left out.
  const uint64_t mask = 0x1ffd00;
  EXPECT_EQ(CompressBits(0x400, mask), 0b10u);
  EXPECT_EQ(CompressBits(0x200, mask), 0u);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t m = rng();
    const uint64_t v = rng();
    EXPECT_EQ(ExpandBits(CompressBits(v, m), m), v & m);
    EXPECT_EQ(BitPositions(m).size(), static_cast<size_t>(std::popcount(m)));
  }
}

TEST(ProbeGf2Test, SubspaceKeepsOneReducedBasisPerSpan) {
  Subspace s;
  EXPECT_TRUE(s.Insert(0b0110));
  EXPECT_TRUE(s.Insert(0b0011));
  EXPECT_FALSE(s.Insert(0b0101));  // the sum of the first two
  EXPECT_FALSE(s.Insert(0));
  EXPECT_EQ(s.dim(), 2);
  EXPECT_TRUE(s.Contains(0b0101));
  EXPECT_FALSE(s.Contains(0b1000));

  // Two random generating sets of one span give identical bases.
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<Vec> generators;
    for (int i = 0; i < 6; ++i) generators.push_back(rng() & 0xffffff);
    const Subspace a(generators);
    std::vector<Vec> mixed;
    for (int i = 0; i < 10; ++i) mixed.push_back(a.Combination(rng() & ((Bit(a.dim())) - 1)));
    for (Vec b : a.basis()) mixed.push_back(b ^ a.Combination(rng() & ((Bit(a.dim())) - 1)));
    const Subspace b(mixed);
    ASSERT_EQ(b.dim(), a.dim());  // the basis vectors were mixed invertibly
    EXPECT_EQ(a, b);
    EXPECT_EQ(Rank(generators), a.dim());
  }
}

TEST(ProbeGf2Test, AnnihilatorIsTheOrthogonalComplementWithinTheUniverse) {
  std::mt19937_64 rng(11);
  const Vec universe = 0x3ffffd00;  // bit 8 and bits 10..29
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Vec> generators;
    for (int i = 0; i < static_cast<int>(rng() % 12); ++i) generators.push_back(rng() & universe);
    const Subspace v(generators);
    const Subspace annihilator = v.Annihilator(universe);
    EXPECT_EQ(v.dim() + annihilator.dim(), std::popcount(universe));
    for (Vec a : annihilator.basis()) {
      EXPECT_EQ(a & ~universe, 0u);
      for (Vec b : v.basis()) EXPECT_EQ(Dot(a, b), 0);
    }
    EXPECT_EQ(annihilator.Annihilator(universe), v);
  }
}

TEST(ProbeGf2Test, SolveFindsEverySolutionOrReportsAContradiction) {
  std::mt19937_64 rng(13);
  const Vec universe = 0xfff;
  for (int trial = 0; trial < 200; ++trial) {
    const Vec x = rng() & universe;
    std::vector<Equation> equations;
    for (int i = 0; i < static_cast<int>(rng() % 16); ++i) {
      const Vec a = rng() & universe;
      equations.push_back({a, Dot(a, x) != 0});
    }
    const std::optional<Solution> solution = Solve(equations, universe);
    ASSERT_TRUE(solution.has_value());
    std::vector<Vec> rows;
    for (const Equation& e : equations) {
      EXPECT_EQ(Dot(e.a, solution->x) != 0, e.b);
      rows.push_back(e.a);
    }
    EXPECT_EQ(solution->free.dim(), std::popcount(universe) - Rank(rows));
    EXPECT_TRUE(solution->free.Contains(x ^ solution->x));  // the planted solution is among them
  }
  const std::vector<Equation> contradiction = {{0b011, true}, {0b110, false}, {0b101, false}};
  EXPECT_FALSE(Solve(contradiction, 0b111).has_value());
}

}  // namespace
}  // namespace missile::probe::gf2
