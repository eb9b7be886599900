// Turns noisy single measurements into decisions: sequential votes, and "which of these representatives
// shares this granule's class?" — the step every solver in this folder repeats — while counting what it
// costs.
//
// A vote keeps a score (answers "same" minus answers "different") and stops as soon as one side leads by its
// margin. With independent flips of probability p, a wrong decision needs the walk to travel `lead` steps
// against its drift, which happens with probability about (p / (1 - p))^lead, and a decision costs about
// lead / (1 - 2p) measurements. "Same" gets the larger margin because a granule matches one representative
// and differs from all others: a false "same" is the likelier mistake and the costlier one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "probe/oracle.h"

namespace missile::probe {

struct VoteOptions {
  int accept_lead = 5;  // "same" must lead by this many answers to be accepted
  int reject_lead = 3;  // "different" must lead by this many answers to be accepted
  int max_votes =
      31;  // a question still open after this many answers goes to the majority; a tie is "different"
};

struct QueryStats {
  int64_t pair_queries = 0;   // SameClassOracle::Same calls
  int64_t group_queries = 0;  // SameClassOracle::SameAsAny calls with more than one member

  int64_t total() const { return pair_queries + group_queries; }
};

// The state of one sequential vote.
struct Vote {
  int score = 0;  // "same" answers minus "different" answers so far
  int votes = 0;
  bool settled = false;
  bool same = false;  // the decision, once settled
};

class Prober {
 public:
  Prober(SameClassOracle& oracle, const VoteOptions& options) : oracle_(oracle), options_(options) {}

  // One measurement each, counted.
  bool Ask(Address a, Address b);
  bool AskAny(Address a, std::span<const Address> group);

  // Continues `vote` with answers from `ask` until it is settled; returns the decision.
  bool Settle(Vote& vote, const std::function<bool()>& ask);
  // A fresh vote on one pair.
  bool VotedSame(Address a, Address b);

  // The index of the candidate that shares x's class, or nullopt when none does. The candidates must be in
  // pairwise distinct classes (representatives), likeliest first: the scan stops at the first confirmed
  // match. The first `strong_guesses` candidates (predictions of a model) are each voted to a decision, so
  // that one wrong answer does not send a well-predicted granule through every candidate; the others get one
  // measurement each, votes only where the answer was "same", and a second, voted pass before the search
  // concludes "none". With a group oracle, they are scanned max_group_size() at a time and a matching group
  // is bisected: O(C / g + log g) measurements instead of O(C).
  std::optional<size_t> FindMatch(Address x, std::span<const Address> candidates, size_t strong_guesses = 0);

  const QueryStats& stats() const { return stats_; }

 private:
  bool AskGroup(Address x, std::span<const Address> group);
  std::optional<size_t> Scan(Address x, std::span<const Address> candidates);
  // Within a group confirmed to hold x's match: bisects to one candidate and confirms it pairwise, then falls
  // back to a pairwise scan of the group if the bisection was misled. Returns an index into `group`.
  std::optional<size_t> Locate(Address x, std::span<const Address> group);

  SameClassOracle& oracle_;
  VoteOptions options_;
  QueryStats stats_;
};

}  // namespace missile::probe
