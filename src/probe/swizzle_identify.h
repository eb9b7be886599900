// Finds a page's "swizzle then modulo" constants with a few hundred measurements instead of classifying its
// thousands of granules: once one page is known to fit SwizzleModFamily, every further page is two numbers.
//
// IdentifyPageSwizzle keeps a posterior over the page's constant s (its canonical representatives: 2^(w-z-1)
// of them, 1024 for 94 classes) and repeatedly measures the pair of granules on which the candidates disagree
// most evenly (the most informative question; pairs are drawn so that some likely candidate puts them in one
// class), weighting each candidate by (1-p) or p per answer. About a dozen bits of s at ~0.5 bit per noisy
// answer: tens of measurements. A final check of fresh pairs the winner puts in one class rejects pages that
// do not fit.
//
// AlignSwizzlePage then ties the page's numbering to a reference page: it finds a few of its granules among
// the reference's classes (one granule per class, picked with the reference's model) and keeps the one
// numbering of the page — equivalent constant, label offset, output XOR — that explains all of them; after
// the first match, the classes the surviving numberings predict are tried first, so each further granule
// costs a handful of measurements.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "probe/hash_model.h"
#include "probe/oracle.h"
#include "probe/prober.h"
#include "probe/swizzle_fit.h"

namespace missile::probe {

struct SwizzleIdentifyOptions {
  SwizzleModFamily family;
  Address page_base = 0;
  double assumed_noise = 0.1;  // flip rate the posterior assumes: overstating it only costs measurements
  double max_error = 1e-6;     // stop once every other candidate together is less likely than this
  int candidate_pairs = 64;    // pairs weighed before each measurement
  int max_queries = 400;
  int verify_pairs = 48;    // fresh pairs the winner puts in one class, one measurement each
  double max_noise = 0.25;  // the largest share of contradicted answers accepted as noise
  uint64_t seed = 1;
};

struct SwizzleIdentification {
  uint64_t xor_constant = 0;  // canonical (SwizzleModFamily::Canonical)
  double posterior = 0;
  double verify_disagreement = 0;
  QueryStats queries;
};

Result<SwizzleIdentification> IdentifyPageSwizzle(SameClassOracle& oracle,
                                                  const SwizzleIdentifyOptions& options);

struct SwizzleAlignOptions {
  VoteOptions votes;
  int agreeing_granules =
      3;  // matches the chosen (constant, offset) must explain, with no rival explaining as many
  int max_granules = 16;
  uint64_t seed = 1;
};

struct SwizzleAlignment {
  SwizzlePage page;  // numbered like the reference
  QueryStats queries;
};

// `reference` defines the numbering (its label_offset is usually 0); `xor_constant` is the page's constant
// from IdentifyPageSwizzle or FitPageSwizzle, any of its equivalents.
Result<SwizzleAlignment> AlignSwizzlePage(SameClassOracle& oracle, const SwizzleModFamily& family,
                                          const SwizzlePage& reference, Address page_base,
                                          uint64_t xor_constant, const SwizzleAlignOptions& options);

// A kPageSwizzleMod model of pages aligned to one reference (sorted by base).
HashModel SwizzlePageModel(const SwizzleModFamily& family, std::vector<SwizzlePage> pages);

}  // namespace missile::probe
