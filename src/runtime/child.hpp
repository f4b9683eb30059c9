// The child side of a run: everything between clone and execve, in plan order. Errors are
// sent to the parent as typed messages naming the step; the child never unwinds into
// barco's parent code.
#pragma once

#include "runtime/sync.hpp"
#include "sys/exec.hpp"
#include "sys/sys.hpp"

#include <barco/plan.hpp>

#include <linux/filter.h>

#include <array>
#include <vector>

namespace barco {

struct ChildOptions {
  bool log_steps = false;                                     // send a debug line per step (barco -v)
  const std::vector<sock_filter>* seccomp_program = nullptr;  // compiled by the parent before clone
  bool born_in_unified_cgroup = false;                        // CLONE_INTO_CGROUP worked: no cgroup.procs to write
  bool timings = false;                                       // send each step's duration (--timings)
  int target_pidfd = -1;                                      // barco exec: the container's init
  int exec_fifo_fd = -1;                                      // OCI create: O_PATH fd of the exec FIFO
  int output_fd = -1;                                         // run -d: the container's log, opened by the monitor
  std::array<int, 3> stdio{-1, -1, -1};  // pipes in place of the caller's terminal (-1: keep the caller's fd)
  bool outlive_parent = false;           // OCI create, exec -d: no PDEATHSIG once set up; the caller reaps
  std::string* hook_state = nullptr;     // the OCI state JSON the parent sent at the hook pause
  std::vector<int> bind_sources;         // clone_bind_sources' trees, by slot; kept by close_host_fds
};

// Runs the child steps from plan.steps[*next] (0 without `next`) up to, not including,
// wait_for_start, start_init and exec, and leaves *next at that step. Stops at the first
// failure and returns it with `step` set to the failing step's name.
// With options.timings, appends "index=nanoseconds " per step to *timings.
Result<void> run_child_setup(const Plan& plan, Sys& sys, const SyncChannel& channel, const ChildOptions& options,
                             std::string* timings = nullptr, size_t* next = nullptr);

// The whole child: setup, `ready`, optional init, execve. Never returns.
[[noreturn]] void child_main(const Plan& plan, const ExecArgs& exec, const SyncChannel& channel, Sys& sys,
                             const ChildOptions& options);

}  // namespace barco
