// Running a container: the executor walks a Plan. The parent reserves the id, clones the
// child into its namespaces, writes id maps, relays the child's log lines and errors, then
// supervises until the command exits. Any early return kills and reaps the child and
// removes the state record.
#pragma once

#include <barco/config.hpp>
#include <barco/plan.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace barco {

inline constexpr const char* kDefaultStateRoot = "/run/barco";
// Where `run -d` and `--overlay` keep a container's writable layer and log: on disk, not in
// /run's tmpfs (memory), and removed with the container.
inline constexpr const char* kDefaultDataRoot = "/var/lib/barco";
// run -d: the log's size limit (--log-max-size); output beyond it is dropped with a notice.
inline constexpr int64_t kDefaultLogLimit = int64_t{64} << 20;

// How an OCI caller (podman's conmon) takes the process over: barco returns once it runs,
// the caller reaps it (so it gets no PDEATHSIG), learns its pid from a file and gets the
// pty master over a unix socket instead of barco relaying it.
struct Handover {
  bool detach = false;
  std::string pid_file;
  std::string console_socket;
};

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
};

// Exit status conventions (docker's).
inline constexpr int kExitBarcoError = 125;
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

// Runs the plan and returns the status barco should exit with. Errors are printed to stderr
// as "barco: <step>: <call>: <strerror> (errno N) — hint: ...".
[[nodiscard]] int run_container(const Plan& plan, const RunOptions& options);

// `barco exec`: the plan from build_exec_plan, run against the container whose init has
// `pidfd`. `seccomp_program` is the container's own filter (empty: none). Returns the
// command's exit status, or 125/126/127.
[[nodiscard]] int exec_in_container(const Plan& plan, int pidfd, const std::string& seccomp_program,
                                    const RunOptions& options);

}  // namespace barco
