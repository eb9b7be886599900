#include "probe/prober.h"

#include <algorithm>
#include <vector>

namespace missile::probe {

bool Prober::Ask(Address a, Address b) {
  ++stats_.pair_queries;
  return oracle_.Same(a, b);
}

bool Prober::AskAny(Address a, std::span<const Address> group) {
  ++stats_.group_queries;
  return oracle_.SameAsAny(a, group);
}

bool Prober::AskGroup(Address x, std::span<const Address> group) {
  return group.size() == 1 ? Ask(x, group.front()) : AskAny(x, group);
}

bool Prober::Settle(Vote& vote, const std::function<bool()>& ask) {
  while (!vote.settled) {
    if (vote.score >= options_.accept_lead) {
      vote.same = true;
    } else if (vote.score <= -options_.reject_lead) {
      vote.same = false;
    } else if (vote.votes >= options_.max_votes) {
      vote.same = vote.score > 0;
    } else {
      vote.score += ask() ? 1 : -1;
      ++vote.votes;
      continue;
    }
    vote.settled = true;
  }
  return vote.same;
}

bool Prober::VotedSame(Address a, Address b) {
  Vote vote;
  return Settle(vote, [&] { return Ask(a, b); });
}

std::optional<size_t> Prober::Locate(Address x, std::span<const Address> group) {
  size_t begin = 0;
  size_t size = group.size();
  while (size > 1) {
    const std::span<const Address> first_half = group.subspan(begin, size / 2);
    Vote vote;
    if (Settle(vote, [&] { return AskGroup(x, first_half); })) {
      size = first_half.size();
    } else {
      begin += first_half.size();
      size -= first_half.size();
    }
  }
  if (group.size() == 1 || VotedSame(x, group[begin])) return begin;
  for (size_t i = 0; i < group.size(); ++i) {
    if (i != begin && VotedSame(x, group[i])) return i;
  }
  return std::nullopt;
}

std::optional<size_t> Prober::FindMatch(Address x, std::span<const Address> candidates,
                                        size_t strong_guesses) {
  strong_guesses = std::min(strong_guesses, candidates.size());
  for (size_t i = 0; i < strong_guesses; ++i) {
    if (VotedSame(x, candidates[i])) return i;
  }
  const std::optional<size_t> match = Scan(x, candidates.subspan(strong_guesses));
  if (!match) return std::nullopt;
  return strong_guesses + *match;
}

std::optional<size_t> Prober::Scan(Address x, std::span<const Address> candidates) {
  const size_t group_size = static_cast<size_t>(std::max(1, oracle_.max_group_size()));
  const size_t groups = (candidates.size() + group_size - 1) / group_size;
  auto group_at = [&](size_t g) {
    return candidates.subspan(g * group_size, std::min(group_size, candidates.size() - g * group_size));
  };
  auto try_group = [&](size_t g, Vote& vote) -> std::optional<size_t> {
    const std::span<const Address> group = group_at(g);
    if (!Settle(vote, [&] { return AskGroup(x, group); })) return std::nullopt;
    const std::optional<size_t> within = Locate(x, group);
    if (!within) return std::nullopt;
    return g * group_size + *within;
  };

  // Quick pass: one measurement per group; only "same" answers are followed up, since at most one group
  // matches.
  std::vector<Vote> votes(groups);
  for (size_t g = 0; g < groups; ++g) {
    Vote& vote = votes[g];
    vote.votes = 1;
    vote.score = AskGroup(x, group_at(g)) ? 1 : -1;
    if (vote.score > 0) {
      if (const auto match = try_group(g, vote)) return match;
    }
  }
  // Nothing confirmed: either x is in no candidate's class or its match was answered "different" once. Settle
  // every open vote before concluding; this pass runs for every new class and for about a fraction p of the
  // other granules.
  for (size_t g = 0; g < groups; ++g) {
    if (votes[g].settled) continue;
    if (const auto match = try_group(g, votes[g])) return match;
  }
  return std::nullopt;
}

}  // namespace missile::probe
