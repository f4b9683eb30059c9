// run, create and exec: a ParentRun walks the plan's parent steps (before clone, after
// clone, after the exit); errors come back as values and are reported once, here.
#include "runtime/executor.hpp"

#include "runtime/parent.hpp"
#include "runtime/supervisor.hpp"
#include "sys/exec.hpp"
#include "sys/sys.hpp"

#include <barco/clock.hpp>
#include <barco/runtime.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>

namespace barco {
namespace {

int exit_code_for(const Error& e) {
  return e.step == op::Exec::kName ? exit_code_for_exec_error(e.err) : kExitBarcoError;
}

// Reports the error of a failed start and turns the outcome into barco's exit status.
int exit_status(const Result<int>& outcome, bool runc_exit_codes = false) {
  if (outcome) {
    return *outcome;
  }
  report_error(outcome.error());
  return runc_exit_codes ? kExitRuncError : exit_code_for(outcome.error());
}

// The whole start: the state record, the cgroups and the child are released by ParentRun
// when this returns, unless a step handed them over.
Result<int> launch(ParentRun& run) {
  for (const Where where : {Where::parent_before_clone, Where::parent_after_clone}) {
    if (auto r = walk_parent_steps(where, run); !r) {
      return r.error();
    }
  }
  if (auto r = walk_parent_steps(Where::parent_after_exit, run); !r) {
    return r.error();
  }
  if (run.record && (run.options.detach || !run.options.auto_remove)) {
    (void)run.record->mark_exited(run.status, run.oom_killed);
    if (!run.options.auto_remove) {
      run.record->keep();
      if (run.bridge) {
        run.bridge->keep();
      }
    }
    // runc's run --keep: the cgroups stay with the record (what the container used stays
    // readable) until delete removes both.
    if (!run.options.auto_remove && !run.options.detach && run.cgroups) {
      run.cgroups->release();
    }
  }
  return run.status;
}

int run_plan(const Plan& plan, const RunOptions& options, Timings* timings) {
  RealSys sys;
  ParentRun run(sys, plan, options, timings);
  return exit_status(launch(run));
}

// run -d: a monitor process (one per container, no daemon) runs the container and stays
// its parent; this barco waits only until the command runs (or setup failed, whose error the
// monitor has already printed on the shared stderr), then prints the id.
int run_detached(const Plan& plan, RunOptions options) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) < 0) {
    return exit_status(Error{errno, op::ReserveId::kName, "pipe2()", {}});
  }
  std::fflush(nullptr);
  const pid_t monitor = ::fork();
  if (monitor < 0) {
    return exit_status(Error{errno, op::ReserveId::kName, "fork() of the monitor", {}});
  }
  if (monitor == 0) {
    ::close(fds[0]);
    ::setsid();  // no SIGHUP when the caller's terminal goes away
    options.notify_fd = fds[1];
    const int status = run_plan(plan, options, nullptr);
    std::fflush(nullptr);
    ::_exit(status);
  }
  ::close(fds[1]);
  const UniqueFd notify(fds[0]);
  char started = 0;
  ssize_t n = 0;
  do {
    n = ::read(notify.get(), &started, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 1) {
    std::printf("%s\n", plan.id.c_str());
    return 0;
  }
  int status = 0;
  while (::waitpid(monitor, &status, 0) < 0 && errno == EINTR) {
  }
  const int code = exit_status_of(status);
  return code == 0 ? kExitBarcoError : code;
}

// --timings: what the steps did not account for, and the total, after the run.
void print_timings(const Plan& plan, Timings& timings, int64_t start, int64_t end) {
  int64_t accounted = 0;
  for (const int64_t ns : timings.step_ns) {
    accounted += std::max<int64_t>(ns, 0);
  }
  for (const auto& [name, ns] : timings.extra_ns) {
    accounted += ns;
  }
  // After the last timed part: removing the cgroups and the state record.
  const int64_t teardown = timings.last_lap_end > 0 ? end - timings.last_lap_end : 0;
  timings.extra_ns.emplace_back("teardown (cgroups, state record)", teardown);
  // Between the timed parts: the parent waiting on the child's messages beyond the
  // steps' own time.
  timings.extra_ns.emplace_back("the rest", std::max<int64_t>(end - start - accounted - teardown, 0));
  int64_t startup = 0;
  for (const auto& [name, ns] : timings.startup_ns) {
    startup += ns;
  }
  timings.extra_ns.emplace_back("total (barco's main to exit status)", startup + end - start);
  std::fputs(format_timings(plan, timings).c_str(), stderr);
}

}  // namespace

int exec_in_container(const Plan& plan, int pidfd, const std::string& seccomp_program, const RunOptions& options) {
  RealSys sys;
  ParentRun run(sys, plan, options, nullptr);
  run.target_pidfd = pidfd;
  // A container without a filter (ctr's default spec) has none to copy: memcpy from an
  // empty string's data is undefined (UBSan under containerd's exec found it).
  run.seccomp_program.resize(seccomp_program.size() / sizeof(sock_filter));
  if (!run.seccomp_program.empty()) {
    std::memcpy(run.seccomp_program.data(), seccomp_program.data(), run.seccomp_program.size() * sizeof(sock_filter));
  }
  return exit_status(launch(run), options.runc_exit_codes);
}

int run_container(const Plan& plan, const RunOptions& options) {
  if (options.detach) {
    return run_detached(plan, options);
  }
  if (!options.timings) {
    return run_plan(plan, options, nullptr);
  }
  Timings timings;
  timings.startup_ns = options.startup_ns;
  const int64_t start = monotonic_ns();
  const int status = run_plan(plan, options, &timings);
  print_timings(plan, timings, start, monotonic_ns());
  return status;
}

}  // namespace barco
