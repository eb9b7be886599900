// Status and Result<T>: how every module reports failure.
//
// Errors are values, not exceptions: a model that fails to load or a request with a wrong shape must never
// take the process down, because the server keeps serving other tenants. Exceptions thrown by libraries
// (protobuf, ONNX's checker, std::) are caught at the module that calls them and turned into a Status there.
#pragma once

#include <fmt/format.h>

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace missile {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong (shape, dtype, name, value)
  kNotFound,            // a named thing (file, model, tensor) does not exist
  kUnimplemented,       // valid, but Missile does not support it (an operator, a dtype on a backend)
  kInvalidModel,        // the model file is malformed, truncated or inconsistent
  kResourceExhausted,   // a quota or a size limit was exceeded
  kFailedPrecondition,  // the system is not in a state that allows the call
  kUnavailable,         // the hardware or a feature is not present here
  kInternal,            // a bug in Missile
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with where it happened: "node 'conv1' (Conv): weight must be 4-D".
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

template <typename... Args>
Status Error(ErrorCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Status(code, fmt::format(format, std::forward<Args>(args)...));
}

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT: implicit by design, like std::expected
  Result(Status status) : state_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(state_).ok() && "Result built from an OK status carries no value");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(state_);
  }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace missile

#define MISSILE_CONCAT_INNER(a, b) a##b
#define MISSILE_CONCAT(a, b) MISSILE_CONCAT_INNER(a, b)

#define MISSILE_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::missile::Status _missile_status = (expr);        \
    if (!_missile_status.ok()) return _missile_status; \
  } while (0)

#define MISSILE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

// MISSILE_ASSIGN_OR_RETURN(auto x, MakeX()); declares x or returns MakeX()'s error.
#define MISSILE_ASSIGN_OR_RETURN(lhs, expr) \
  MISSILE_ASSIGN_OR_RETURN_IMPL(MISSILE_CONCAT(_missile_result_, __LINE__), lhs, expr)
