#include "probe/swizzle_fit.h"

#include <algorithm>
#include <bit>

#include "probe/gf2.h"

namespace missile::probe {

int SwizzleModFamily::index_bits() const {
  return std::popcount(in_page_index_mask);
}

uint64_t SwizzleModFamily::Canonical(uint64_t xor_constant) const {
  const uint64_t relabelling = (uint64_t{1} << std::countr_zero(static_cast<uint64_t>(modulus))) - 1;
  const int w = index_bits();
  if ((xor_constant >> (w - 1)) & 1) xor_constant ^= (uint64_t{1} << w) - 1;
  return xor_constant & ~relabelling;
}

std::vector<uint64_t> SwizzleModFamily::Equivalents(uint64_t xor_constant) const {
  const uint64_t canonical = Canonical(xor_constant);
  const uint64_t all_ones = (uint64_t{1} << index_bits()) - 1;
  std::vector<uint64_t> equivalents;
  for (uint64_t mirror : {uint64_t{0}, all_ones}) {
    for (uint64_t x = 0; x < (uint64_t{1} << std::countr_zero(static_cast<uint64_t>(modulus))); ++x) {
      if (!(x == 0 && mirror == 0)) equivalents.push_back(canonical ^ mirror ^ x);
    }
  }
  std::sort(equivalents.begin(), equivalents.end());
  equivalents.insert(equivalents.begin(), canonical);
  return equivalents;
}

uint64_t SwizzleModFamily::Index(uint64_t offset) const {
  return gf2::CompressBits(offset, in_page_index_mask);
}

int64_t SwizzleModFamily::Predict(uint64_t offset, uint64_t xor_constant) const {
  return static_cast<int64_t>((Index(offset) ^ xor_constant) % uint64_t(modulus));
}

Status Validate(const SwizzleModFamily& family) {
  if (!std::has_single_bit(family.granule_bytes) || !std::has_single_bit(family.page_bytes) ||
      family.page_bytes < family.granule_bytes) {
    return Error(ErrorCode::kInvalidArgument, "granule ({}) and page ({}) sizes must be powers of two",
                 family.granule_bytes, family.page_bytes);
  }
  const uint64_t granule_bits = (family.page_bytes - 1) & ~(family.granule_bytes - 1);
  if (family.in_page_index_mask == 0 || (family.in_page_index_mask & ~granule_bits) != 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "index mask {:#x} must be a non-empty subset of the granule bits {:#x}",
                 family.in_page_index_mask, granule_bits);
  }
  // At least two index values per class, and few enough constants to try them all.
  if (family.index_bits() > 24 || family.modulus < 2 ||
      uint64_t(family.modulus) > (uint64_t{1} << (family.index_bits() - 1))) {
    return Error(ErrorCode::kInvalidArgument,
                 "modulus {} over {} index bits: need 2 <= modulus <= 2^(bits - 1) and at most 24 bits",
                 family.modulus, family.index_bits());
  }
  return Status::Ok();
}

Result<PageSwizzleFit> FitPageSwizzle(std::span<const int32_t> page_labels, const SwizzleModFamily& family,
                                      double min_agreement) {
  MISSILE_RETURN_IF_ERROR(Validate(family));
  if (page_labels.size() != family.granules()) {
    return Error(ErrorCode::kInvalidArgument, "{} labels for a page of {} granules", page_labels.size(),
                 family.granules());
  }
  const auto [min_label, max_label] = std::minmax_element(page_labels.begin(), page_labels.end());
  if (*min_label < 0) return Error(ErrorCode::kInvalidArgument, "negative class label {}", *min_label);
  const size_t observed = static_cast<size_t>(*max_label) + 1;
  const size_t modulus = static_cast<size_t>(family.modulus);

  std::vector<uint32_t> index(page_labels.size());
  for (size_t i = 0; i < index.size(); ++i)
    index[i] = static_cast<uint32_t>(family.Index(i * family.granule_bytes));

  // Agreement of a constant: each predicted class votes for the observed class most of its granules carry.
  std::vector<int32_t> counts(modulus * observed);
  PageSwizzleFit fit;
  int64_t best = -1;
  for (uint64_t s = 0; s < (uint64_t{1} << family.index_bits()); ++s) {
    std::fill(counts.begin(), counts.end(), 0);
    for (size_t i = 0; i < index.size(); ++i)
      ++counts[((index[i] ^ s) % modulus) * observed + page_labels[i]];
    int64_t agreeing = 0;
    for (size_t p = 0; p < modulus; ++p) {
      agreeing += *std::max_element(counts.begin() + p * observed, counts.begin() + (p + 1) * observed);
    }
    if (agreeing > best) {
      best = agreeing;
      fit.equally_good.clear();
    }
    if (agreeing == best) fit.equally_good.push_back(s);
  }
  fit.xor_constant = family.Canonical(fit.equally_good.front());
  fit.agreement = double(best) / double(page_labels.size());
  if (fit.agreement < min_agreement) {
    return Error(
        ErrorCode::kFailedPrecondition,
        "the page is not (index XOR s) mod {}: the best constant {:#x} explains {:.2f}% of its granules",
        family.modulus, fit.xor_constant, 100 * fit.agreement);
  }
  return fit;
}

Result<SwizzleRows> FitSwizzleRows(std::span<const PhysicalPageConstant> pages, uint64_t page_address_bits,
                                   const SwizzleModFamily& family) {
  // Bit 63 of each equation stands for the constant term.
  constexpr uint64_t kConstant = uint64_t{1} << 63;
  if (page_address_bits & kConstant) {
    return Error(ErrorCode::kInvalidArgument, "page address bits {:#x} must leave bit 63 free",
                 page_address_bits);
  }
  SwizzleRows result;
  result.rows.assign(family.index_bits(), 0);
  std::vector<gf2::Equation> equations(pages.size());
  for (int j = std::countr_zero(static_cast<uint64_t>(family.modulus)); j < family.index_bits(); ++j) {
    for (size_t p = 0; p < pages.size(); ++p) {
      equations[p] = {(pages[p].physical_base & page_address_bits) | kConstant,
                      ((pages[p].xor_constant >> j) & 1) != 0};
    }
    const std::optional<gf2::Solution> solution = gf2::Solve(equations, page_address_bits | kConstant);
    if (!solution) {
      return Error(ErrorCode::kFailedPrecondition,
                   "bit {} of the page constants is not an affine function of the page address bits {:#x}", j,
                   page_address_bits);
    }
    if (solution->free.dim() > 0) {
      return Error(
          ErrorCode::kInvalidArgument,
          "{} pages leave {} directions of the page address bits {:#x} open: probe pages whose addresses "
          "span them",
          pages.size(), solution->free.dim(), page_address_bits);
    }
    result.rows[j] = solution->x & ~kConstant;
    if (solution->x & kConstant) result.constant |= uint64_t{1} << j;
    result.determined_bits |= uint64_t{1} << j;
  }
  return result;
}

}  // namespace missile::probe
