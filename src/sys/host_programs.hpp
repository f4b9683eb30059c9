// Host programs barco drives instead of linking their libraries (nft, criu): Debian ships
// neither library static, and the static barco must not need shared ones.
#pragma once

#include <barco/result.hpp>

#include <string>
#include <vector>

namespace barco {

// Runs `argv` (an absolute path first, or a name looked up in PATH) with `input` on its
// stdin; returns its stdout and stderr together. A non-zero exit is an error with that text;
// a program that is not there is an error with `missing_hint`.
Result<std::string> run_program(const std::vector<std::string>& argv, const std::string& input,
                                const std::string& missing_hint);

}  // namespace barco
