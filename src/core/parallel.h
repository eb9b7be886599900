// A fixed pool of worker threads for data-parallel loops inside one kernel.
//
// The CPU backend runs one kernel at a time per executor, so a kernel may use every core; OpenBLAS brings its
// own threads for GEMM and the pool sleeps meanwhile. Small loops run inline: waking threads costs
// microseconds.
#pragma once

#include <cstdint>

#include "core/function_ref.h"

namespace missile {

// Calls body(begin, end) on disjoint chunks covering [0, count), in parallel when count >= 2 * min_chunk.
// The body is referenced, not copied: no allocation per loop.
void ParallelFor(int64_t count, int64_t min_chunk, FunctionRef<void(int64_t, int64_t)> body);

// Number of threads ParallelFor uses (the caller included).
int ParallelThreadCount();

}  // namespace missile
