#include "ops/strided_view.h"

#include <algorithm>
#include <deque>

namespace missile::ops {
namespace {

// Joins neighbours that step through memory as one (outer stride = inner size * inner stride).
std::vector<SubDim> Merged(const std::vector<SubDim>& parts) {
  std::vector<SubDim> merged;
  for (const SubDim& part : parts) {
    if (!merged.empty() && merged.back().stride == part.size * part.stride) {
      merged.back() = {merged.back().size * part.size, part.stride};
    } else {
      merged.push_back(part);
    }
  }
  return merged;
}

}  // namespace

Result<StridedView> StridedView::Contiguous(std::span<const int64_t> shape) {
  StridedView view;
  view.dims_.resize(shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] < 1) return Error(ErrorCode::kInvalidArgument, "a strided view needs non-empty dims");
    if (shape[d] > 1) view.dims_[d].push_back({shape[d], stride});
    stride *= shape[d];
  }
  return view;
}

int64_t StridedView::size(size_t dim) const {
  int64_t n = 1;
  for (const SubDim& part : dims_[dim]) n *= part.size;
  return n;
}

Shape StridedView::shape() const {
  Shape shape;
  for (size_t d = 0; d < dims_.size(); ++d) shape.push_back(size(d));
  return shape;
}

int64_t StridedView::OffsetOf(std::span<const int64_t> index) const {
  int64_t offset = offset_;
  for (size_t d = 0; d < dims_.size(); ++d) {
    int64_t i = index[d];
    for (size_t p = dims_[d].size(); p-- > 0;) {
      offset += (i % dims_[d][p].size) * dims_[d][p].stride;
      i /= dims_[d][p].size;
    }
  }
  return offset;
}

Result<StridedView> StridedView::Permuted(std::span<const int64_t> perm) const {
  if (perm.size() != dims_.size()) {
    return Error(ErrorCode::kInvalidArgument, "permutation of {} dims for a view of {}", perm.size(),
                 dims_.size());
  }
  std::vector<bool> seen(dims_.size(), false);
  StridedView view;
  view.offset_ = offset_;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(dims_.size()) || seen[static_cast<size_t>(p)]) {
      return Error(ErrorCode::kInvalidArgument, "invalid permutation");
    }
    seen[static_cast<size_t>(p)] = true;
    view.dims_.push_back(dims_[static_cast<size_t>(p)]);
  }
  return view;
}

Result<StridedView> StridedView::Reshaped(std::span<const int64_t> shape) const {
  if (NumElements(shape) != NumElements(this->shape())) {
    return Error(ErrorCode::kInvalidArgument, "a reshape must keep the element count");
  }
  // Merged across the old dim boundaries first, so that a contiguous run splits wherever the new shape needs.
  std::vector<SubDim> flat;
  for (const auto& dim : dims_) flat.insert(flat.end(), dim.begin(), dim.end());
  const std::vector<SubDim> merged = Merged(flat);
  std::deque<SubDim> parts(merged.begin(), merged.end());
  StridedView view;
  view.offset_ = offset_;
  for (int64_t size : shape) {
    if (size < 1) return Error(ErrorCode::kInvalidArgument, "a strided view needs non-empty dims");
    std::vector<SubDim> dim;
    int64_t need = size;
    while (need > 1) {
      SubDim& front = parts.front();
      if (front.size <= need) {
        if (need % front.size != 0)
          return Error(ErrorCode::kUnimplemented, "reshape not expressible as a view");
        dim.push_back(front);
        need /= front.size;
        parts.pop_front();
      } else {
        // The new dim takes the outer part of this sub-dim; the rest stays for the dims after it.
        if (front.size % need != 0)
          return Error(ErrorCode::kUnimplemented, "reshape not expressible as a view");
        const int64_t rest = front.size / need;
        dim.push_back({need, front.stride * rest});
        front.size = rest;
        need = 1;
      }
    }
    view.dims_.push_back(Merged(dim));
  }
  return view;
}

Result<StridedView> StridedView::Sliced(size_t dim, int64_t start, int64_t size) const {
  if (dim >= dims_.size() || start < 0 || size < 1 || start + size > this->size(dim)) {
    return Error(ErrorCode::kInvalidArgument, "slice out of range");
  }
  StridedView view = *this;
  std::vector<SubDim>& parts = view.dims_[dim];
  if (size == this->size(dim)) return view;
  // Only the outermost sub-dim can be cut; inner ones must be taken whole.
  int64_t inner = 1;
  for (size_t p = 1; p < parts.size(); ++p) inner *= parts[p].size;
  if (start % inner != 0 || size % inner != 0) {
    return Error(ErrorCode::kUnimplemented, "slice not expressible as a view");
  }
  view.offset_ += start / inner * parts[0].stride;
  parts[0].size = size / inner;
  if (parts[0].size == 1) parts.erase(parts.begin());
  return view;
}

}  // namespace missile::ops
