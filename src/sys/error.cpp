#include <barco/result.hpp>

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

Error errno_error(std::string call) {
  return Error{errno, {}, std::move(call), {}};
}

Error plain_error(std::string call, std::string hint) {
  return Error{0, {}, std::move(call), std::move(hint)};
}

}  // namespace barco
