// Benchmark (not a test) behind the measured tables of docs/channel-solver.md: runs the solver against
// synthetic oracles over many seeds and prints accuracy, oracle queries and CPU time per configuration.
#include <bit>
#include <cstdio>

#include "probe/synthetic_oracle.h"
#include "probe/xor_solver.h"
using namespace missile::probe;
int main(int argc, char** argv) {
  int seeds = argc > 1 ? atoi(argv[1]) : 200;
  struct C {
    int classes, bits;
    double noise;
  };
  for (C c : {C{8, 20, 0.05}, C{8, 20, 0.1}, C{16, 24, 0.05}, C{16, 24, 0.1}, C{32, 28, 0.05}, C{32, 28, 0.1},
              C{64, 30, 0.05}, C{64, 30, 0.1}, C{64, 30, 0.15}, C{64, 30, 0.2}}) {
    int ok = 0, exact = 0;
    long long qsum = 0, qmax = 0;
    for (int s = 1; s <= seeds; ++s) {
      uint64_t bits = ((uint64_t{1} << c.bits) - 1) << 8;
      XorHash truth = RandomXorHash(std::countr_zero((unsigned)c.classes), bits, s);
      SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, c.noise, s * 101 + 7);
      XorSolverOptions o;
      o.address_bits = bits;
      o.base = uint64_t{7} << 40;
      o.expected_classes = c.classes;
      o.seed = static_cast<uint64_t>(s);
      auto r = RecoverXorHash(oracle, o);
      if (r.ok()) {
        ok++;
        exact += r->hash.RowSpace() == truth.RowSpace();
        qsum += r->queries.total();
        qmax = std::max<long long>(qmax, r->queries.total());
      } else if (c.noise <= 0.1)
        printf("  fail seed %d: %s\n", s, r.status().ToString().c_str());
    }
    printf("classes=%d bits=%d noise=%.2f ok=%d exact=%d/%d mean_q=%.0f max_q=%lld\n", c.classes, c.bits,
           c.noise, ok, exact, seeds, ok ? double(qsum) / ok : 0, qmax);
  }
}
