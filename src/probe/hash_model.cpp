#include "probe/hash_model.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <nlohmann/json.hpp>

namespace missile::probe {
namespace {

constexpr std::string_view kFormat = "missile-channel-hash/1";

std::string_view KindName(HashKind kind) {
  switch (kind) {
    case HashKind::kXor:
      return "xor";
    case HashKind::kPageSwizzleMod:
      return "page_swizzle_mod";
    case HashKind::kPageTable:
      return "page_table";
  }
  return "?";
}

std::optional<HashKind> KindFromName(std::string_view name) {
  for (HashKind kind : {HashKind::kXor, HashKind::kPageSwizzleMod, HashKind::kPageTable}) {
    if (KindName(kind) == name) return kind;
  }
  return std::nullopt;
}

// Masks and addresses are written in hex: readable, and safe from JSON readers that hold numbers as doubles.
std::string Hex(uint64_t value) {
  return fmt::format("{:#x}", value);
}

Result<uint64_t> ParseHex(const nlohmann::json& field, std::string_view what) {
  if (!field.is_string()) return Error(ErrorCode::kInvalidArgument, "{} must be a hex string", what);
  const std::string& text = field.get_ref<const std::string&>();
  if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return Error(ErrorCode::kInvalidArgument, "{} '{}' must start with 0x", what, text);
  }
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data() + 2, text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Error(ErrorCode::kInvalidArgument, "{} '{}' is not a 64-bit hex number", what, text);
  }
  return value;
}

// The page holding `address` in pages sorted by base, or nullptr.
template <typename Page>
const Page* FindPage(const std::vector<Page>& pages, uint64_t page_bytes, Address address) {
  const Address base = address & ~(page_bytes - 1);
  const auto it = std::lower_bound(pages.begin(), pages.end(), base,
                                   [](const Page& page, Address b) { return page.base < b; });
  return it != pages.end() && it->base == base ? &*it : nullptr;
}

template <typename Page>
Status ValidatePageBases(const std::vector<Page>& pages, uint64_t page_bytes) {
  for (size_t i = 0; i < pages.size(); ++i) {
    if (pages[i].base % page_bytes != 0) {
      return Error(ErrorCode::kInvalidArgument, "page {} base {} is not a multiple of the page size", i,
                   Hex(pages[i].base));
    }
    if (i > 0 && pages[i].base <= pages[i - 1].base) {
      return Error(ErrorCode::kInvalidArgument, "page bases must be strictly increasing (page {})", i);
    }
  }
  return Status::Ok();
}

}  // namespace

int64_t XorHash::ClassOf(Address address) const {
  int64_t label = 0;
  for (size_t j = 0; j < rows.size(); ++j) label |= int64_t{gf2::Dot(address, rows[j])} << j;
  return label;
}

int64_t SwizzleModHash::ClassOf(Address address) const {
  uint64_t swizzle = 0;
  for (size_t j = 0; j < swizzle_rows.size(); ++j)
    swizzle |= uint64_t(gf2::Dot(address, swizzle_rows[j])) << j;
  return static_cast<int64_t>((gf2::CompressBits(address, index_mask) ^ swizzle) % uint64_t(modulus));
}

std::optional<int64_t> HashModel::ClassOf(Address address) const {
  switch (kind) {
    case HashKind::kXor:
      return xor_hash.ClassOf(address);
    case HashKind::kPageSwizzleMod: {
      const SwizzlePage* page = FindPage(swizzle_pages, page_bytes, address);
      if (page == nullptr) return std::nullopt;
      return page->ClassOfIndex(gf2::CompressBits(address - page->base, in_page_index_mask), class_count);
    }
    case HashKind::kPageTable: {
      const PageClassTable* page = FindPage(tables, page_bytes, address);
      if (page == nullptr) return std::nullopt;
      return page->classes[(address - page->base) / granule_bytes];
    }
  }
  return std::nullopt;
}

Status Validate(const HashModel& model) {
  if (!std::has_single_bit(model.granule_bytes)) {
    return Error(ErrorCode::kInvalidArgument, "granule_bytes {} is not a power of two", model.granule_bytes);
  }
  if (model.class_count < 1) return Error(ErrorCode::kInvalidArgument, "class_count must be at least 1");
  if (model.kind == HashKind::kXor) {
    if (model.xor_hash.rows.size() > 62 || model.xor_hash.class_count() != model.class_count) {
      return Error(ErrorCode::kInvalidArgument, "{} XOR rows give {} classes, not class_count {}",
                   model.xor_hash.rows.size(), model.xor_hash.class_count(), model.class_count);
    }
    return Status::Ok();
  }
  if (!std::has_single_bit(model.page_bytes) || model.page_bytes < model.granule_bytes) {
    return Error(ErrorCode::kInvalidArgument, "page_bytes {} is not a power of two of at least one granule",
                 model.page_bytes);
  }
  if (model.kind == HashKind::kPageSwizzleMod) {
    const uint64_t in_page_granule_bits = (model.page_bytes - 1) & ~(model.granule_bytes - 1);
    if ((model.in_page_index_mask & ~in_page_granule_bits) != 0) {
      return Error(ErrorCode::kInvalidArgument, "in_page_index_mask {} has bits outside the granule index {}",
                   Hex(model.in_page_index_mask), Hex(in_page_granule_bits));
    }
    const uint64_t index_values = uint64_t{1} << std::popcount(model.in_page_index_mask);
    // The output XOR may only permute classes: below the largest power of two dividing the class count.
    const uint64_t output_values = uint64_t{1} << std::countr_zero(static_cast<uint64_t>(model.class_count));
    for (const SwizzlePage& page : model.swizzle_pages) {
      if (page.xor_constant >= index_values || page.label_offset < 0 ||
          page.label_offset >= model.class_count || page.output_xor >= output_values) {
        return Error(ErrorCode::kInvalidArgument,
                     "page {}: xor_constant {}, label_offset {} or output_xor {} out of range",
                     Hex(page.base), Hex(page.xor_constant), page.label_offset, Hex(page.output_xor));
      }
    }
    return ValidatePageBases(model.swizzle_pages, model.page_bytes);
  }
  const uint64_t granules = model.page_bytes / model.granule_bytes;
  for (const PageClassTable& page : model.tables) {
    if (page.classes.size() != granules) {
      return Error(ErrorCode::kInvalidArgument, "page {} has {} classes, expected one per granule ({})",
                   Hex(page.base), page.classes.size(), granules);
    }
    for (int32_t label : page.classes) {
      if (label < 0 || label >= model.class_count) {
        return Error(ErrorCode::kInvalidArgument, "page {} has class {} outside [0, {})", Hex(page.base),
                     label, model.class_count);
      }
    }
  }
  return ValidatePageBases(model.tables, model.page_bytes);
}

std::string HashModelToJson(const HashModel& model) {
  nlohmann::ordered_json out;
  out["format"] = kFormat;
  out["kind"] = KindName(model.kind);
  out["granule_bytes"] = model.granule_bytes;
  out["class_count"] = model.class_count;
  out["labels_aligned_across_pages"] = model.labels_aligned_across_pages;
  if (model.kind == HashKind::kXor) {
    auto& rows = out["xor_rows"] = nlohmann::ordered_json::array();
    for (uint64_t row : model.xor_hash.rows) rows.push_back(Hex(row));
  } else {
    out["page_bytes"] = model.page_bytes;
    auto& pages = out["pages"] = nlohmann::ordered_json::array();
    if (model.kind == HashKind::kPageSwizzleMod) {
      out["in_page_index_mask"] = Hex(model.in_page_index_mask);
      for (const SwizzlePage& page : model.swizzle_pages) {
        pages.push_back({{"base", Hex(page.base)},
                         {"xor_constant", Hex(page.xor_constant)},
                         {"label_offset", page.label_offset},
                         {"output_xor", Hex(page.output_xor)}});
      }
    } else {
      for (const PageClassTable& page : model.tables) {
        pages.push_back({{"base", Hex(page.base)}, {"classes", page.classes}});
      }
    }
  }
  return out.dump(1);
}

Result<HashModel> HashModelFromJson(std::string_view text) {
  const nlohmann::json in = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded()) return Error(ErrorCode::kInvalidArgument, "channel hash model: not valid JSON");
  if (!in.is_object() || in.value("format", "") != kFormat) {
    return Error(ErrorCode::kInvalidArgument, "channel hash model: 'format' must be '{}'", kFormat);
  }
  HashModel model;
  // Wrong field types surface as nlohmann exceptions; they become a Status here, at the library's edge.
  try {
    const std::optional<HashKind> kind = KindFromName(in.at("kind").get<std::string>());
    if (!kind)
      return Error(ErrorCode::kInvalidArgument, "channel hash model: unknown kind '{}'",
                   in.at("kind").dump());
    model.kind = *kind;
    model.granule_bytes = in.at("granule_bytes").get<uint64_t>();
    model.class_count = in.at("class_count").get<int64_t>();
    model.labels_aligned_across_pages = in.at("labels_aligned_across_pages").get<bool>();
    if (model.kind == HashKind::kXor) {
      for (const auto& row : in.at("xor_rows")) {
        MISSILE_ASSIGN_OR_RETURN(uint64_t mask, ParseHex(row, "xor row"));
        model.xor_hash.rows.push_back(mask);
      }
    } else {
      model.page_bytes = in.at("page_bytes").get<uint64_t>();
      if (model.kind == HashKind::kPageSwizzleMod) {
        MISSILE_ASSIGN_OR_RETURN(model.in_page_index_mask,
                                 ParseHex(in.at("in_page_index_mask"), "index mask"));
      }
      for (const auto& page : in.at("pages")) {
        MISSILE_ASSIGN_OR_RETURN(const Address base, ParseHex(page.at("base"), "page base"));
        if (model.kind == HashKind::kPageSwizzleMod) {
          MISSILE_ASSIGN_OR_RETURN(const uint64_t xor_constant,
                                   ParseHex(page.at("xor_constant"), "xor_constant"));
          MISSILE_ASSIGN_OR_RETURN(const uint64_t output_xor, ParseHex(page.at("output_xor"), "output_xor"));
          model.swizzle_pages.push_back(
              {base, xor_constant, page.at("label_offset").get<int64_t>(), output_xor});
        } else {
          model.tables.push_back({base, page.at("classes").get<std::vector<int32_t>>()});
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Error(ErrorCode::kInvalidArgument, "channel hash model: {}", e.what());
  }
  MISSILE_RETURN_IF_ERROR(Validate(model).WithContext("channel hash model"));
  return model;
}

}  // namespace missile::probe
