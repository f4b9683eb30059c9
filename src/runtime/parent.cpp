#include "runtime/parent.hpp"

#include "linux/device_filter.hpp"
#include "linux/network.hpp"
#include "linux/seccomp.hpp"
#include "linux/terminal.hpp"
#include "linux/unix_socket.hpp"
#include "linux/userns.hpp"
#include "runtime/child.hpp"
#include "runtime/hooks.hpp"
#include "sys/clone.hpp"
#include "sys/exec.hpp"

#include <barco/clock.hpp>
#include <barco/files.hpp>
#include <barco/oci.hpp>
#include <barco/overloaded.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>

namespace barco {

StepClock::StepClock(const Plan& plan, Timings* timings) : plan_(plan), timings_(timings) {
  if (timings_ != nullptr) {
    timings_->step_ns.assign(plan.steps.size(), -1);
  }
  restart();
}

void StepClock::restart() {
  start_ = timings_ != nullptr ? monotonic_ns() : 0;
}

void StepClock::add(int64_t* slot, int64_t now) {
  *slot = std::max<int64_t>(*slot, 0) + (now - start_);
  start_ = now;
  timings_->last_lap_end = now;
}

void StepClock::lap(const Step& step) {
  if (timings_ != nullptr) {
    add(&timings_->step_ns[static_cast<size_t>(&step - plan_.steps.data())], monotonic_ns());
  }
}

void StepClock::lap(const std::string& what) {
  if (timings_ != nullptr) {
    timings_->extra_ns.emplace_back(what, 0);
    add(&timings_->extra_ns.back().second, monotonic_ns());
  }
}

void StepClock::add_child_steps(const std::string& text) {
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

ChildGuard::~ChildGuard() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

Result<void> PidNamespaceForChildren::enter(int target, const std::string& what) {
  auto own = sys_.open_file("/proc/self/ns/pid", O_RDONLY);
  if (!own) {
    return own.error();
  }
  if (auto r = sys_.setns(target, CLONE_NEWPID, what); !r) {
    return r;
  }
  own_ = std::move(*own);
  return {};
}

void PidNamespaceForChildren::restore() {
  if (own_.valid()) {
    (void)sys_.setns(own_.get(), CLONE_NEWPID, "/proc/self/ns/pid");
    own_.reset();
  }
}

namespace {

OciState oci_state(const ParentRun& run, const std::string& status) {
  return OciState{run.plan.id,        status,        run.pid,
                  run.options.bundle, now_rfc3339(), nlohmann::json(run.plan.annotations)};
}

}  // namespace

std::string hook_state_json(const ParentRun& run, const std::string& status) {
  return oci_state_json(oci_state(run, status)).dump();
}

namespace {

// ---- before clone: host-side work -------------------------------------------------------

Result<void> reserve_id(const op::ReserveId& o, ParentRun& run) {
  StateInfo info;
  info.id = run.plan.id;
  info.rootfs = o.rootfs;
  info.command = o.command;
  info.detached = run.options.detach;
  info.auto_remove = run.options.auto_remove;
  info.oci = run.plan.has<op::WaitForStart>();
  info.bundle = run.options.bundle;
  info.data_dir = run.options.data_dir;
  info.resources = o.resources;
  if (const auto* cg = run.plan.find<op::CreateCgroups>()) {
    info.cgroups = cg->dirs;
  }
  auto record = StateRecord::reserve(run.sys, run.options.state_root, std::move(info));
  if (!record) {
    return record.error();
  }
  run.record.emplace(std::move(*record));
  return {};
}

// --overlay: upper, work and merged inside the record, owned by the container's root.
// The merged root takes the upper directory's owner and mode, so upper/ copies the image
// root's (a 0700 root would lock every non-root user out of the container's /).
Result<void> prepare_overlay(const op::PrepareOverlay& o, ParentRun& run) {
  const auto* reserve = run.plan.find<op::ReserveId>();
  auto root = run.sys.stat(reserve != nullptr ? reserve->rootfs : std::string("/"));
  if (!root) {
    return root.error();
  }
  for (const std::string& dir : {o.dir, o.dir + "/upper", o.dir + "/work", o.dir + "/merged"}) {
    if (auto r = run.sys.mkdir(dir, 0700); !r && r.error().err != EEXIST) {
      return r;
    }
    const bool upper = dir == o.dir + "/upper";
    const uid_t uid = o.owner_uid + (upper ? root->st_uid : 0);
    const gid_t gid = o.owner_gid + (upper ? root->st_gid : 0);
    if (uid != 0 || gid != 0) {
      if (auto r = run.sys.chown(dir, uid, gid); !r) {
        return r;
      }
    }
    if (upper) {
      if (auto r = run.sys.chmod(dir, root->st_mode & 07777); !r) {
        return r;
      }
    }
  }
  return {};
}

Result<void> open_log(const op::OpenLog& o, ParentRun& run) {
  auto log = run.sys.open_or_create(o.file, O_WRONLY | O_APPEND, 0640);
  if (!log) {
    return log.error();
  }
  run.log = std::move(*log);
  if (!o.through_pipe) {
    return {};
  }
  auto pipe = run.sys.make_pipe();
  if (!pipe) {
    return pipe.error();
  }
  run.log_read = std::move(pipe->first);
  run.log_write = std::move(pipe->second);
  return {};
}

Result<void> write_cgroup_limits(const op::CreateCgroups& cg, Sys& sys) {
  for (const auto& w : cg.writes) {
    auto written = CgroupDirs::write_limit(sys, w.file, w.value, w.optional);
    if (!written) {
      written.error().call = w.flag + ": " + written.error().call;
      return written.error();
    }
    if (!*written) {
      spdlog::warn("{} ignored: this kernel has no {}", w.flag, w.file.substr(w.file.rfind('/') + 1));
    }
  }
  return {};
}

Result<void> restrict_devices(const op::CreateCgroups& cg, Sys& sys) {
  if (!cg.devices_dir.empty()) {
    if (auto r = CgroupDirs::write_device_rules(sys, cg.devices_dir, cg.device_rules); !r) {
      return r;
    }
  }
  if (cg.bpf_devices_dir.empty()) {
    return {};
  }
  auto program = device_filter_program(cg.device_rules);
  if (!program) {
    return program.error();
  }
  return sys.attach_device_filter(cg.bpf_devices_dir, *program);
}

// Created before clone and removed (by CgroupDirs' destructor) only after the child guard
// has killed and reaped the container.
}  // namespace

Result<CgroupDirs> make_container_cgroups(Sys& sys, const op::CreateCgroups& cg) {
  auto created = CgroupDirs::create(sys, cg.dirs);
  if (!created) {
    return created.error();
  }
  if (!cg.v2_dir.empty()) {
    if (auto r = CgroupDirs::enable_controllers(sys, cg.v2_mount, cg.v2_dir, cg.v2_controllers); !r) {
      return r.error();
    }
  }
  if (auto r = write_cgroup_limits(cg, sys); !r) {
    return r.error();
  }
  if (auto r = restrict_devices(cg, sys); !r) {
    return r.error();
  }
  return created;
}

namespace {

Result<void> create_cgroups(const op::CreateCgroups& cg, ParentRun& run) {
  auto created = make_container_cgroups(run.sys, cg);
  if (!created) {
    return created.error();
  }
  run.cgroups.emplace(std::move(*created));
  return {};
}

// 0622, as runc: the init reopens it for writing after it may have become an unmapped or
// non-root user (docker --user 1000, a user namespace); only barco start reads it, and the
// record's directory is root's. The mode is set again because the umask narrowed it.
Result<void> clone_bind_sources(const op::CloneBindSources& o, ParentRun& run) {
  for (const auto& [path, recursive] : o.sources) {
    auto tree = run.sys.clone_mount_tree(path, recursive);
    if (!tree) {
      return tree.error();
    }
    run.bind_sources.push_back(std::move(*tree));
  }
  return {};
}

Result<void> make_exec_fifo(const op::MakeExecFifo& o, ParentRun& run) {
  if (auto r = run.sys.mkfifo(o.fifo, 0622); !r) {
    return r;
  }
  if (auto r = run.sys.chmod(o.fifo, 0622); !r) {
    return r;
  }
  auto fd = run.sys.open_file(o.fifo, O_PATH);
  if (!fd) {
    return fd.error();
  }
  run.exec_fifo = std::move(*fd);
  return {};
}

// The filter is compiled (or taken from the cache) here, so the child only loads it.
Result<void> compile_filter(const op::CompileSeccomp& o, ParentRun& run) {
  const auto* load = run.plan.find<op::LoadSeccomp>();
  if (load == nullptr) {
    return {};
  }
  auto compiled = compile_seccomp_cached(load->filter, o.cache_dir);
  if (!compiled) {
    return compiled.error();
  }
  for (const auto& name : compiled->skipped_names) {
    spdlog::debug("compile_seccomp: '{}' is not a syscall here; its rule is skipped", name);
  }
  run.seccomp_program = std::move(compiled->program);
  return {};
}

Result<void> join_pid_namespace(const op::JoinPidNamespace& o, ParentRun& run) {
  if (o.path.empty()) {  // barco exec: the target container's
    auto r = run.pid_ns.enter(run.target_pidfd, "pidfd");
    if (!r) {
      r.error().hint = "the container has stopped";
    }
    return r;
  }
  auto fd = run.sys.open_file(o.path, O_RDONLY);
  if (!fd) {
    return fd.error();
  }
  return run.pid_ns.enter(fd->get(), "\"" + o.path + "\"");
}

// ---- clone ----------------------------------------------------------------------------

ChildOptions child_options(const ParentRun& run) {
  ChildOptions o;
  o.log_steps = run.options.log_steps;
  o.seccomp_program = run.seccomp_program.empty() ? nullptr : &run.seccomp_program;
  o.timings = run.options.timings;
  o.target_pidfd = run.target_pidfd;
  o.exec_fifo_fd = run.exec_fifo.get();
  o.output_fd = run.log_write.valid() ? run.log_write.get() : run.log.get();
  o.stdio = run.relay.child_fds();
  o.outlive_parent = run.plan.has<op::HandOver>();
  for (const auto& tree : run.bind_sources) {
    o.bind_sources.push_back(tree.get());
  }
  return o;
}

// Signals are blocked before clone so none is lost between clone and the signalfd; the
// child inherits the mask and clears it right before execve.
Result<void> block_supervised_signals(ParentRun& run) {
  run.signals_blocked.emplace(supervised_signals());
  auto fd = run.sys.open_signalfd(supervised_signals());
  if (!fd) {
    return fd.error();
  }
  run.signal_fd = std::move(*fd);
  return {};
}

// cgroup v2: the child is born inside its cgroup (CLONE_INTO_CGROUP), so it has nothing
// to join there. Without the directory's fd it is born outside and joins it itself (its
// join_cgroups step), which is slower, not wrong: the failure is logged, not fatal.
UniqueFd unified_cgroup_fd(const Plan& plan, Sys& sys) {
  const auto* join = plan.find<op::JoinCgroups>();
  if (join == nullptr || join->unified_dir.empty()) {
    return {};
  }
  auto fd = sys.open_file(join->unified_dir, O_RDONLY | O_DIRECTORY);
  if (!fd) {
    spdlog::debug("clone: no CLONE_INTO_CGROUP: {}", fd.error().message());
    return {};
  }
  return std::move(*fd);
}

Result<void> spawn_child(const op::Clone& o, ParentRun& run) {
  auto channels = SyncChannel::make_pair();
  if (!channels) {
    return channels.error();
  }
  auto& [parent_end, child_end] = *channels;
  if (const auto* relay = run.plan.find<op::RelayCallerTerminal>()) {
    auto pipes = CallerTerminalRelay::for_caller(relay->relay_stdin);
    if (!pipes) {
      return pipes.error();
    }
    run.relay = std::move(*pipes);
  }
  const auto& exec = *run.plan.find<op::Exec>();
  const ExecArgs exec_args(exec.argv, exec.env);
  auto options = child_options(run);
  options.hook_state = &run.hook_state;
  if (auto r = block_supervised_signals(run); !r) {
    return r;
  }
  const UniqueFd cgroup = unified_cgroup_fd(run.plan, run.sys);
  run.clock.lap("prepare (sync socket, exec args, signals)");
  auto cloned = clone_process(o.flags, cgroup.get());
  run.pid_ns.restore();
  if (!cloned) {
    if (cloned.error().err == EPERM && ::geteuid() != 0) {
      cloned.error().hint = "creating namespaces needs root: run barco with sudo";
    }
    return cloned.error();
  }
  options.born_in_unified_cgroup = cloned->into_cgroup;
  if (cloned->pid == 0) {
    parent_end.close();
    child_main(run.plan, exec_args, child_end, run.sys, options);
  }
  if (cloned->into_cgroup) {
    spdlog::debug("clone: CLONE_INTO_CGROUP placed the container in its cgroup v2 directory");
  }
  run.pid = cloned->pid;
  run.guard.emplace(cloned->pid);
  run.channel = std::move(parent_end);
  run.relay.child_ends = {};
  run.log_write.reset();
  return {};
}

// --network bridge: the lease names the container, and the record names the address (for
// ps, rm and gc).
Result<void> lease_bridge_address(const op::LeaseAddress& o, ParentRun& run) {
  auto address = lease_address(run.sys, o.lease_dir, o.subnet, run.plan.id);
  if (!address) {
    return address.error();
  }
  const auto* connect = run.plan.find<op::ConnectNetwork>();
  const bool published = connect != nullptr && !connect->ports.empty();
  run.address = *address;
  run.bridge.emplace(run.sys, run.plan.id, o.lease_dir + "/" + ipv4_string(*address), published);
  if (run.record) {
    run.record->set_network(ipv4_string(*address), published);
  }
  const std::string ports = o.lease_dir.substr(0, o.lease_dir.rfind('/')) + "/ports";
  return reserve_ports(run.sys, ports, connect != nullptr ? connect->ports : std::vector<PortMapping>{}, run.plan.id,
                       run.bridge->files());
}

// 0644, as docker's: any user of the container resolves names.
Result<void> write_name_files(const op::WriteNameFiles& o, ParentRun& run) {
  const auto address = o.with_address ? std::optional<Ipv4>(run.address) : std::nullopt;
  const std::pair<const char*, std::string> files[] = {
      {"hosts", hosts_file(o.hostname, address, o.add_hosts)},
      {"hostname", o.hostname + "\n"},
      {"resolv.conf", o.resolv_conf},
  };
  for (const auto& [name, content] : files) {
    const std::string path = o.dir + "/" + name;
    if (auto r = run.sys.create_file(path, content); !r) {
      return r;
    }
    if (auto r = run.sys.chmod(path, 0644); !r) {
      return r;
    }
  }
  return {};
}

// ---- after clone ------------------------------------------------------------------------

// The child works on meanwhile: when it failed first (its namespace, or its end of the
// socket, is gone), its error is the one to report, not what that did to this step.
Error child_error_or(const ParentRun& run, Error own) {
  pollfd p{run.channel.fd(), POLLIN, 0};
  while (::poll(&p, 1, 0) == 1) {
    auto m = run.channel.receive();
    if (!m || !m->has_value()) {
      break;
    }
    if ((*m)->type == MessageType::error) {
      return (*m)->to_error();
    }
  }
  return own;
}

Result<void> connect_network(const op::ConnectNetwork& o, ParentRun& run) {
  auto r = connect_to_bridge(run.sys, run.pid, {run.plan.id, o.bridge, o.subnet, o.veth, run.address, o.ports});
  if (r) {
    r = run.channel.send(Message{MessageType::network_ready, 0, {}, {}, {}});
  }
  if (!r) {
    return child_error_or(run, r.error());
  }
  return {};
}

Result<void> set_oom_score_adj(const op::SetOomScoreAdj& o, ParentRun& run) {
  return run.sys.write_file("/proc/" + std::to_string(run.pid) + "/oom_score_adj", std::to_string(o.value));
}

Result<void> write_maps(const op::WriteIdMaps& o, ParentRun& run) {
  if (auto r = write_id_maps(run.sys, run.pid, o.uid_map, o.gid_map); !r) {
    return r;
  }
  return run.channel.send(Message{MessageType::maps_written, 0, {}, {}, {}});
}

Result<void> write_exec_context(const op::WriteExecContext& o, ParentRun& run) {
  if (auto r = run.sys.create_file(o.dir + "/config.json", o.config_json); !r) {
    return r;
  }
  if (run.seccomp_program.empty()) {
    return {};
  }
  const auto& p = run.seccomp_program;
  return run.sys.create_file(o.dir + "/seccomp.bpf",
                             std::string(reinterpret_cast<const char*>(p.data()), p.size() * sizeof(sock_filter)));
}

// SCMP_ACT_NOTIFY: the listener goes to the agent with the state, and the parent's copy is
// closed on return, so the agent holds the only one.
Result<void> hand_listener_to_agent(ParentRun& run, UniqueFd listener) {
  const auto* load = run.plan.find<op::LoadSeccomp>();
  if (load == nullptr || load->listener_path.empty() || !listener.valid()) {
    return plain_error("the child's seccomp listener", "the plan's load_seccomp step has no listener");
  }
  const bool exec = run.plan.has<op::JoinContainer>();
  const auto message = oci_process_state_json(
                           run.pid, load->listener_metadata,
                           oci_state(run, oci_status_name(exec ? ContainerStatus::running : ContainerStatus::creating)))
                           .dump();
  auto sent = send_fd_to_socket(load->listener_path, message, listener.get());
  if (!sent) {
    Error e = sent.error();
    e.step = op::LoadSeccomp::kName;
    if (e.call.starts_with("connect(")) {
      e.call = "failed to connect with seccomp agent: " + e.call;
      e.hint = "linux.seccomp.listenerPath names the agent's socket: start the agent first (or drop SCMP_ACT_NOTIFY)";
    }
    return e;
  }
  spdlog::debug("load_seccomp: the listener went to the agent at {}", load->listener_path);
  return {};
}

enum class Until { hook_point, ready, exec };

// Relays the child's messages until `until`. A step that failed in the child comes back
// as that step's error; EOF before `until` means the child died during its setup.
Result<void> await_child(ParentRun& run, Until until) {
  for (;;) {
    UniqueFd passed;
    auto m = run.channel.receive(&passed);
    if (!m) {
      return m.error();
    }
    if (!m->has_value()) {
      if (until == Until::exec && run.child_ready) {
        return {};  // the close-on-exec socket closed: execve succeeded
      }
      return Error{0, "clone", "the process exited during setup", "run with -v to see the steps it completed"};
    }
    const Message& msg = **m;
    switch (msg.type) {
      case MessageType::log: spdlog::log(static_cast<spdlog::level::level_enum>(msg.number), "{}", msg.text); break;
      case MessageType::error: return msg.to_error();
      case MessageType::pty_master: run.pty_master = std::move(passed); break;
      case MessageType::seccomp_listener:
        if (auto r = hand_listener_to_agent(run, std::move(passed)); !r) {
          return r;
        }
        break;
      case MessageType::timings: run.clock.add_child_steps(msg.text); break;
      case MessageType::hook_point:
        if (until == Until::hook_point) {
          return {};
        }
        return plain_error("the child's hook point", "the plan has no create_runtime_hooks step to answer it");
      case MessageType::ready:
        run.child_ready = true;
        run.clock.restart();  // from here to EOF: start_init and execve
        if (until == Until::ready) {
          return {};
        }
        if (run.record) {
          if (auto r = run.record->mark_running(run.pid); !r) {
            return r;
          }
        }
        break;
      case MessageType::maps_written:
      case MessageType::hook_state:
      case MessageType::network_ready: break;
    }
  }
}

// The child waits at its hook point (namespaces made, before pivot_root) for the state the
// createRuntime hooks saw.
Result<void> run_create_runtime_hooks(const op::RunHooks& o, ParentRun& run) {
  if (auto r = await_child(run, Until::hook_point); !r) {
    return r;
  }
  run.hook_state = hook_state_json(run, oci_status_name(ContainerStatus::creating));
  if (auto r = run_hooks(o.hooks, o.phase, run.hook_state); !r) {
    return r;
  }
  return run.channel.send(Message{MessageType::hook_state, 0, {}, run.hook_state, {}});
}

// The spec: a failing poststart or poststop hook is a warning, and the start goes on.
void run_hooks_warning_only(const op::RunHooks& o, ParentRun& run, const std::string& status) {
  for (auto& failure : run_hooks_to_the_end(o.hooks, o.phase, hook_state_json(run, status))) {
    if (failure.step.empty()) {
      failure.step = step_name(o);
    }
    spdlog::warn("{}", failure.message());
  }
}

Result<void> run_parent_hooks(const op::RunHooks& o, ParentRun& run) {
  if (o.phase == "createRuntime") {
    return run_create_runtime_hooks(o, run);
  }
  run_hooks_warning_only(o, run,
                         oci_status_name(o.phase == "poststop" ? ContainerStatus::exited : ContainerStatus::running));
  return {};
}

Result<void> await_setup(const op::AwaitSetup& o, ParentRun& run) {
  if (auto r = await_child(run, o.until_ready ? Until::ready : Until::exec); !r) {
    return r;
  }
  if (const auto* exec = run.plan.find_step<op::Exec>(); exec != nullptr && !o.until_ready) {
    run.clock.lap(*exec);
  }
  // run --bundle --pid-file, exec --pid-file: as runc, a pid file that cannot be written
  // fails the start and the command (already running) is killed: the caller waits on it.
  if (!o.until_ready && !run.options.handover.pid_file.empty()) {
    if (auto r = write_file_atomic(run.options.handover.pid_file, std::to_string(run.pid)); !r) {
      return r.error();
    }
  }
  return {};
}

// The pid file and, with a terminal, the pty master go to the OCI caller; a created
// container's record, cgroups and process now belong to whoever calls start/kill/delete.
Result<void> hand_over(ParentRun& run) {
  if (run.record) {
    if (auto r = run.record->mark_created(run.pid); !r) {
      return r;
    }
  }
  const Handover& h = run.options.handover;
  if (!h.pid_file.empty()) {
    if (auto r = write_file_atomic(h.pid_file, std::to_string(run.pid)); !r) {
      return r;
    }
  }
  if (!h.console_socket.empty()) {
    if (!run.pty_master.valid()) {
      return plain_error("--console-socket " + h.console_socket, "process.terminal is false: there is no pty to send");
    }
    if (auto r = send_console(h.console_socket, run.pty_master.get()); !r) {
      return r;
    }
  }
  if (run.record) {
    run.record->keep();
  }
  if (run.cgroups) {
    run.cgroups->release();
  }
  run.guard->release();
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

Result<void> supervise_command(const op::Supervise& o, ParentRun& run) {
  spdlog::debug("supervise: pid {}", run.pid);
  Supervision supervision;
  supervision.child = run.pid;
  supervision.signal_fd = run.signal_fd.get();
  supervision.pty_master = std::move(run.pty_master);
  supervision.relay_stdin = o.relay_stdin;
  supervision.relay = std::move(run.relay.parent_ends);
  if (run.options.notify_fd >= 0) {
    supervision.output_fd = run.log.get();
    supervision.output_limit = run.options.log_limit;
    supervision.log_pipe = std::move(run.log_read);
    notify_started(run.options.notify_fd);
  }
  run.status = supervise(supervision);
  run.guard->release();
  return {};
}

// ---- after the exit ---------------------------------------------------------------------

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
void report_oom(const op::ReportOom& o, ParentRun& run) {
  if (run.status != 128 + SIGKILL || CgroupDirs::oom_kills(run.sys, o.memory_dir) == 0) {
    return;
  }
  std::fprintf(stderr, "barco: container killed: out of memory (limit %s)\n", human_size(o.limit).c_str());
  run.oom_killed = true;
}

}  // namespace

Result<void> run_parent_step(const Step& step, ParentRun& run) {
  auto r = std::visit(overloaded{
                          [&](const op::ReserveId& o) { return reserve_id(o, run); },
                          [&](const op::PrepareOverlay& o) { return prepare_overlay(o, run); },
                          [&](const op::OpenLog& o) { return open_log(o, run); },
                          [&](const op::CreateCgroups& o) { return create_cgroups(o, run); },
                          [&](const op::MakeExecFifo& o) { return make_exec_fifo(o, run); },
                          [&](const op::CloneBindSources& o) { return clone_bind_sources(o, run); },
                          [&](const op::CompileSeccomp& o) { return compile_filter(o, run); },
                          [&](const op::JoinPidNamespace& o) { return join_pid_namespace(o, run); },
                          [&](const op::Clone& o) { return spawn_child(o, run); },
                          [&](const op::SetOomScoreAdj& o) { return set_oom_score_adj(o, run); },
                          [&](const op::WriteIdMaps& o) { return write_maps(o, run); },
                          [&](const op::WriteExecContext& o) { return write_exec_context(o, run); },
                          [&](const op::LeaseAddress& o) { return lease_bridge_address(o, run); },
                          [&](const op::WriteNameFiles& o) { return write_name_files(o, run); },
                          [&](const op::ConnectNetwork& o) { return connect_network(o, run); },
                          [&](const op::RunHooks& o) { return run_parent_hooks(o, run); },
                          [&](const op::AwaitSetup& o) { return await_setup(o, run); },
                          [&](const op::HandOver&) { return hand_over(run); },
                          [&](const op::Supervise& o) { return supervise_command(o, run); },
                          [&](const op::ReportOom& o) {
                            report_oom(o, run);
                            return Result<void>();
                          },
                          [&](const auto&) { return Result<void>(plain_error("not a parent step", {})); },
                      },
                      step.op);
  if (!r && r.error().step.empty()) {
    r.error().step = step.name;
  }
  return r;
}

Result<void> walk_parent_steps(Where where, ParentRun& run) {
  for (const auto& step : run.plan.steps) {
    if (step.where != where) {
      continue;
    }
    if (run.options.log_steps) {
      spdlog::debug("{}: {}", step.name, describe(step.op));
    }
    if (!std::holds_alternative<op::AwaitSetup>(step.op)) {
      run.clock.restart();
    }
    if (auto r = run_parent_step(step, run); !r) {
      return r;
    }
    if (!std::holds_alternative<op::AwaitSetup>(step.op)) {
      run.clock.lap(step);
    }
  }
  return {};
}

}  // namespace barco
