// The parent's half of a start: it walks the plan's parent steps in order, as the child
// walks its own, through the same Sys seam. Each step is a function of its op and of what the
// earlier steps acquired, which ParentRun holds (and releases in reverse order when a start
// fails: the child is killed and reaped, then the cgroups and the record are removed).
#pragma once

#include "linux/cgroups.hpp"
#include "runtime/executor.hpp"
#include "runtime/network.hpp"
#include "runtime/signals.hpp"
#include "runtime/state.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/sync.hpp"
#include "sys/sys.hpp"

#include <barco/plan.hpp>
#include <barco/runtime.hpp>
#include <barco/unique_fd.hpp>

#include <linux/filter.h>

#include <optional>
#include <string>
#include <vector>

namespace barco {

// --timings: parent steps are timed as they are walked, child steps arrive over the sync
// socket. Without --timings every call is a no-op on a null recorder.
class StepClock {
 public:
  StepClock(const Plan& plan, Timings* timings);
  void restart();
  // Adds the time since restart() to `step`, then restarts.
  void lap(const Step& step);
  // The same for work that is not a step of the plan ("prepare (sync socket, exec args)").
  void lap(const std::string& what);
  // "index=ns index=ns ..." from the child.
  void add_child_steps(const std::string& text);

 private:
  void add(int64_t* slot, int64_t now);
  const Plan& plan_;
  Timings* timings_;
  int64_t start_ = 0;
};

// Owns the cloned child until it has been reaped: an early return kills it (SIGKILL also
// takes down everything in its pid namespace) and waits, so no process is left behind.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard();
  void release() { pid_ = -1; }  // reaped by the supervisor, or handed over

 private:
  pid_t pid_;
};

// setns(CLONE_NEWPID) in the parent moves only the children it creates from then on. The
// parent returns to its own pid namespace right after the clone, so nothing it forks later
// (hooks, a sanitizer's helper threads) lands in the container.
class PidNamespaceForChildren {
 public:
  explicit PidNamespaceForChildren(Sys& sys) : sys_(sys) {}
  PidNamespaceForChildren(const PidNamespaceForChildren&) = delete;
  PidNamespaceForChildren& operator=(const PidNamespaceForChildren&) = delete;
  ~PidNamespaceForChildren() { restore(); }
  // `target` is an fd of a pid namespace (a /proc/PID/ns/pid file, or a pidfd).
  Result<void> enter(int target, const std::string& what);
  void restore();

 private:
  Sys& sys_;
  UniqueFd own_;
};

// What a start acquires, step by step. Members are destroyed in reverse order: the child
// guard first (kill and reap), then the cgroups, then the record.
struct ParentRun {
  ParentRun(Sys& sys, const Plan& plan, const RunOptions& options, Timings* timings)
      : sys(sys), plan(plan), options(options), clock(plan, timings), pid_ns(sys) {}

  Sys& sys;
  const Plan& plan;
  const RunOptions& options;
  StepClock clock;

  // `barco exec`: the container's init and its filter (the filter a run compiles instead).
  int target_pidfd = -1;
  std::vector<sock_filter> seccomp_program;

  std::optional<StateRecord> record;
  std::optional<CgroupDirs> cgroups;
  std::optional<BridgeLease> bridge;  // --network bridge: the address, veth and rules, released at the end
  Ipv4 address = 0;
  UniqueFd log;                        // run -d: the log file
  UniqueFd log_read;                   // run -d without a pty: the monitor's end of the output pipe
  UniqueFd log_write;                  // ... and the container's
  UniqueFd exec_fifo;                  // OCI create: O_PATH fd of the FIFO
  std::vector<UniqueFd> bind_sources;  // clone_bind_sources: detached trees the child attaches
  PidNamespaceForChildren pid_ns;

  // From clone on.
  std::optional<SignalBlock> signals_blocked;
  UniqueFd signal_fd;
  SyncChannel channel;  // the parent's end
  CallerTerminalRelay relay;
  pid_t pid = 0;
  std::optional<ChildGuard> guard;
  UniqueFd pty_master;
  bool child_ready = false;  // its setup is done: EOF from here on means execve succeeded
  std::string hook_state;    // the state JSON the createRuntime hooks saw
  int status = 0;            // the command's exit status, once supervised
  bool oom_killed = false;
};

// Runs one parent step. The error names the step (Error::step).
Result<void> run_parent_step(const Step& step, ParentRun& run);

// Every parent step of `where`, in order; a step's error ends the walk.
Result<void> walk_parent_steps(Where where, ParentRun& run);

// The container's cgroups with their limits and device rules (create_cgroups' work), for
// restore, whose process CRIU puts into them.
Result<CgroupDirs> make_container_cgroups(Sys& sys, const op::CreateCgroups& cg);

// The state JSON hooks get on stdin.
[[nodiscard]] std::string hook_state_json(const ParentRun& run, const std::string& status);

}  // namespace barco
