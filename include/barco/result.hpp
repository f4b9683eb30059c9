// Result<T>: the error channel of the setup path between clone and execve, where exceptions
// must not cross (the child is a forked copy that reports over a socket, never unwinds).
// Member names follow std::expected so that moving to C++23 is a rename, not a rewrite.
#pragma once

#include <cerrno>
#include <functional>
#include <string>
#include <utility>
#include <variant>

namespace barco {

// An error is what the user reads: which step failed, which call with which arguments,
// the errno, and a hint when the cause is known.
struct Error {
  int err = 0;       // errno, 0 when the failure is not a syscall's
  std::string step;  // plan step name, e.g. "mount_proc"
  std::string call;  // the call and its arguments, e.g. mount("proc" -> "/r/proc", type=proc)
  std::string hint;  // empty when no known cause applies

  // "step: call: strerror (errno N) — hint: ..." (the parts that are set).
  [[nodiscard]] std::string message() const;
};

// Builds an Error from the current errno; used right after a failing syscall.
[[nodiscard]] Error errno_error(std::string call);
[[nodiscard]] Error plain_error(std::string call, std::string hint = {});

template <typename E>
class Unexpected {
 public:
  explicit Unexpected(E e) : error_(std::move(e)) {}
  [[nodiscard]] E& error() { return error_; }

 private:
  E error_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Unexpected<Error> e) : v_(std::in_place_index<1>, std::move(e.error())) {}  // NOLINT
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}                      // NOLINT

  [[nodiscard]] bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  [[nodiscard]] T& value() & { return std::get<0>(v_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
  [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
  [[nodiscard]] T& operator*() & { return value(); }
  [[nodiscard]] T&& operator*() && { return std::move(*this).value(); }
  [[nodiscard]] const T& operator*() const& { return value(); }
  [[nodiscard]] T* operator->() { return &value(); }
  [[nodiscard]] const T* operator->() const { return &value(); }
  [[nodiscard]] Error& error() { return std::get<1>(v_); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected<Error> e) : error_(std::move(e.error())), ok_(false) {}  // NOLINT
  Result(Error e) : error_(std::move(e)), ok_(false) {}                      // NOLINT

  [[nodiscard]] bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  [[nodiscard]] Error& error() { return error_; }
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

// Prefixes the step name on the way up, unless an inner layer already named one.
template <typename T>
Result<T> in_step(Result<T> r, const std::string& step) {
  if (!r.has_value() && r.error().step.empty()) {
    r.error().step = step;
  }
  return r;
}

// Thrown by configuration and CLI code (exceptions are fine before clone); exit 125.
// Prints "barco: <message>" to stderr and, when `barco --log FILE` set one, hands the
// message to the error log too (OCI callers read errors from there).
void report_error(const Error& e);
void set_error_log(std::function<void(const std::string&)> log);

class ConfigError : public std::exception {
 public:
  explicit ConfigError(Error e) : error_(std::move(e)), text_(error_.message()) {}
  ConfigError(std::string what, std::string hint)
      : error_{0, {}, std::move(what), std::move(hint)}, text_(error_.message()) {}
  [[nodiscard]] const char* what() const noexcept override { return text_.c_str(); }
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
  std::string text_;
};

}  // namespace barco
