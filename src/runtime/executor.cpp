#include "linux/cgroups.hpp"
#include "linux/device_filter.hpp"
#include "linux/seccomp.hpp"
#include "linux/userns.hpp"
#include "runtime/child.hpp"
#include "runtime/signals.hpp"
#include "runtime/state.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/sync.hpp"
#include "sys/clone.hpp"
#include "sys/exec.hpp"
#include "sys/sys.hpp"

#include <barco/runtime.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <sstream>

namespace barco {
namespace {

void report(const Error& e) {
  std::fprintf(stderr, "barco: %s\n", e.message().c_str());
}

// Owns the cloned child until it has been reaped: an early return kills it (SIGKILL also
// takes down everything in its pid namespace) and waits, so no process is left behind.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  // The supervisor reaped it.
  void release() { pid_ = -1; }

 private:
  pid_t pid_;
};

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// --timings: parent steps are timed here, child steps arrive over the sync socket. Without
// --timings every call is a no-op on a null recorder.
class StepClock {
 public:
  StepClock(const Plan& plan, Timings* timings) : plan_(plan), timings_(timings) {
    if (timings_ != nullptr) {
      timings_->step_ns.assign(plan.steps.size(), -1);
    }
    restart();
  }
  void restart() { start_ = timings_ != nullptr ? monotonic_ns() : 0; }
  // Adds the time since restart() to `step` (when the plan has it), then restarts.
  void lap(const std::string& step) {
    if (timings_ == nullptr) {
      return;
    }
    const int64_t now = monotonic_ns();
    if (const auto* s = plan_.find(step)) {
      auto& slot = timings_->step_ns[static_cast<size_t>(s - plan_.steps.data())];
      slot = std::max<int64_t>(slot, 0) + (now - start_);
    } else {
      timings_->extra_ns.emplace_back(step, now - start_);
    }
    start_ = now;
    timings_->last_lap_end = now;
  }
  // "index=ns index=ns ..." from the child.
  void add_child_steps(const std::string& text) {
    if (timings_ == nullptr) {
      return;
    }
    std::istringstream in(text);
    std::string item;
    while (in >> item) {
      const auto eq = item.find('=');
      const auto index = std::stoul(item.substr(0, eq));
      if (eq != std::string::npos && index < timings_->step_ns.size()) {
        timings_->step_ns[index] = std::stoll(item.substr(eq + 1));
      }
    }
  }

 private:
  const Plan& plan_;
  Timings* timings_;
  int64_t start_ = 0;
};

struct ChildReport {
  std::optional<Error> error;  // a step failed in the child
  UniqueFd pty_master;
  bool ready = false;
};

// Reads the child's messages until EOF, which comes when execve succeeds (or the child dies).
Result<ChildReport> collect_child_messages(const SyncChannel& channel, StateRecord& record, pid_t child,
                                           StepClock& clock) {
  ChildReport report;
  for (;;) {
    UniqueFd passed;
    auto m = channel.receive(&passed);
    if (!m) {
      return m.error();
    }
    if (!m->has_value()) {
      return report;
    }
    const Message& msg = **m;
    switch (msg.type) {
      case MessageType::log: spdlog::log(static_cast<spdlog::level::level_enum>(msg.number), "{}", msg.text); break;
      case MessageType::error: report.error = msg.to_error(); break;
      case MessageType::pty_master: report.pty_master = std::move(passed); break;
      case MessageType::timings: clock.add_child_steps(msg.text); break;
      case MessageType::ready:
        clock.restart();  // from here to EOF: start_init and execve
        report.ready = true;
        if (auto r = record.mark_running(child); !r) {
          return r.error();
        }
        break;
      case MessageType::maps_written: break;
    }
  }
}

std::string human_size(int64_t bytes) {
  static constexpr const char* kUnits[] = {"", "K", "M", "G", "T"};
  int unit = 0;
  auto value = static_cast<double>(bytes);
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, value == static_cast<int64_t>(value) ? "%.0f%s" : "%.1f%s", value, kUnits[unit]);
  return buf;
}

// A SIGKILL that the OOM killer sent says so, instead of a bare 137.
void report_oom_kill(int status, const Step* cgroup_step) {
  if (status != 128 + SIGKILL || cgroup_step == nullptr) {
    return;
  }
  for (const auto& w : std::get<op::CreateCgroups>(cgroup_step->op).writes) {
    if (w.file.ends_with("/memory.limit_in_bytes") || w.file.ends_with("/memory.max")) {
      const auto dir = w.file.substr(0, w.file.rfind('/'));
      if (CgroupDirs::oom_kills(dir) > 0) {
        std::fprintf(stderr, "barco: container killed: out of memory (limit %s)\n",
                     human_size(std::stoll(w.value)).c_str());
      }
    }
  }
}

int exit_code_for(const Error& e) {
  return e.step == "exec" ? exit_code_for_exec_error(e.err) : kExitBarcoError;
}

// The run itself; the state record and the cgroups are removed when it returns.
int run_plan(const ContainerConfig& config, const Plan& plan, const RunOptions& options, Timings* timings) {
  StepClock clock(plan, timings);
  StateInfo info;
  info.id = config.id;
  info.rootfs = config.root.path;
  info.command = config.process.args;
  const auto* cgroup_step = plan.find("create_cgroups");
  if (cgroup_step != nullptr) {
    info.cgroups = std::get<op::CreateCgroups>(cgroup_step->op).dirs;
  }
  spdlog::debug("reserve_id: {}/{}", options.state_root, config.id);
  auto record = StateRecord::reserve(options.state_root, std::move(info));
  if (!record) {
    report(in_step(Result<void>(record.error()), "reserve_id").error());
    return kExitBarcoError;
  }
  clock.lap("reserve_id");
  // Created before clone and removed (by its destructor) only after the child guard below
  // has killed and reaped the container.
  std::optional<CgroupDirs> cgroups;
  if (cgroup_step != nullptr) {
    const auto& cg = std::get<op::CreateCgroups>(cgroup_step->op);
    spdlog::debug("create_cgroups: {}", describe(cgroup_step->op));
    auto created = CgroupDirs::create(cg.dirs);
    if (!created) {
      report(in_step(Result<void>(created.error()), "create_cgroups").error());
      return kExitBarcoError;
    }
    cgroups.emplace(std::move(created.value()));
    if (!cg.v2_dir.empty()) {
      if (auto r = CgroupDirs::enable_controllers(cg.v2_mount, cg.v2_dir, cg.v2_controllers); !r) {
        report(in_step(std::move(r), "create_cgroups").error());
        return kExitBarcoError;
      }
    }
    for (const auto& w : cg.writes) {
      auto written = CgroupDirs::write_limit(w.file, w.value, w.optional);
      if (!written) {
        written.error().call = w.flag + ": " + written.error().call;
        report(in_step(Result<void>(written.error()), "create_cgroups").error());
        return kExitBarcoError;
      }
      if (!*written) {
        spdlog::warn("{} ignored: this kernel has no {}", w.flag, w.file.substr(w.file.rfind('/') + 1));
      }
    }
    if (!cg.devices_dir.empty()) {
      if (auto r = CgroupDirs::write_device_rules(cg.devices_dir, cg.device_rules); !r) {
        report(in_step(std::move(r), "create_cgroups").error());
        return kExitBarcoError;
      }
    }
    if (!cg.bpf_devices_dir.empty()) {
      auto program = device_filter_program(cg.device_rules);
      auto attached = program ? attach_device_filter(cg.bpf_devices_dir, *program) : Result<void>(program.error());
      if (!attached) {
        report(in_step(std::move(attached), "create_cgroups").error());
        return kExitBarcoError;
      }
    }
  }
  clock.lap("create_cgroups");
  auto channels = SyncChannel::make_pair();
  if (!channels) {
    report(in_step(Result<void>(channels.error()), "clone").error());
    return kExitBarcoError;
  }
  auto& [parent_end, child_end] = *channels;
  // Everything the child needs is prepared here, before clone.
  const auto& exec_op = std::get<op::Exec>(plan.find("exec")->op);
  const ExecArgs exec_args(exec_op.argv, exec_op.env);
  RealSys sys;
  // The filter is compiled (or taken from the cache) here, so the child only loads it.
  CompiledFilter seccomp;
  ChildOptions child_options{options.log_steps, nullptr};
  child_options.timings = timings != nullptr;
  clock.lap("prepare (sync socket, exec args)");
  if (const auto* step = plan.find("load_seccomp")) {
    auto compiled = compile_seccomp_cached(std::get<op::LoadSeccomp>(step->op).filter, options.state_root + "/.cache");
    if (!compiled) {
      report(in_step(Result<void>(compiled.error()), "load_seccomp").error());
      return kExitBarcoError;
    }
    seccomp = std::move(compiled.value());
    for (const auto& name : seccomp.skipped_names) {
      spdlog::debug("load_seccomp: '{}' is not a syscall here; its rule is skipped", name);
    }
    child_options.seccomp_program = &seccomp.program;
    clock.lap("compile_seccomp (parent; cached by filter text)");
  }
  // Blocked before clone so none is lost between clone and the signalfd; the child inherits
  // the mask and clears it right before execve.
  const SignalBlock block(supervised_signals());
  const sigset_t supervised = supervised_signals();
  const UniqueFd signal_fd(::signalfd(-1, &supervised, SFD_CLOEXEC));
  if (!signal_fd.valid()) {
    report(Error{errno, "clone", "signalfd()", {}});
    return kExitBarcoError;
  }
  spdlog::debug("clone: {}", describe(plan.find("clone")->op));
  // cgroup v2: the child is born inside its cgroup (CLONE_INTO_CGROUP), so it has nothing
  // to join there.
  UniqueFd unified_cgroup;
  if (cgroup_step != nullptr) {
    const auto& cg = std::get<op::CreateCgroups>(cgroup_step->op);
    const auto& dir = !cg.v2_dir.empty() ? cg.v2_dir : cg.bpf_devices_dir;
    if (!dir.empty()) {
      unified_cgroup.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    }
  }
  clock.restart();
  auto cloned = clone_process(plan.clone_flags, unified_cgroup.get());
  if (!cloned) {
    cloned.error().step = "clone";
    if (cloned.error().err == EPERM && ::geteuid() != 0) {
      cloned.error().hint = "creating namespaces needs root: run barco with sudo";
    }
    report(cloned.error());
    return kExitBarcoError;
  }
  const pid_t* pid = &cloned->pid;
  child_options.born_in_unified_cgroup = cloned->into_cgroup;
  if (cloned->pid != 0 && cloned->into_cgroup) {
    spdlog::debug("clone: CLONE_INTO_CGROUP placed the container in its cgroup v2 directory");
  }
  if (*pid == 0) {
    parent_end.close();
    child_main(plan, exec_args, child_end, sys, child_options);
  }
  ChildGuard guard(*pid);
  child_end.close();
  clock.lap("clone");
  if (const auto* step = plan.find("write_id_maps")) {
    const auto& maps = std::get<op::WriteIdMaps>(step->op);
    spdlog::debug("write_id_maps: {}", describe(step->op));
    auto r = write_id_maps(*pid, maps.uid_map, maps.gid_map);
    if (!r) {
      report(in_step(std::move(r), "write_id_maps").error());
      return kExitBarcoError;
    }
    if (auto s = parent_end.send(Message{MessageType::maps_written, 0, {}, {}, {}}); !s) {
      report(in_step(std::move(s), "write_id_maps").error());
      return kExitBarcoError;
    }
    clock.lap("write_id_maps");
  }
  auto child_report = collect_child_messages(parent_end, *record, *pid, clock);
  if (!child_report) {
    report(in_step(Result<void>(child_report.error()), "supervise").error());
    return kExitBarcoError;
  }
  if (child_report->error) {
    report(*child_report->error);
    return exit_code_for(*child_report->error);
  }
  if (!child_report->ready) {
    report(Error{0, "clone", "the container process exited during setup", "run with -v to see the steps it completed"});
    return kExitBarcoError;
  }
  clock.lap("exec");
  spdlog::debug("supervise: pid {}", *pid);
  const auto& supervise_op = std::get<op::Supervise>(plan.find("supervise")->op);
  Supervision supervision{*pid, signal_fd.get(), std::move(child_report->pty_master), supervise_op.relay_stdin};
  const int status = supervise(supervision);
  guard.release();
  clock.lap("supervise");
  report_oom_kill(status, cgroup_step);
  return status;
}

}  // namespace

int run_container(const ContainerConfig& config, const Plan& plan, const RunOptions& options) {
  if (!options.timings) {
    return run_plan(config, plan, options, nullptr);
  }
  Timings timings;
  const int64_t start = monotonic_ns();
  const int status = run_plan(config, plan, options, &timings);
  const int64_t end = monotonic_ns();
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
  // Between the timed parts: signal set-up, the parent waiting on the child's messages
  // beyond the steps' own time.
  timings.extra_ns.emplace_back("the rest", std::max<int64_t>(end - start - accounted - teardown, 0));
  timings.extra_ns.emplace_back("total (barco's main to exit status)", end - start);
  std::fputs(format_timings(plan, timings).c_str(), stderr);
  return status;
}

}  // namespace barco
