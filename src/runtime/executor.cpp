#include "linux/cgroups.hpp"
#include "linux/device_filter.hpp"
#include "linux/seccomp.hpp"
#include "linux/terminal.hpp"
#include "linux/userns.hpp"
#include "runtime/child.hpp"
#include "runtime/hooks.hpp"
#include "runtime/signals.hpp"
#include "runtime/state.hpp"
#include "runtime/supervisor.hpp"
#include "runtime/sync.hpp"
#include "sys/clock.hpp"
#include "sys/clone.hpp"
#include "sys/exec.hpp"
#include "sys/files.hpp"
#include "sys/sys.hpp"

#include <barco/oci.hpp>
#include <barco/runtime.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <sstream>

namespace barco {
namespace {

void report(const Error& e) {
  report_error(e);
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

// Reads the child's messages until EOF, which comes when execve succeeds (or the child dies),
// or until `ready` with `stop_at_ready` (OCI create: the child then waits for start).
// `on_hook_point` runs the createRuntime hooks and returns the state they were given.
Result<ChildReport> collect_child_messages(const SyncChannel& channel, StateRecord* record, pid_t child,
                                           StepClock& clock, bool stop_at_ready = false,
                                           const std::function<Result<std::string>()>& on_hook_point = {}) {
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
        if (stop_at_ready) {
          return report;
        }
        if (record == nullptr) {
          break;
        }
        if (auto r = record->mark_running(child); !r) {
          return r.error();
        }
        break;
      case MessageType::hook_point: {
        auto state = on_hook_point ? on_hook_point() : Result<std::string>(std::string("{}"));
        if (!state) {
          return state.error();
        }
        if (auto r = channel.send(Message{MessageType::hook_state, 0, {}, *state, {}}); !r) {
          return r.error();
        }
        break;
      }
      case MessageType::maps_written:
      case MessageType::hook_state: break;
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

// A SIGKILL that the OOM killer sent says so, instead of a bare 137. Returns whether it was.
bool report_oom_kill(int status, const Step* cgroup_step) {
  if (status != 128 + SIGKILL || cgroup_step == nullptr) {
    return false;
  }
  for (const auto& w : std::get<op::CreateCgroups>(cgroup_step->op).writes) {
    if (w.file.ends_with("/memory.limit_in_bytes") || w.file.ends_with("/memory.max")) {
      const auto dir = w.file.substr(0, w.file.rfind('/'));
      if (CgroupDirs::oom_kills(dir) > 0) {
        std::fprintf(stderr, "barco: container killed: out of memory (limit %s)\n",
                     human_size(std::stoll(w.value)).c_str());
        return true;
      }
    }
  }
  return false;
}

// --overlay: upper, work and merged inside the record, owned by the container's root.
// The merged root takes the upper directory's owner and mode, so upper/ copies the image
// root's (a 0700 root would lock every non-root user out of the container's /).
Result<void> prepare_overlay(const op::PrepareOverlay& o, const std::string& lower) {
  struct stat root {};
  if (::stat(lower.c_str(), &root) < 0) {
    return errno_error("stat(\"" + lower + "\")");
  }
  for (const std::string& dir : {o.dir, o.dir + "/upper", o.dir + "/work", o.dir + "/merged"}) {
    if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) {
      return errno_error("mkdir(\"" + dir + "\")");
    }
    const bool upper = dir == o.dir + "/upper";
    const uid_t uid = o.owner_uid + (upper ? root.st_uid : 0);
    const gid_t gid = o.owner_gid + (upper ? root.st_gid : 0);
    if ((uid != 0 || gid != 0) && ::chown(dir.c_str(), uid, gid) < 0) {
      return errno_error("chown(\"" + dir + "\")");
    }
    if (upper && ::chmod(dir.c_str(), root.st_mode & 07777) < 0) {
      return errno_error("chmod(\"" + dir + "\")");
    }
  }
  return {};
}

Result<void> write_exec_context(const std::string& dir, const ContainerConfig& config,
                                const std::vector<sock_filter>& program) {
  if (auto r = create_file(dir + "/config.json", oci_config_json(config, OciDetail::exec_context).dump()); !r) {
    return r;
  }
  if (program.empty()) {
    return {};
  }
  return create_file(dir + "/seccomp.bpf",
                     std::string(reinterpret_cast<const char*>(program.data()), program.size() * sizeof(sock_filter)));
}

Result<UniqueFd> open_log_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd.valid()) {
    return errno_error("open(\"" + path + "\", O_CREAT)");
  }
  return fd;
}

// setns(CLONE_NEWPID) in the parent moves only the children it creates from then on. The
// parent returns to its own pid namespace right after the clone, so nothing it forks later
// (hooks, a sanitizer's helper threads) lands in the container.
class PidNamespaceForChildren {
 public:
  PidNamespaceForChildren() = default;
  PidNamespaceForChildren(const PidNamespaceForChildren&) = delete;
  PidNamespaceForChildren& operator=(const PidNamespaceForChildren&) = delete;
  ~PidNamespaceForChildren() { restore(); }

  // `target` is an fd of a pid namespace (a /proc/PID/ns/pid file, or a pidfd).
  Result<void> enter(int target, const std::string& what) {
    own_.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!own_.valid()) {
      return errno_error("open(\"/proc/self/ns/pid\")");
    }
    if (::setns(target, CLONE_NEWPID) < 0) {
      own_.reset();
      return errno_error("setns(" + what + ", CLONE_NEWPID)");
    }
    return {};
  }
  void restore() {
    if (own_.valid()) {
      (void)::setns(own_.get(), CLONE_NEWPID);
      own_.reset();
    }
  }

 private:
  UniqueFd own_;
};

Result<void> join_pid_namespace(PidNamespaceForChildren& ns, const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return errno_error("open(\"" + path + "\")");
  }
  return ns.enter(fd.get(), "\"" + path + "\"");
}

std::string hook_state_json(const ContainerConfig& config, const RunOptions& options, const std::string& status,
                            pid_t pid) {
  return oci_state_json(OciState{config.id, status, pid, options.bundle, now_rfc3339(), nlohmann::json::object()})
      .dump();
}

// OCI create: the FIFO `barco start` opens, and an O_PATH fd of it for the child (opening
// it for writing would block; the child reopens it through /proc after pivot_root).
Result<UniqueFd> make_exec_fifo(const std::string& path) {
  // 0622, as runc: the init reopens it for writing after it may have become an unmapped or
  // non-root user (docker --user 1000, a user namespace); only barco start reads it, and the
  // record's directory is root's.
  if (::mkfifo(path.c_str(), 0622) < 0 || ::chmod(path.c_str(), 0622) < 0) {
    return errno_error("mkfifo(\"" + path + "\", 0622)");
  }
  UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!fd.valid()) {
    return errno_error("open(\"" + path + "\", O_PATH)");
  }
  return fd;
}

// The hand-over to an OCI caller: its pid file and, with a terminal, the pty master.
Result<void> hand_over(const Handover& h, pid_t pid, const UniqueFd& pty_master) {
  if (!h.pid_file.empty()) {
    if (auto r = write_file_atomic(h.pid_file, std::to_string(pid)); !r) {
      return r;
    }
  }
  if (!h.console_socket.empty()) {
    if (!pty_master.valid()) {
      return plain_error("--console-socket " + h.console_socket, "process.terminal is false: there is no pty to send");
    }
    return send_console(h.console_socket, pty_master.get());
  }
  return {};
}

// The detached monitor, once the command runs: the caller gets its answer, and the monitor
// lets go of the caller's terminal or pipes.
void notify_started(int notify_fd) {
  const char ok = 'R';
  while (::write(notify_fd, &ok, 1) < 0 && errno == EINTR) {
  }
  ::close(notify_fd);
  const UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  for (int fd = 0; fd <= 2 && null.valid(); ++fd) {
    ::dup2(null.get(), fd);
  }
}

// The pipes that replace the caller's terminal, when the plan has the step and barco stays
// to relay (`stays`); none otherwise.
Result<CallerTerminalRelay> relay_for(const Plan& plan, bool stays, bool relay_stdin) {
  if (!stays || plan.find("relay_caller_terminal") == nullptr) {
    return CallerTerminalRelay{};
  }
  return CallerTerminalRelay::for_caller(relay_stdin);
}

int exit_code_for(const Error& e) {
  return e.step == "exec" ? exit_code_for_exec_error(e.err) : kExitBarcoError;
}

// When the child's setup failed: prints why and returns barco's exit status.
std::optional<int> setup_failure(Result<ChildReport>& child, const std::string& who) {
  if (!child) {
    report(in_step(Result<void>(child.error()), "supervise").error());
    return kExitBarcoError;
  }
  if (child->error) {
    report(*child->error);
    return exit_code_for(*child->error);
  }
  if (!child->ready) {
    report(Error{0, "clone", who + " exited during setup", "run with -v to see the steps it completed"});
    return kExitBarcoError;
  }
  return std::nullopt;
}

// The run itself; the state record and the cgroups are removed when it returns.
int run_plan(const ContainerConfig& config, const Plan& plan, const RunOptions& options, Timings* timings) {
  StepClock clock(plan, timings);
  StateInfo info;
  info.id = config.id;
  info.rootfs = config.root.path;
  info.command = config.process.args;
  info.detached = options.detach;
  info.auto_remove = options.auto_remove;
  info.oci = !config.exec_fifo.empty();
  info.bundle = options.bundle;
  info.data_dir = options.data_dir;
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
  if (const auto* step = plan.find("prepare_overlay")) {
    if (auto r = prepare_overlay(std::get<op::PrepareOverlay>(step->op), config.root.path); !r) {
      report(in_step(std::move(r), "prepare_overlay").error());
      return kExitBarcoError;
    }
  }
  UniqueFd log;
  if (!config.process.output_file.empty()) {
    auto opened = open_log_file(config.process.output_file);
    if (!opened) {
      report(in_step(Result<void>(opened.error()), "redirect_output").error());
      return kExitBarcoError;
    }
    log = std::move(*opened);
  }
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
  UniqueFd exec_fifo;
  if (!config.exec_fifo.empty()) {
    auto fifo = make_exec_fifo(config.exec_fifo);
    if (!fifo) {
      report(in_step(Result<void>(fifo.error()), "wait_for_start").error());
      return kExitBarcoError;
    }
    exec_fifo = std::move(*fifo);
    child_options.exec_fifo_fd = exec_fifo.get();
    child_options.outlive_parent = true;
  }
  // A foreground run stays to relay; a detached or OCI-created container outlives its caller.
  auto relay = relay_for(plan, options.notify_fd < 0 && config.exec_fifo.empty(), config.process.stdin_open);
  if (!relay) {
    report(in_step(Result<void>(relay.error()), "relay_caller_terminal").error());
    return kExitBarcoError;
  }
  child_options.stdio = relay->child_fds();
  std::string hook_state;
  child_options.hook_state = &hook_state;
  child_options.output_fd = log.get();
  // run -d without a pty: the container writes into a pipe that the monitor copies into the
  // log, up to --log-max-size, instead of into the log file itself.
  UniqueFd log_read;
  UniqueFd log_write;
  if (log.valid() && !config.process.terminal) {
    std::array<int, 2> p{};
    if (::pipe2(p.data(), O_CLOEXEC) < 0) {
      report(Error{errno, "redirect_output", "pipe2() for the log", {}});
      return kExitBarcoError;
    }
    log_read.reset(p[0]);
    log_write.reset(p[1]);
    child_options.output_fd = log_write.get();
  }
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
  PidNamespaceForChildren pid_ns;
  if (const auto* step = plan.find("join_pid_namespace")) {
    if (auto r = join_pid_namespace(pid_ns, std::get<op::JoinPidNamespace>(step->op).path); !r) {
      report(in_step(std::move(r), "join_pid_namespace").error());
      return kExitBarcoError;
    }
  }
  clock.restart();
  auto cloned = clone_process(plan.clone_flags, unified_cgroup.get());
  pid_ns.restore();
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
  relay->child_ends = {};
  log_write.reset();
  clock.lap("clone");
  if (const auto* step = plan.find("set_oom_score_adj")) {
    const auto value = std::to_string(std::get<op::SetOomScoreAdj>(step->op).value);
    if (auto r = write_file("/proc/" + std::to_string(*pid) + "/oom_score_adj", value); !r) {
      report(in_step(std::move(r), "set_oom_score_adj").error());
      return kExitBarcoError;
    }
  }
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
  // While the child sets itself up: what `barco exec` joins with (the configuration in OCI
  // form, read back by the OCI reader, and exactly the BPF program the container loads), and
  // what `state`/`delete` read (hooks). Both exist before the record says "running".
  if (auto r = write_exec_context(record->dir(), config, seccomp.program); !r) {
    report(in_step(std::move(r), "reserve_id").error());
    return kExitBarcoError;
  }
  clock.lap("exec context (config.json, seccomp.bpf)");
  const pid_t init_pid = *pid;
  auto run_create_runtime_hooks = [&]() -> Result<std::string> {
    auto state = hook_state_json(config, options, "creating", init_pid);
    if (const auto* step = plan.find("create_runtime_hooks")) {
      const auto& o = std::get<op::RunHooks>(step->op);
      if (auto r = run_hooks(o.hooks, o.phase, state); !r) {
        r.error().step = "create_runtime_hooks";
        return r.error();
      }
    }
    return state;
  };
  const bool oci_create = !config.exec_fifo.empty();
  auto child_report = collect_child_messages(parent_end, &*record, *pid, clock, oci_create, run_create_runtime_hooks);
  if (const auto failed = setup_failure(child_report, "the container process")) {
    return *failed;
  }
  if (oci_create) {
    // Set up and waiting for `barco start`: the record, the cgroups and the process now
    // belong to whoever calls start/kill/delete.
    if (auto r = record->mark_created(*pid); !r) {
      report(in_step(std::move(r), "wait_for_start").error());
      return kExitBarcoError;
    }
    if (auto r = hand_over(options.handover, *pid, child_report->pty_master); !r) {
      report(in_step(std::move(r), "wait_for_start").error());
      return kExitBarcoError;
    }
    record->keep();
    if (cgroups) {
      cgroups->release();
    }
    guard.release();
    return 0;
  }
  clock.lap("exec");
  if (!options.handover.pid_file.empty()) {
    if (auto r = write_file_atomic(options.handover.pid_file, std::to_string(*pid)); !r) {
      report(in_step(std::move(r), "exec").error());
    }
  }
  if (const auto* step = plan.find("poststart_hooks")) {
    const auto& o = std::get<op::RunHooks>(step->op);
    if (auto r = run_hooks(o.hooks, o.phase, hook_state_json(config, options, "running", *pid)); !r) {
      spdlog::warn("{}", in_step(std::move(r), "poststart_hooks").error().message());
    }
  }
  spdlog::debug("supervise: pid {}", *pid);
  const auto& supervise_op = std::get<op::Supervise>(plan.find("supervise")->op);
  Supervision supervision{*pid, signal_fd.get(), std::move(child_report->pty_master), supervise_op.relay_stdin};
  supervision.relay = std::move(relay->parent_ends);
  if (options.notify_fd >= 0) {
    supervision.output_fd = log.get();
    supervision.output_limit = options.log_limit;
    supervision.log_pipe = std::move(log_read);
    notify_started(options.notify_fd);
  }
  const int status = supervise(supervision);
  guard.release();
  clock.lap("supervise");
  const bool oom = report_oom_kill(status, cgroup_step);
  if (!config.hooks.poststop.empty()) {
    if (auto r = run_hooks(config.hooks.poststop, "poststop", hook_state_json(config, options, "stopped", *pid)); !r) {
      spdlog::warn("{}", r.error().message());
    }
  }
  if (options.detach) {
    (void)record->mark_exited(status, oom);
    if (!options.auto_remove) {
      record->keep();
    }
  }
  return status;
}

// run -d: a monitor process (one per container, no daemon) runs the container and stays
// its parent; this barco waits only until the command runs (or setup failed, whose error the
// monitor has already printed on the shared stderr), then prints the id.
int run_detached(const ContainerConfig& config, const Plan& plan, RunOptions options) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) < 0) {
    report(Error{errno, "reserve_id", "pipe2()", {}});
    return kExitBarcoError;
  }
  std::fflush(nullptr);
  const pid_t monitor = ::fork();
  if (monitor < 0) {
    report(Error{errno, "reserve_id", "fork() of the monitor", {}});
    return kExitBarcoError;
  }
  if (monitor == 0) {
    ::close(fds[0]);
    ::setsid();  // no SIGHUP when the caller's terminal goes away
    options.notify_fd = fds[1];
    const int status = run_plan(config, plan, options, nullptr);
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
    std::printf("%s\n", config.id.c_str());
    return 0;
  }
  int status = 0;
  while (::waitpid(monitor, &status, 0) < 0 && errno == EINTR) {
  }
  const int code = exit_status_of(status);
  return code == 0 ? kExitBarcoError : code;
}

}  // namespace

int exec_in_container(const Plan& plan, int pidfd, const std::string& seccomp_program, const RunOptions& options) {
  StepClock clock(plan, nullptr);
  auto channels = SyncChannel::make_pair();
  if (!channels) {
    report(in_step(Result<void>(channels.error()), "clone").error());
    return kExitBarcoError;
  }
  auto& [parent_end, child_end] = *channels;
  const auto& exec_op = std::get<op::Exec>(plan.find("exec")->op);
  const ExecArgs exec_args(exec_op.argv, exec_op.env);
  RealSys sys;
  std::vector<sock_filter> program(seccomp_program.size() / sizeof(sock_filter));
  std::memcpy(program.data(), seccomp_program.data(), program.size() * sizeof(sock_filter));
  ChildOptions child_options{options.log_steps, program.empty() ? nullptr : &program};
  child_options.target_pidfd = pidfd;
  child_options.outlive_parent = options.handover.detach;
  auto relay = relay_for(plan, !options.handover.detach, plan.find("detach_stdin") == nullptr);
  if (!relay) {
    report(in_step(Result<void>(relay.error()), "relay_caller_terminal").error());
    return kExitBarcoError;
  }
  child_options.stdio = relay->child_fds();
  const SignalBlock block(supervised_signals());
  const sigset_t supervised = supervised_signals();
  const UniqueFd signal_fd(::signalfd(-1, &supervised, SFD_CLOEXEC));
  if (!signal_fd.valid()) {
    report(Error{errno, "clone", "signalfd()", {}});
    return kExitBarcoError;
  }
  PidNamespaceForChildren pid_ns;
  if (plan.find("join_pid_namespace") != nullptr) {
    if (auto r = pid_ns.enter(pidfd, "pidfd"); !r) {
      r.error().hint = "the container has stopped";
      report(in_step(std::move(r), "join_pid_namespace").error());
      return kExitBarcoError;
    }
  }
  // On cgroup v2 the process is born in the container's cgroup; on v1 the child joins.
  UniqueFd unified_cgroup;
  if (const auto* join = plan.find("join_cgroups")) {
    for (const auto& file : std::get<op::JoinCgroups>(join->op).tasks_files) {
      if (file.ends_with("/cgroup.procs")) {
        unified_cgroup.reset(::open(file.substr(0, file.rfind('/')).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      }
    }
  }
  auto cloned = clone_process(0, unified_cgroup.get());
  pid_ns.restore();
  if (!cloned) {
    cloned.error().step = "clone";
    report(cloned.error());
    return kExitBarcoError;
  }
  child_options.born_in_unified_cgroup = cloned->into_cgroup;
  if (cloned->pid == 0) {
    parent_end.close();
    child_main(plan, exec_args, child_end, sys, child_options);
  }
  ChildGuard guard(cloned->pid);
  child_end.close();
  relay->child_ends = {};
  auto child_report = collect_child_messages(parent_end, nullptr, cloned->pid, clock);
  if (const auto failed = setup_failure(child_report, "the process")) {
    return *failed;
  }
  if (options.handover.detach) {
    if (auto r = hand_over(options.handover, cloned->pid, child_report->pty_master); !r) {
      report(in_step(std::move(r), "exec").error());
      return kExitBarcoError;
    }
    guard.release();
    return 0;
  }
  const auto& supervise_op = std::get<op::Supervise>(plan.find("supervise")->op);
  Supervision supervision{cloned->pid, signal_fd.get(), std::move(child_report->pty_master), supervise_op.relay_stdin};
  supervision.relay = std::move(relay->parent_ends);
  const int status = supervise(supervision);
  guard.release();
  return status;
}

int run_container(const ContainerConfig& config, const Plan& plan, const RunOptions& options) {
  if (options.detach) {
    return run_detached(config, plan, options);
  }
  if (!options.timings) {
    return run_plan(config, plan, options, nullptr);
  }
  Timings timings;
  timings.startup_ns = options.startup_ns;
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
  int64_t startup = 0;
  for (const auto& [name, ns] : timings.startup_ns) {
    startup += ns;
  }
  timings.extra_ns.emplace_back("total (barco's main to exit status)", startup + end - start);
  std::fputs(format_timings(plan, timings).c_str(), stderr);
  return status;
}

}  // namespace barco
