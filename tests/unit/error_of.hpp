// The message of the ConfigError a call throws, or "no error".
#pragma once

#include <barco/result.hpp>

#include <functional>
#include <string>

namespace barco::testing {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace barco::testing
