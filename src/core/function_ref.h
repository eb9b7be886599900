// A non-owning reference to a callable: what a parallel loop needs to call back into its caller's lambda.
//
// std::function may allocate when a lambda's captures outgrow its small buffer; loops inside kernels run on
// the per-request hot path, where nothing may allocate. The referenced callable must outlive the call it is
// passed to.
#pragma once

#include <type_traits>
#include <utility>

namespace missile {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                                    std::is_invocable_r_v<R, F&, Args...>>>
  FunctionRef(F&& f)  // NOLINT: implicit, so lambdas pass straight through
      : object_(const_cast<void*>(static_cast<const void*>(&f))), call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace missile
