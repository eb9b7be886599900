// A first-in, first-out queue over one array that doubles when full and never shrinks: once it has grown to
// the largest backlog it meets, pushing and popping allocate nothing. The copy engines queue requests in it
// on their hot path, where std::deque would allocate and free a block every few dozen elements. Not
// thread-safe.
#pragma once

#include <cassert>
#include <cstddef>
#include <utility>
#include <vector>

namespace missile::pcie {

template <typename T>
class RingQueue {
 public:
  // Room for `capacity` elements before the first growth (rounded up to a power of two, at least 1).
  explicit RingQueue(size_t capacity = 16) : slots_(RoundUpToPowerOfTwo(capacity)) {}

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

  void PushBack(T value) {
    if (size_ == slots_.size()) Grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(value);
    ++size_;
  }

  T& Front() {
    assert(size_ > 0 && "Front() of an empty RingQueue");
    return slots_[head_];
  }

  T PopFront() {
    assert(size_ > 0 && "PopFront() of an empty RingQueue");
    T value = std::move(slots_[head_]);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return value;
  }

 private:
  static size_t RoundUpToPowerOfTwo(size_t n) {
    size_t power = 1;
    while (power < n) power <<= 1;
    return power;
  }

  // Doubles the array, moving the elements to its start in queue order.
  void Grow() {
    std::vector<T> grown(slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) grown[i] = std::move(slots_[(head_ + i) & (slots_.size() - 1)]);
    slots_ = std::move(grown);
    head_ = 0;
  }

  std::vector<T> slots_;  // a power of two long, so that wrapping is a mask
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace missile::pcie
