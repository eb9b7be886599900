// Benchmark (not a test) behind the measured tables of docs/channel-solver.md: runs the solver against
// synthetic oracles over many seeds and prints accuracy, oracle queries and CPU time per configuration.
#include <chrono>
#include <cstdio>

#include "probe/classifier.h"
#include "probe/swizzle_identify.h"
#include "probe/synthetic_oracle.h"
using namespace missile::probe;
int main(int argc, char** argv) {
  int seeds = argc > 1 ? atoi(argv[1]) : 5;
  const uint64_t index_mask = (~uint64_t{0x3ff} | 0x100) & ((uint64_t{1} << 40) - 1);
  SwizzleModFamily family{.in_page_index_mask = 0x1ffd00, .modulus = 94};
  for (double noise : {0.05, 0.10}) {
    long long idq = 0, alq = 0, fails = 0, wrong = 0, pages_total = 0;
    double minacc = 1;
    for (int s = 1; s <= seeds; ++s) {
      SwizzleModHash truth =
          RandomSwizzleModHash(94, index_mask, 12, ((uint64_t{1} << 34) - 1) & ~((uint64_t{1} << 21) - 1), s);
      SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, noise, s * 7 + 1);
      std::vector<SwizzlePage> pages;
      SwizzlePage ref;
      for (int p = 0; p < 6; ++p) {
        Address base = uint64_t((s * 37 + p * 101) % 8192) << 21;
        SwizzleIdentifyOptions o{.family = family, .page_base = base, .seed = uint64_t(s * 100 + p)};
        auto id = IdentifyPageSwizzle(oracle, o);
        pages_total++;
        if (!id.ok()) {
          fails++;
          printf("id fail %s\n", id.status().ToString().c_str());
          continue;
        }
        uint64_t sw = 0;
        for (size_t j = 0; j < truth.swizzle_rows.size(); ++j)
          sw |= uint64_t(__builtin_parityll(base & truth.swizzle_rows[j])) << j;
        if (family.Canonical(sw & 0xfff) != id->xor_constant) {
          wrong++;
          printf("wrong s: %#lx vs %#lx\n", id->xor_constant, family.Canonical(sw & 0xfff));
        }
        idq += id->queries.total();
        if (p == 0) {
          ref = {base, id->xor_constant, 0};
          pages.push_back(ref);
          continue;
        }
        SwizzleAlignOptions align_options;
        align_options.seed = static_cast<uint64_t>(s * 10 + p);
        auto al = AlignSwizzlePage(oracle, family, ref, base, id->xor_constant, align_options);
        if (!al.ok()) {
          fails++;
          printf("align fail %s\n", al.status().ToString().c_str());
          continue;
        }
        alq += al->queries.total();
        pages.push_back(al->page);
      }
      HashModel m = SwizzlePageModel(family, pages);
      std::vector<int32_t> got;
      std::vector<int64_t> want;
      for (auto& pg : pages)
        for (uint64_t i = 0; i < family.granules(); ++i) {
          got.push_back(*m.ClassOf(pg.base + i * 256));
          want.push_back(truth.ClassOf(pg.base + i * 256));
        }
      double acc = LabellingAgreement(got, want);
      minacc = std::min(minacc, acc);
    }
    printf(
        "noise=%.2f pages=%lld fails=%lld wrong=%lld mean identify q=%.1f mean align q=%.1f min acc=%.5f\n",
        noise, pages_total, fails, wrong, double(idq) / pages_total, double(alq) / (pages_total - seeds),
        minacc);
  }
}
