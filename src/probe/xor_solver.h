// Recovers a linear (XOR) hash — class = M·address over GF(2) — for power-of-two class counts, from a noisy
// same-class oracle, with O(n·C) measurements for n address bits and C classes instead of classifying
// granules.
//
// Why single bits suffice: a and b share a class exactly when M·(a XOR b) = 0, whatever a is. So the solver
// only needs M's columns, up to an invertible relabelling of classes: bit i's column is either a new
// direction (bit i joins the basis) or the sum of the columns of a set S of basis bits, which the oracle
// confirms as base XOR e_i sharing a class with base XOR (sum of S). Comparing base XOR e_i with the 2^r
// combinations of the r basis bits found so far (Prober::FindMatch) settles bit i: about 2^(r-1)
// measurements, 2^r and a voted pass when it is new. Then every relation is re-verified from a fresh random
// base (dependent bits with a vote, basis bits against all combinations of the basis bits before them); a
// failed check re-solves that bit and the rounds repeat until one passes clean. Last, an audit of random
// pairs the hash predicts same / different must disagree with the oracle no more than noise does, or the
// solver reports the data inconsistent.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "probe/hash_model.h"
#include "probe/oracle.h"
#include "probe/prober.h"

namespace missile::probe {

struct XorSolverOptions {
  uint64_t address_bits = 0;     // the bits to analyse, e.g. bit 8 and bits 10..29
  Address base = 0;              // probes are base XOR combinations of address_bits
  int64_t expected_classes = 0;  // a power of two when known: a different count is an error; 0: unknown
  int max_rank = 16;             // more than 2^max_rank classes means the answers make no sense
  VoteOptions votes;
  int max_repair_rounds = 4;
  int audit_pairs = 256;    // of each kind, one measurement each
  double max_noise = 0.25;  // the largest audit disagreement accepted as noise rather than inconsistency
  uint64_t seed = 1;        // picks verification bases and audit pairs
};

struct XorSolveResult {
  XorHash hash;  // rows in reduced row echelon form over address_bits: equal row spaces give equal rows
  int64_t bits_repaired = 0;                 // relations the verification rounds corrected
  double same_pairs_answered_different = 0;  // audit: estimates the oracle's flip rate ...
  double different_pairs_answered_same = 0;  // ... from both sides
  QueryStats queries;
};

Result<XorSolveResult> RecoverXorHash(SameClassOracle& oracle, const XorSolverOptions& options);

}  // namespace missile::probe
