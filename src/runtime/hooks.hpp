// OCI hooks: each is a host program started with the container's state JSON on stdin; a
// non-zero exit or a timeout fails the phase (poststart and poststop failures are only
// warnings, as the spec says).
#pragma once

#include <barco/config.hpp>
#include <barco/result.hpp>

#include <string>
#include <vector>

namespace barco {

// Runs the hooks in order; the first failure is returned, naming the phase and the hook.
Result<void> run_hooks(const std::vector<Hook>& hooks, const std::string& phase, const std::string& state_json);
// poststart and poststop: a failing hook does not stop the ones after it (the spec: "log a
// warning and continue"); every failure is returned, for the caller to warn about.
std::vector<Error> run_hooks_to_the_end(const std::vector<Hook>& hooks, const std::string& phase,
                                        const std::string& state_json);

}  // namespace barco
