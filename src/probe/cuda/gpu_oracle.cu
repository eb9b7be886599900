#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "probe/cuda/gpu_oracle.h"

namespace missile::probe::cuda {
namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n == 0 ? 0 : n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double Spread(const std::vector<double>& values) {
  if (values.empty()) return 0;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const double median = Median(values);
  return median > 0 ? (*hi - *lo) / median : 0;
}

// Distinct random lines of the page.
std::vector<Address> RandomLines(Address page, uint64_t page_bytes, uint64_t granule_bytes, size_t count,
                                 std::mt19937_64& rng) {
  std::vector<uint64_t> all(page_bytes / granule_bytes);
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), rng);
  std::vector<Address> lines;
  for (size_t i = 0; i < std::min(count, all.size()); ++i) lines.push_back(page + all[i] * granule_bytes);
  return lines;
}

}  // namespace

Result<std::unique_ptr<GpuAtomicOracle>> GpuAtomicOracle::Create(LineHammer& hammer, Address page,
                                                                 uint64_t page_bytes, uint64_t granule_bytes,
                                                                 const GpuOracleOptions& options) {
  if (options.max_group_size < 1 || options.max_group_size >= LineHammer::kMaxAtomicLines) {
    return Error(ErrorCode::kInvalidArgument, "group size {} outside 1..{}", options.max_group_size,
                 LineHammer::kMaxAtomicLines - 1);
  }
  if (options.calibration_lines < 4 || options.calibration_repeats < 1 || options.target_us <= 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "calibration needs at least 4 lines, 1 repeat and a positive target time");
  }
  std::unique_ptr<GpuAtomicOracle> oracle(new GpuAtomicOracle(hammer, options));
  MISSILE_RETURN_IF_ERROR(
      oracle->Calibrate(page, page_bytes, granule_bytes).WithContext("calibrating the atomic oracle"));
  return std::move(oracle);  // nvcc does not move into the Result implicitly
}

Result<double> GpuAtomicOracle::Time(std::span<const Address> lines, int group_size) {
  return hammer_.TimeAtomics(lines, iterations_[group_size]);
}

Result<std::vector<double>> GpuAtomicOracle::Repeat(std::span<const Address> lines, int group_size,
                                                    int repeats) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    MISSILE_ASSIGN_OR_RETURN(double us, Time(lines, group_size));
    times.push_back(us);
    ++calibration_.calibration_measurements;
  }
  return times;
}

Result<bool> GpuAtomicOracle::CalibratedDifferent(Address a, Address b) {
  const Address pair[] = {a, b};
  int different = 0;
  for (int r = 0; r < 3; ++r) {
    MISSILE_ASSIGN_OR_RETURN(double us, Time(pair, 1));
    ++calibration_.calibration_measurements;
    different += us < thresholds_[1];
  }
  return different >= 2;
}

Status GpuAtomicOracle::Calibrate(Address page, uint64_t page_bytes, uint64_t granule_bytes) {
  const auto start = Clock::now();
  const int max_group = options_.max_group_size;
  const int repeats = options_.calibration_repeats;
  calibration_.sm_count = hammer_.sm_count();
  calibration_.blocks = hammer_.blocks();
  calibration_.threads_per_block = hammer_.threads();
  calibration_.target_us = options_.target_us;
  iterations_.assign(max_group + 1, 0);
  thresholds_.assign(max_group + 1, 0.0);
  std::vector<Address> pool = RandomLines(page, page_bytes, granule_bytes,
                                          static_cast<size_t>(options_.calibration_lines) + 256, rng_);
  std::vector<Address> extra(pool.begin() + std::min<size_t>(pool.size(), options_.calibration_lines),
                             pool.end());
  pool.resize(std::min<size_t>(pool.size(), options_.calibration_lines));
  reference_line_ = pool.front();

  // (1) Iterations: a line hammered alone (as a pair of itself) should take target_us.
  int iterations = 8;
  iterations_[1] = iterations;
  const Address alone[] = {reference_line_, reference_line_};
  for (int warm = 0; warm < 2; ++warm) MISSILE_RETURN_IF_ERROR(Time(alone, 1).status());
  for (int round = 0; round < 4; ++round) {
    MISSILE_ASSIGN_OR_RETURN(double us, Time(alone, 1));
    iterations =
        static_cast<int>(std::clamp(std::lround(iterations * options_.target_us / us), 1L, 1L << 22));
    iterations_[1] = iterations;
  }

  // (2) The pair reference: lines alone against random pairs (nearly all in different classes).
  std::vector<double> same, random_pairs;
  for (size_t i = 0; i < std::min<size_t>(8, pool.size()); ++i) {
    const Address twice[] = {pool[i], pool[i]};
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> times, Repeat(twice, 1, repeats));
    same.insert(same.end(), times.begin(), times.end());
  }
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  for (int t = 0; t < 24; ++t) {
    const size_t i = pick(rng_);
    size_t j = pick(rng_);
    while (j == i) j = pick(rng_);
    const Address pair[] = {pool[i], pool[j]};
    MISSILE_ASSIGN_OR_RETURN(std::vector<double> times, Repeat(pair, 1, 1));
    random_pairs.push_back(times.front());
  }
  calibration_.single_line_us = Median(same);
  if (options_.twin_offset > 0 && options_.twin_offset < page_bytes) {
    std::vector<double> twins;
    for (size_t i = 0; i < std::min<size_t>(8, pool.size()); ++i) {
      const Address pair[] = {pool[i], page + ((pool[i] - page) ^ options_.twin_offset)};
      MISSILE_ASSIGN_OR_RETURN(std::vector<double> times, Repeat(pair, 1, 1));
      twins.push_back(times.front());
    }
    calibration_.twin_offset = options_.twin_offset;
    calibration_.twin_pair_us = Median(twins);
  }
  const double pair_us = Median(random_pairs);
  if (pair_us <= 0 || calibration_.single_line_us / pair_us < options_.min_contrast) {
    return Error(
        ErrorCode::kFailedPrecondition,
        "no contrast: one line alone took {:.1f} us, random pairs {:.1f} us (ratio {:.2f}, at least {:.2f} "
        "needed); atomics on two lines are not faster than on one",
        calibration_.single_line_us, pair_us, calibration_.single_line_us / pair_us, options_.min_contrast);
  }
  thresholds_[1] = std::sqrt(calibration_.single_line_us * pair_us);

  // (3) Lines in pairwise distinct classes, enough for the largest group plus a non-matching line.
  std::vector<Address> distinct;
  std::vector<Address> candidates = pool;
  candidates.insert(candidates.end(), extra.begin(), extra.end());
  for (Address y : candidates) {
    if (static_cast<int>(distinct.size()) == max_group + 1) break;
    bool apart = true;
    for (Address d : distinct) {
      MISSILE_ASSIGN_OR_RETURN(bool different, CalibratedDifferent(y, d));
      if (!different) {
        apart = false;
        break;
      }
    }
    if (apart) distinct.push_back(y);
  }
  if (distinct.size() < 2) {
    return Error(ErrorCode::kFailedPrecondition, "found no two lines that the pair test tells apart");
  }

  // (4) Match and no-match times for every group size: a group of s distinct lines plus either one of them
  // again or one more distinct line.
  const int largest = std::min<int>(max_group, static_cast<int>(distinct.size()) - 1);
  for (int s = 1; s <= largest; ++s) {
    iterations_[s] = std::max(1, static_cast<int>(std::lround(iterations_[1] * (s + 1) / 2.0)));
    std::vector<double> match, no_match;
    for (int r = 0; r < repeats; ++r) {
      // Match: the first line is a member again (placed first, as SameAsAny puts the asked line first).
      std::vector<Address> lines{distinct[r % s]};
      lines.insert(lines.end(), distinct.begin(), distinct.begin() + s);
      MISSILE_ASSIGN_OR_RETURN(double m, Time(lines, s));
      // No match: s + 1 distinct lines, the asked one rotating through the set.
      lines.clear();
      for (int k = 0; k <= s; ++k) lines.push_back(distinct[(r + k) % (s + 1)]);
      MISSILE_ASSIGN_OR_RETURN(double n, Time(lines, s));
      calibration_.calibration_measurements += 2;
      match.push_back(m);
      no_match.push_back(n);
    }
    GroupContrast contrast;
    contrast.group_size = s;
    contrast.iterations = iterations_[s];
    contrast.match_us = Median(match);
    contrast.no_match_us = Median(no_match);
    contrast.match_spread = Spread(match);
    contrast.no_match_spread = Spread(no_match);
    contrast.threshold_us = std::sqrt(contrast.match_us * contrast.no_match_us);
    contrast.usable =
        contrast.contrast() >= options_.min_contrast &&
        *std::min_element(match.begin(), match.end()) > *std::max_element(no_match.begin(), no_match.end());
    thresholds_[s] = contrast.threshold_us;
    calibration_.groups.push_back(contrast);
  }
  calibration_.chosen_group_size = 0;
  for (const GroupContrast& g : calibration_.groups) {
    if (!g.usable) break;
    calibration_.chosen_group_size = g.group_size;
  }
  calibration_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (calibration_.chosen_group_size < 1) {
    const GroupContrast& pairs = calibration_.groups.front();
    return Error(ErrorCode::kFailedPrecondition,
                 "pairs are not reliably told apart: a line with itself {:.1f} us, two distinct-class lines "
                 "{:.1f} us (ratio {:.2f}), spreads {:.0f}% and {:.0f}%",
                 pairs.match_us, pairs.no_match_us, pairs.contrast(), 100 * pairs.match_spread,
                 100 * pairs.no_match_spread);
  }
  return Status::Ok();
}

void GpuAtomicOracle::Recalibrate() {
  const Address alone[] = {reference_line_, reference_line_};
  std::vector<double> times;
  for (int r = 0; r < 3; ++r) {
    Result<double> us = Time(alone, 1);
    if (!us.ok()) {
      Fail(us.status());
      return;
    }
    times.push_back(*us);
  }
  scale_ = Median(times) / calibration_.single_line_us;
  calibration_.max_drift = std::max(calibration_.max_drift, std::abs(scale_ - 1));
  ++calibration_.recalibrations;
  since_recalibration_ = 0;
}

bool GpuAtomicOracle::Answer(std::span<const Address> lines, int group_size) {
  if (!status_.ok()) return false;
  if (group_size < 1 || group_size >= static_cast<int>(iterations_.size()) || iterations_[group_size] == 0) {
    Fail(Error(ErrorCode::kInvalidArgument, "group of {} lines was not calibrated", group_size));
    return false;
  }
  const auto start = Clock::now();
  if (options_.recalibrate_every > 0 && ++since_recalibration_ >= options_.recalibrate_every) Recalibrate();
  Result<double> us = Time(lines, group_size);
  ++calibration_.queries;
  calibration_.query_seconds += std::chrono::duration<double>(Clock::now() - start).count();
  if (!us.ok()) {
    Fail(us.status());
    return false;
  }
  return *us > thresholds_[group_size] * scale_;
}

bool GpuAtomicOracle::Same(Address a, Address b) {
  const Address pair[] = {a, b};
  return Answer(pair, 1);
}

bool GpuAtomicOracle::SameAsAny(Address a, std::span<const Address> group) {
  if (group.size() == 1) return Same(a, group.front());
  if (group.empty() || group.size() >= LineHammer::kMaxAtomicLines) {
    Fail(Error(ErrorCode::kInvalidArgument, "group of {} lines", group.size()));
    return false;
  }
  Address lines[LineHammer::kMaxAtomicLines];
  lines[0] = a;
  std::copy(group.begin(), group.end(), lines + 1);
  return Answer(std::span<const Address>(lines, group.size() + 1), static_cast<int>(group.size()));
}

void GpuAtomicOracle::Fail(Status status) {
  if (status_.ok()) std::swap(status_, status);  // the first failure is the one to report
}

double GpuAtomicOracle::seconds_per_query() const {
  return calibration_.queries > 0 ? calibration_.query_seconds / static_cast<double>(calibration_.queries)
                                  : 0;
}

}  // namespace missile::probe::cuda
