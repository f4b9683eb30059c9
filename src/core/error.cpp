#include <barco/result.hpp>

#include <cstdio>
#include <cstring>

namespace barco {

std::string Error::message() const {
  std::string out;
  if (!step.empty()) {
    out += step;
  }
  if (!call.empty()) {
    out += out.empty() ? call : ": " + call;
  }
  if (err != 0) {
    out += std::string(out.empty() ? "" : ": ") + std::strerror(err) + " (errno " + std::to_string(err) + ")";
  }
  if (!hint.empty()) {
    out += (out.empty() ? "hint: " : " — hint: ") + hint;
  }
  return out;
}

namespace {
std::function<void(const std::string&)>& error_log() {
  static std::function<void(const std::string&)> log;
  return log;
}
}  // namespace

void set_error_log(std::function<void(const std::string&)> log) {
  error_log() = std::move(log);
}

void report_error(const Error& e) {
  const auto text = e.message();
  std::fprintf(stderr, "barco: %s\n", text.c_str());
  if (error_log()) {
    error_log()(text);
  }
}

Error errno_error(std::string call) {
  return Error{errno, {}, std::move(call), {}};
}

Error plain_error(std::string call, std::string hint) {
  return Error{0, {}, std::move(call), std::move(hint)};
}

}  // namespace barco
