#include "memory/color_set.h"

#include <charconv>

namespace missile::memory {
namespace {

Result<int64_t> ParseNumber(std::string_view text, std::string_view whole) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Error(ErrorCode::kInvalidArgument, "'{}' in color set '{}' is not a class number", text, whole);
  }
  return value;
}

}  // namespace

ColorSet ColorSet::All(int64_t class_count) {
  ColorSet set(class_count);
  for (int64_t c = 0; c < class_count; ++c) set.Add(c);
  return set;
}

Result<ColorSet> ColorSet::Of(int64_t class_count, std::span<const int64_t> classes) {
  ColorSet set(class_count);
  for (int64_t c : classes) {
    if (c < 0 || c >= class_count) {
      return Error(ErrorCode::kInvalidArgument, "class {} outside 0..{}", c, class_count - 1);
    }
    set.Add(c);
  }
  return set;
}

Result<ColorSet> ColorSet::Parse(std::string_view text, int64_t class_count) {
  std::vector<int64_t> classes;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, comma - start);
    const size_t dash = item.find('-');
    MISSILE_ASSIGN_OR_RETURN(int64_t first, ParseNumber(item.substr(0, dash), text));
    int64_t last = first;
    if (dash != std::string_view::npos) {
      MISSILE_ASSIGN_OR_RETURN(last, ParseNumber(item.substr(dash + 1), text));
    }
    if (last < first) return Error(ErrorCode::kInvalidArgument, "empty range '{}' in '{}'", item, text);
    for (int64_t c = first; c <= last; ++c) classes.push_back(c);
    start = comma + 1;
  }
  return Of(class_count, classes);
}

void ColorSet::Add(int64_t c) {
  if (c < 0 || c >= class_count() || bits_[static_cast<size_t>(c)]) return;
  bits_[static_cast<size_t>(c)] = true;
  ++size_;
}

bool ColorSet::Intersects(const ColorSet& other) const {
  for (int64_t c = 0; c < std::min(class_count(), other.class_count()); ++c) {
    if (Contains(c) && other.Contains(c)) return true;
  }
  return false;
}

bool ColorSet::ContainsAll(std::span<const int32_t> classes) const {
  for (int32_t c : classes) {
    if (!Contains(c)) return false;
  }
  return true;
}

std::vector<int64_t> ColorSet::Members() const {
  std::vector<int64_t> members;
  for (int64_t c = 0; c < class_count(); ++c) {
    if (Contains(c)) members.push_back(c);
  }
  return members;
}

std::string ColorSet::ToString() const {
  std::string text;
  for (int64_t c = 0; c < class_count(); ++c) {
    if (!Contains(c)) continue;
    int64_t last = c;
    while (Contains(last + 1)) ++last;
    if (!text.empty()) text += ',';
    text += last == c ? std::to_string(c) : fmt::format("{}-{}", c, last);
    c = last;
  }
  return text;
}

}  // namespace missile::memory
