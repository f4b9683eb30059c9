// Running a plan: the parent's half of run, create and exec (ParentRun walks the plan's
// parent steps; parent.hpp), and run -d's monitor. launch() and exec_container() in the
// public runtime.hpp are the callers.
#pragma once

#include <barco/plan.hpp>
#include <barco/runtime.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace barco {

struct RunOptions {
  std::string state_root = kDefaultStateRoot;
  bool log_steps = false;  // -v: log every step as it runs
  bool timings = false;    // --timings: print each step's duration to stderr after the run
  // --timings: barco's start-up before run_container (flags, host facts, config, plan).
  std::vector<std::pair<std::string, int64_t>> startup_ns;
  // run -d: a monitor process runs the container and keeps its record after the exit;
  // barco returns as soon as the command has started.
  bool detach = false;
  bool auto_remove = true;               // run --rm: the monitor removes the record when the container exits
  int notify_fd = -1;                    // the monitor tells the waiting barco "started" through it
  Handover handover;                     // OCI create, exec -d
  std::string bundle;                    // OCI: the bundle directory, for the state and the hooks
  std::string data_dir;                  // <data root>/<id>: the overlay layer and the log; empty: none
  int64_t log_limit = kDefaultLogLimit;  // run -d: bytes the log may hold
  bool runc_exit_codes = false;          // exec into an OCI container: barco's failures exit 255, as runc's
};

// Runs the plan and returns the status barco should exit with. Errors are printed to stderr
// as "barco: <step>: <call>: <strerror> (errno N) — hint: ...".
[[nodiscard]] int run_container(const Plan& plan, const RunOptions& options);

// `barco exec`: the plan from build_exec_plan, run against the container whose init has
// `pidfd`. `seccomp_program` is the container's own filter (empty: none). Returns the
// command's exit status, or 125/126/127.
[[nodiscard]] int exec_in_container(const Plan& plan, int pidfd, const std::string& seccomp_program,
                                    const RunOptions& options);

}  // namespace barco
