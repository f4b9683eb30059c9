// RealSys's small helpers: a quoted path for messages, and -1/errno turned into an Error
// whose call names the syscall and its arguments.
#pragma once

#include <barco/result.hpp>

#include <string>

namespace barco {

inline std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

inline Result<void> check(int rc, const std::string& call) {
  if (rc < 0) {
    return errno_error(call);
  }
  return {};
}

}  // namespace barco
