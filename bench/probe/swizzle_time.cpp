// Benchmark (not a test) behind the measured tables of docs/channel-solver.md: runs the solver against
// synthetic oracles over many seeds and prints accuracy, oracle queries and CPU time per configuration.
#include <chrono>
#include <cstdio>

#include "probe/swizzle_identify.h"
#include "probe/synthetic_oracle.h"
using namespace missile::probe;
using C = std::chrono::steady_clock;
int main() {
  SwizzleModFamily family{.in_page_index_mask = 0x1ffd00, .modulus = 94};
  SwizzleModHash truth = H200LikeSwizzleModHash(5);
  SyntheticOracle oracle([&](Address a) { return truth.ClassOf(a); }, 0.05, 3);
  double tid = 0, tal = 0;
  SwizzlePage ref;
  int n = 40;
  for (int p = 0; p < n; ++p) {
    Address base = uint64_t((p * 997) % 8192) << 21;
    auto t0 = C::now();
    auto id = IdentifyPageSwizzle(oracle, {.family = family, .page_base = base, .seed = uint64_t(p + 1)});
    auto t1 = C::now();
    tid += std::chrono::duration<double>(t1 - t0).count();
    if (p == 0) {
      ref = {base, id->xor_constant, 0, 0};
      continue;
    }
    SwizzleAlignOptions ao;
    ao.seed = p;
    auto al = AlignSwizzlePage(oracle, family, ref, base, id->xor_constant, ao);
    tal += std::chrono::duration<double>(C::now() - t1).count();
    if (!al.ok()) printf("fail\n");
  }
  printf("identify %.1f ms/page, align %.1f ms/page\n", 1000 * tid / n, 1000 * tal / (n - 1));
}
