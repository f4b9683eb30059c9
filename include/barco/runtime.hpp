// Running a container: the executor walks a Plan. The parent reserves the id, clones the
// child into its namespaces, writes id maps, relays the child's log lines and errors, then
// supervises until the command exits. Any early return kills and reaps the child and
// removes the state record.
#pragma once

#include <barco/config.hpp>
#include <barco/plan.hpp>

#include <string>

namespace barco {

inline constexpr const char* kDefaultStateRoot = "/run/barco";

struct RunOptions {
  std::string state_root = kDefaultStateRoot;
  bool log_steps = false;  // -v: log every step as it runs
  bool timings = false;    // --timings: print each step's duration to stderr after the run
};

// Exit status conventions (docker's).
inline constexpr int kExitBarcoError = 125;
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

// Runs the plan and returns the status barco should exit with. Errors are printed to stderr
// as "barco: <step>: <call>: <strerror> (errno N) — hint: ...".
[[nodiscard]] int run_container(const ContainerConfig& config, const Plan& plan, const RunOptions& options);

}  // namespace barco
