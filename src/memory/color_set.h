// A set of classes (L2 home slices / memory channels) out of a hash model's class count: a tenant's colors.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace missile::memory {

class ColorSet {
 public:
  ColorSet() = default;
  explicit ColorSet(int64_t class_count) : bits_(static_cast<size_t>(class_count), false) {}
  static ColorSet All(int64_t class_count);
  // kInvalidArgument for a class outside [0, class_count).
  static Result<ColorSet> Of(int64_t class_count, std::span<const int64_t> classes);
  // "0-46,60,62-63".
  static Result<ColorSet> Parse(std::string_view text, int64_t class_count);

  void Add(int64_t c);
  bool Contains(int64_t c) const { return c >= 0 && c < class_count() && bits_[static_cast<size_t>(c)]; }
  int64_t class_count() const { return static_cast<int64_t>(bits_.size()); }
  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  bool Intersects(const ColorSet& other) const;
  // Whether every class of `classes` is in the set.
  bool ContainsAll(std::span<const int32_t> classes) const;
  std::vector<int64_t> Members() const;
  // Ranges, as Parse reads them.
  std::string ToString() const;

 private:
  std::vector<bool> bits_;
  int64_t size_ = 0;
};

}  // namespace missile::memory
