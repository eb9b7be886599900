// Benchmark (not a test) behind the measured tables of docs/channel-solver.md: runs the solver against
// synthetic oracles over many seeds and prints accuracy, oracle queries and CPU time per configuration.
#include <chrono>
#include <cstdio>

#include "probe/page_classifier.h"
#include "probe/synthetic_oracle.h"
using namespace missile::probe;
int main(int argc, char** argv) {
  int seeds = argc > 1 ? atoi(argv[1]) : 5;
  int group = argc > 2 ? atoi(argv[2]) : 1;
  const uint64_t index_mask = ~uint64_t{0x3ff} | 0x100;  // bit 8, bits 10..63
  for (double noise : {0.0, 0.05, 0.10}) {
    for (int s = 1; s <= seeds; ++s) {
      SwizzleModHash truth = RandomSwizzleModHash(94, index_mask & ((uint64_t{1} << 40) - 1), 12,
                                                  ((uint64_t{1} << 34) - 1) & ~((uint64_t{1} << 21) - 1), s);
      SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, noise, s * 7 + 1, group);
      PageProbeOptions o;
      o.page_base = uint64_t(s * 37 % 512) << 21;
      o.classifier.expected_classes = 94;
      o.classifier.seed = s;
      auto t0 = std::chrono::steady_clock::now();
      auto r = ClassifyPage(oracle, o);
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (!r.ok()) {
        printf("noise %.2f seed %d FAIL %s\n", noise, s, r.status().ToString().c_str());
        continue;
      }
      std::vector<int64_t> t;
      for (size_t i = 0; i < r->labels.size(); ++i) t.push_back(truth.ClassOf(o.page_base + i * 256));
      printf(
          "noise=%.2f seed=%d acc=%.5f classes=%ld inv=%#lx pairq=%ld groupq=%ld audit=%.3f/%.3f %.0f ms\n",
          noise, s, LabellingAgreement(r->labels, t), r->class_count(), r->invariant_bits,
          r->queries.pair_queries, r->queries.group_queries, r->same_pairs_answered_different,
          r->different_pairs_answered_same, ms);
    }
  }
}
