// How many threads one BLAS call (GEMM in convolutions and matrix products) may use in the server.
//
// A single model gets its fastest run when OpenBLAS spreads each GEMM over every core. Several tenants
// running at once do not: each GEMM's threads then spin waiting for cores the other tenants hold (measured on
// the 2-core CI machine: 5 s of system time in 8 s of three Poisson streams, against 0.7 s with one thread
// per call, and p99 halved). So when several tenants compute at once (per-tenant workers) the server runs
// each BLAS call on one thread and lets the tenants run in parallel instead. On the compute scheduler's CPU
// device one kernel computes at a time (sched/cpu_partition_launcher.h), so each gets BLAS's default.
#pragma once

namespace missile::server {

// `configured` > 0: that many threads; 0: one when computing_at_once > 1 (tenants computing side by side),
// else BLAS's own default. Returns the count now in force.
int ConfigureBlasThreads(int configured, int computing_at_once);

}  // namespace missile::server
