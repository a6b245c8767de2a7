// Result<T>: the value of an operation that can fail, or the Error saying why.
//
// Contract: errors are values at module boundaries. A function that can fail
// returns Result<T> (or Result<void>); it never throws across a module
// boundary. An Error carries a machine-readable ErrorCode and a message that
// names the thing at fault (file, line, field, kernel feature) so it can be
// shown to a user as it is. Accessing value() of an error Result, or error()
// of a value Result, is a programming error (asserted).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace faultline {

enum class ErrorCode {
  kInvalidInput,    // bad arguments, suite, spec, history: exit code 254
  kUnavailable,     // a mechanism/feature missing on this host
  kNotFound,
  kIo,              // a system call or file operation failed
  kTimeout,
  kUnauthenticated,
  kInternal,        // a bug or broken invariant: exit code 255
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  int sys_errno = 0;  // the errno a system call or the kernel gave, when that is the reason (else 0)

  // Returns a copy whose message is "context: message".
  Error with_context(const std::string& context) const {
    return Error{code, context + ": " + message, sys_errno};
  }
};

inline Error invalid_input(std::string message) { return {ErrorCode::kInvalidInput, std::move(message)}; }
inline Error unavailable(std::string message) { return {ErrorCode::kUnavailable, std::move(message)}; }
inline Error io_error(std::string message) { return {ErrorCode::kIo, std::move(message)}; }
inline Error internal_error(std::string message) { return {ErrorCode::kInternal, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

inline Result<void> ok_result() { return {}; }

}  // namespace faultline
