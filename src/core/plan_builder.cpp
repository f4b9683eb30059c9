#include <barco/defaults.hpp>
#include <barco/oci.hpp>
#include <barco/plan.hpp>
#include <barco/resources.hpp>
#include <barco/result.hpp>

#include <sched.h>
#include <sys/mount.h>

#include <algorithm>
#include <map>
#include <optional>

namespace barco {
namespace {

// The cgroup namespace is unshared by the child after it joined its cgroup, not at clone.
unsigned long clone_flag(Namespace ns) {
  return ns == Namespace::cgroup ? 0 : static_cast<unsigned long>(namespace_clone_flag(ns));
}

std::optional<op::ReportOom> oom_report(const op::CreateCgroups& create) {
  for (const auto& w : create.writes) {
    if (w.file.ends_with("/memory.limit_in_bytes") || w.file.ends_with("/memory.max")) {
      return op::ReportOom{w.file.substr(0, w.file.rfind('/')), std::stoll(w.value)};
    }
  }
  return std::nullopt;
}

std::string hook_step_name(const std::string& phase) {
  std::string out;
  for (const char c : phase) {
    if (c >= 'A' && c <= 'Z') {
      out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out + "_hooks";
}

std::string mount_step_name(const Mount& m) {
  if (m.type == "bind" && m.destination.rfind("/sys/fs/cgroup", 0) == 0) {
    return "bind_cgroup";
  }
  if (m.type == "bind") {
    return "bind_volume";
  }
  if (m.destination == "/proc") return "mount_proc";
  if (m.destination == "/dev") return "mount_dev";
  if (m.destination == "/dev/pts") return "mount_devpts";
  if (m.destination == "/dev/shm") return "mount_shm";
  if (m.destination == "/dev/mqueue") return "mount_mqueue";
  if (m.destination == "/sys") return "mount_sys";
  return "mount_" + m.type;
}

bool is_under_dev(const Mount& m) {
  return m.destination == "/dev" || m.destination.rfind("/dev/", 0) == 0;
}

std::string find_env(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env) {
    if (e.rfind(key + "=", 0) == 0) {
      return e.substr(key.size() + 1);
    }
  }
  return {};
}

class PlanBuilder {
 public:
  PlanBuilder(const ContainerConfig& c, const Placement& p) : c_(c), p_(p) {}

  Plan build(const PlanHost& host) {
    const std::string& state_root = host.state_root;
    plan_.id = c_.id;
    plan_.annotations = c_.annotations;
    for (const auto& ns : c_.namespaces) {
      if (ns.private_ns && ns.path.empty()) {
        plan_.clone_flags |= clone_flag(ns.type);
      }
    }
    const bool userns = c_.has_private(Namespace::user);
    parent(Where::parent_before_clone,
           op::ReserveId{state_root + "/" + c_.id, c_.root.path, c_.process.args, c_.resources},
           "mkdir is atomic: a second container with the same name is refused before any work");
    add_network_files(state_root);
    if (!p_.overlay_dir.empty()) {
      const uint32_t uid = userns && !c_.uid_mappings.empty() ? c_.uid_mappings.front().host_id : 0;
      const uint32_t gid = userns && !c_.gid_mappings.empty() ? c_.gid_mappings.front().host_id : 0;
      parent(Where::parent_before_clone, op::PrepareOverlay{p_.overlay_dir, uid, gid},
             "inside the state record, so removing the container removes its writable layer");
    }
    if (!p_.log_file.empty()) {
      parent(Where::parent_before_clone, op::OpenLog{p_.log_file, !c_.process.terminal},
             "by the parent, on the host, before the container's mount namespace exists");
    }
    add_cgroup_steps(host);
    if (!p_.exec_fifo.empty()) {
      parent(Where::parent_before_clone, op::MakeExecFifo{p_.exec_fifo},
             "in the record, before clone: the child keeps only an O_PATH fd of it across pivot_root");
    }
    if (c_.seccomp) {
      parent(Where::parent_before_clone, op::CompileSeccomp{state_root + "/.cache"},
             "before clone, in the parent, so the child only loads it; cached by the filter's text");
    }
    if (const auto* pid_ns = namespace_path(Namespace::pid)) {
      parent(Where::parent_before_clone, op::JoinPidNamespace{*pid_ns},
             "setns(CLONE_NEWPID) moves only the caller's future children, so the parent enters before clone");
    }
    if (userns) {
      add_bind_sources();
    }
    parent(Where::parent_before_clone, op::Clone{plan_.clone_flags},
           "namespaces are created with the process, so it never runs in the host's");
    // run -d and OCI create leave no barco behind to relay: their output goes to the log
    // or to the caller's own pipes.
    add_isolation_from_host("the container's own processes", p_.log_file.empty() && p_.exec_fifo.empty());
    if (join_) {
      child(*join_,
            "first, so every later step and the command are confined; the child moves itself, which skips the "
            "parent-side attach and its RCU wait");
    }
    if (c_.process.oom_score_adj) {
      parent(Where::parent_after_clone, op::SetOomScoreAdj{*c_.process.oom_score_adj},
             "by the parent, which holds CAP_SYS_RESOURCE (so the score may be lowered) and writes the host's "
             "/proc, which the non-dumpable child could not open from a user namespace");
    }
    if (userns) {
      parent(Where::parent_after_clone,
             op::WriteIdMaps{id_map_to_string(c_.uid_mappings), id_map_to_string(c_.gid_mappings)},
             "only a process outside the new user namespace may write its maps");
      child(op::WaitForIdMaps{}, "until the maps exist the child is the overflow uid");
      child(op::BecomeRootInUserns{}, "files created from here on need an fsuid that is mapped");
    }
    parent(Where::parent_after_clone,
           op::WriteExecContext{state_root + "/" + c_.id, oci_config_json(c_, OciDetail::exec_context).dump()},
           "while the child sets itself up, before the record says running: what `barco exec` joins with");
    add_namespace_joins();
    if (c_.has_private(Namespace::cgroup) && namespace_path(Namespace::cgroup) == nullptr) {
      child(op::EnterCgroupNamespace{},
            "after the process sits in its own cgroup (and before /sys is mounted), so that cgroup is the namespace's "
            "root");
    }
    add_filesystem_steps(userns, host);
    if (c_.has_private(Namespace::uts)) {
      child(op::SetHostname{c_.hostname}, "in the private UTS namespace; the host's is untouched");
    }
    if (c_.has_private(Namespace::net)) {
      child(op::BringUpLoopback{}, "a new network namespace starts with lo down");
    }
    if (bridged()) {
      parent(Where::parent_after_clone, op::ConnectNetwork{p_.bridge, p_.subnet, veth_name(c_.id), c_.network.publish},
             "once the child's network namespace exists; after the createRuntime hooks, so the child reads their "
             "answer first");
      child(op::AwaitNetwork{}, "eth0 is configured by the parent; the command must not start without it");
    }
    add_process_steps();
    if (!c_.process.rlimits.empty()) {
      child(op::SetRlimits{c_.process.rlimits}, "while still root, so hard limits may be raised");
    }
    child(op::ChangeDir{c_.process.cwd},
          "as root, so a missing workdir can be created; the cwd is then verified to be inside the rootfs");
    add_close_fds("no host fd may reach the command (CVE-2024-21626)");
    add_privilege_steps(host);
    if (!p_.exec_fifo.empty()) {
      child(op::WaitForStart{p_.exec_fifo},
            "barco create returns here; the container is set up and blocks on the FIFO until barco start reads it");
    }
    if (!c_.hooks.start_container.empty()) {
      child(op::RunHooks{"startContainer", c_.hooks.start_container, {}},
            "after start, before the command, inside the container with its final privileges and no fd of barco's");
    }
    if (c_.init) {
      child(op::StartInit{}, "barco's PID 1 forks the command, then reaps zombies and forwards signals");
    }
    add_exec_step();
    if (!p_.exec_fifo.empty()) {
      parent(Where::parent_after_clone, op::AwaitSetup{true},
             "relays the child's log lines and errors until it waits on the FIFO");
      parent(Where::parent_after_clone, op::HandOver{},
             "the record says created; the caller (barco start, kill, delete) owns the container from here");
      return std::move(plan_);
    }
    add_await_exec();
    if (!c_.hooks.poststart.empty()) {
      parent(Where::parent_after_clone, op::RunHooks{"poststart", c_.hooks.poststart, {}},
             "once the command runs (barco start, or run --bundle), in the runtime's namespaces");
    }
    add_supervise();
    if (oom_) {
      parent(Where::parent_after_exit, *oom_, "a SIGKILL from the memory cgroup's OOM killer is named, not a bare 137");
    }
    if (!c_.hooks.poststop.empty()) {
      parent(Where::parent_after_exit, op::RunHooks{"poststop", c_.hooks.poststop, {}},
             "after the command exited, in the runtime's namespaces; a failure is a warning (the spec)");
    }
    return std::move(plan_);
  }

  Plan build_exec(const ExecTarget& t, const PlanHost& host) {
    plan_.id = c_.id;
    exec_seccomp_ = t.seccomp;
    if (t.pid_namespace) {
      parent(Where::parent_before_clone, op::JoinPidNamespace{},
             "setns(CLONE_NEWPID) moves only the caller's future children, so the parent enters before clone");
    }
    parent(Where::parent_before_clone, op::Clone{0},
           "a plain child: it joins the container's namespaces itself, in one setns");
    add_isolation_from_host("the container's processes (it is born in their pid namespace)", !t.detach);
    if (!t.cgroup_files.empty()) {
      child(
          op::JoinCgroups{t.cgroup_files, t.unified_cgroup},
          "first, while the host's /sys/fs/cgroup is still visible: the process counts against the container's limits");
    }
    child(op::JoinContainer{t.namespace_flags, t.pid},
          "setns(pidfd) enters every namespace at once (user first, as the kernel orders them); cwd becomes the "
          "container's root");
    add_process_steps(false);
    if (!c_.process.rlimits.empty()) {
      child(op::SetRlimits{c_.process.rlimits}, "the container's limits, while still root");
    }
    child(op::ChangeDir{c_.process.cwd}, "inside the container's root; verified like a run's");
    add_close_fds("no fd of the exec'ing barco may reach the command (CVE-2024-21626)");
    add_privilege_steps(host);
    add_exec_step();
    add_await_exec();
    if (t.detach) {
      parent(Where::parent_after_clone, op::HandOver{}, "exec -d: the caller gets the pid and the pty");
    } else {
      add_supervise();
    }
    return std::move(plan_);
  }

 private:
  [[nodiscard]] bool bridged() const {
    return c_.network.mode == NetworkMode::bridge && c_.has_private(Namespace::net) &&
           namespace_path(Namespace::net) == nullptr;
  }

  // docker's /etc/hosts, /etc/hostname and /etc/resolv.conf: written into the record (so rm
  // removes them) and bound over the image's (the image is never written). The address is
  // leased first, so the hosts file can name it.
  void add_network_files(const std::string& state_root) {
    if (bridged()) {
      parent(Where::parent_before_clone, op::LeaseAddress{state_root + "/.net/leases", p_.subnet},
             "after the id is reserved (the lease names it), before the hosts file that lists the address");
    }
    if (!c_.network.write_name_files || c_.network.mode == NetworkMode::container) {
      return;
    }
    parent(Where::parent_before_clone,
           op::WriteNameFiles{state_root + "/" + c_.id, c_.hostname, c_.network.add_hosts, p_.resolv_conf, bridged()},
           "in the record, before clone: the child binds them over the image's files");
  }

  void add_exec_step() {
    child(op::Exec{c_.process.args, c_.process.builtin, c_.process.env, find_env(c_.process.env, "PATH"),
                   c_.process.umask},
          "last: EOF on the close-on-exec sync socket tells the parent it succeeded");
  }
  void add_await_exec() {
    parent(Where::parent_after_clone, op::AwaitSetup{false},
           "relays the child's log lines and errors until it execs (EOF on the close-on-exec socket)");
  }
  void add_supervise() {
    parent(Where::parent_after_clone, op::Supervise{c_.process.terminal, c_.process.stdin_open},
           "forward signals, relay the pty, wait, and return the command's status");
  }

  [[nodiscard]] const std::string* namespace_path(Namespace type) const {
    for (const auto& ns : c_.namespaces) {
      if (ns.type == type && ns.private_ns && !ns.path.empty()) {
        return &ns.path;
      }
    }
    return nullptr;
  }

  // prestart and createRuntime run in the parent while the child waits before pivot_root
  // (the namespaces exist, the root is not yet switched); createContainer then runs from the
  // child, in the container's mount namespace.
  void add_create_hooks() {
    const auto& h = c_.hooks;
    if (h.prestart.empty() && h.create_runtime.empty() && h.create_container.empty()) {
      return;
    }
    child(op::HookPause{}, "the namespaces exist and pivot_root has not happened: the spec's hook point");
    std::vector<Hook> runtime = h.prestart;
    runtime.insert(runtime.end(), h.create_runtime.begin(), h.create_runtime.end());
    parent(Where::parent_after_clone, op::RunHooks{"createRuntime", runtime, {}},
           "at the child's hook point: prestart (deprecated) then createRuntime, in the runtime's namespaces, with the "
           "state on stdin; the answer lets the child go on");
    if (!h.create_container.empty()) {
      child(op::RunHooks{"createContainer", h.create_container, p_.mount_point(c_.root.path)},
            "in the container's mount namespace, before pivot_root, in the container's root directory (as runc)");
    }
  }

  // The child's first steps, before it can be reached by `who`. `caller_stays`: barco stays
  // with the caller and can relay its terminal.
  void add_isolation_from_host(const std::string& who, bool caller_stays) {
    child(op::MakeNonDumpable{},
          "first: from here on " + who + " can neither ptrace barco's child nor open its /proc/PID/fd (CVE-2016-9962)");
    if (!c_.process.terminal && caller_stays) {
      child(op::RelayCallerTerminal{c_.process.stdin_open},
            "before anything of the container runs: a process holding the caller's terminal could type into the "
            "caller's shell (TIOCSTI)");
    }
    child(op::CloseHostFds{c_.process.preserve_fds},
          "before any namespace is joined or a path of the container is opened: a leaked host fd is the way out "
          "(CVE-2024-21626)");
  }

  // Before the privilege steps: seccomp is loaded after it (a profile may lack close_range),
  // and no hook or command started later inherits anything of barco's.
  void add_close_fds(const std::string& why) { child(op::CloseFds{c_.process.preserve_fds}, why); }

  void add_namespace_joins() {
    op::JoinNamespacePaths join;
    for (const auto& ns : c_.namespaces) {
      if (ns.private_ns && !ns.path.empty() && ns.type != Namespace::pid) {
        join.paths.emplace_back(ns.type, ns.path);
      }
    }
    if (!join.paths.empty()) {
      child(std::move(join),
            "after the cgroup join (host paths are still visible) and before anything that depends on the namespace");
    }
  }

  void add_process_steps(bool bind_console = true) {
    if (c_.process.terminal) {
      child(op::SetupTerminal{bind_console, c_.process.user.uid, c_.process.console_size},
            "the pty comes from the container's own devpts, and setsid makes it the controlling tty; while root, "
            "so the command's user can be made its owner");
    } else {
      child(op::CreateSession{},
            "a new session detaches the container from the caller's controlling terminal (TIOCSTI)");
      if (!c_.process.stdin_open) {
        child(op::DetachStdin{},
              "without -i the command reads EOF, as with docker; after pivot_root so it is the container's /dev/null");
      }
    }
  }

  void add_filesystem_steps(bool userns, const PlanHost& host) {
    const auto root = p_.mount_point(c_.root.path);
    child(op::MakeRootPrivate{}, "no mount made for the container may propagate back to the host");
    if (p_.overlay_dir.empty()) {
      child(op::BindRootfs{root}, "pivot_root needs the new root to be a mount point");
    } else {
      child(op::MountOverlay{c_.root.path, p_.overlay_dir, userns},
            "in the container's mount namespace, so the mount disappears with it and the image stays untouched");
    }
    // In the config's order, as runc (callers and the runtime-tools suite rely on it: a later
    // mount may sit on an earlier one); the device nodes go into /dev right after its tmpfs,
    // before the mounts listed below it (devpts, shm, mqueue).
    bool dev_read_only = false;
    for (size_t i = 0; i < c_.mounts.size(); ++i) {
      const auto& m = c_.mounts[i];
      const int slot = i < bind_slots_.size() ? bind_slots_[i] : -1;
      if (m.destination == "/dev" && (m.flags & MS_BIND) == 0 && (m.flags & MS_RDONLY) != 0) {
        Mount writable = m;
        writable.flags &= ~static_cast<unsigned long>(MS_RDONLY);
        add_mount(writable, slot);
        dev_read_only = true;
      } else {
        add_mount(m, slot);
      }
      if (m.destination == "/dev") {
        add_device_steps(userns);
      }
    }
    if (dev_read_only) {
      child(op::RemountDevReadOnly{root + "/dev"},
            "after every node, link and mount point under /dev exists (runc's order for a read-only /dev)");
    }
    add_cgroup_mounts(host.cgroups);
    add_create_hooks();
    if (!p_.log_file.empty() && !c_.process.terminal) {
      child(op::RedirectOutput{p_.log_file},
            "the monitor opened the log before clone; stdout and stderr both go to it");
    }
    child(op::PivotRoot{root}, "after the mounts, then the old root is detached: no path to the host remains");
    if (c_.root_propagation != 0) {
      child(op::SetRootPropagation{c_.root_propagation},
            "after pivot_root: every mount was made private first, so a shared / only makes new peer groups inside "
            "the container's namespace, never with the host's mounts");
    }
    if (c_.root.readonly) {
      child(op::RemountRootReadOnly{},
            "after pivot_root, so only the rootfs bind becomes read-only, not the mounts on top of it");
    }
    if (!c_.sysctl.empty()) {
      child(op::WriteSysctl{c_.sysctl}, "in the container's /proc/sys, before readonly_paths makes it read-only");
    }
    if (!c_.masked_paths.empty()) {
      child(op::MaskPaths{c_.masked_paths},
            "after pivot_root and /proc: the container's own /dev/null, verified to be char 1:3, covers them");
    }
    if (!c_.readonly_paths.empty()) {
      child(op::ReadonlyPaths{c_.readonly_paths},
            "after masking; /proc/sys and friends stay readable but cannot be written");
    }
  }

  // The container's cgroups: docker's device allow-list (the v1 devices controller where the
  // host has one, else an eBPF filter on a cgroup v2 directory) and, on v1/hybrid hosts, the
  // resource limits, one hierarchy per controller.
  void add_cgroup_steps(const PlanHost& host) {
    const auto& cg = host.cgroups;
    const auto& r = c_.resources;
    op::CreateCgroups create;
    create.device_rules = c_.device_rules;
    op::JoinCgroups join;
    auto dir_for = [&](const std::string& controller) -> std::string {
      const auto mount = cg.v1_mounts.find(controller);
      if (mount == cg.v1_mounts.end()) {
        return {};
      }
      const auto own = cg.own_v1.find(controller);
      auto dir = container_dir(mount->second, own == cg.own_v1.end() ? "" : own->second);
      if (std::find(create.dirs.begin(), create.dirs.end(), dir) == create.dirs.end()) {
        create.dirs.push_back(dir);
        join.tasks_files.push_back(dir + "/tasks");
      }
      return dir;
    };
    auto limit = [&](const std::string& controller, const std::string& file, const std::string& value,
                     const std::string& flag, bool optional = false) {
      const auto dir = dir_for(controller);
      if (dir.empty()) {
        plan_.unenforced.push_back(flag + " ignored: no " + controller + " controller on this host (" +
                                   cgroup_mode_name(cg.mode) + ")");
        return;
      }
      create.writes.push_back({dir + "/" + file, value, flag, optional});
    };
    if (!c_.device_rules.empty()) {
      if (!dir_for("devices").empty()) {
        create.devices_dir = dir_for("devices");
      } else if (!cg.unified_mount.empty()) {
        create.bpf_devices_dir = unified_dir(cg);
      }
    }
    if (cg.mode == CgroupMode::unified) {
      add_v2_cgroup(r, cg, create, join);
    } else {
      if (!r.unified.empty()) {
        throw ConfigError(std::string("linux.resources.unified: invalid configuration: cgroup v2 files, but this "
                                      "host's controllers are on cgroup v1 (") +
                              cgroup_mode_name(cg.mode) + ")",
                          "use the v1 fields of linux.resources (memory, cpu, pids, blockIO) on this host");
      }
      for (const auto& w : v1_resource_writes(r, p_.strict_cgroups)) {
        limit(w.controller, w.file, w.value, w.flag, w.optional);
      }
      // Every hierarchy, as runc and crun: what a caller measures (docker stats, containerd's
      // metrics, the cgroup namespace's view inside) must be the container's own cgroup, not
      // the one barco was started in.
      for (const auto& entry : cg.v1_mounts) {
        (void)dir_for(entry.first);
      }
      if (!cg.unified_mount.empty()) {
        join.unified_dir = unified_dir(cg);
        create.dirs.push_back(join.unified_dir);
        join.tasks_files.push_back(join.unified_dir + "/cgroup.procs");
      }
    }
    if (create.dirs.empty()) {
      return;  // no cgroup filesystem at all
    }
    if (!create.v2_dir.empty()) {
      join.unified_dir = create.v2_dir;
    }
    oom_ = oom_report(create);
    parent(Where::parent_before_clone, std::move(create),
           "before clone, below barco's own cgroup, so the container can never escape limits its caller is under");
    join_ = std::move(join);  // the child's first step, added by build()
  }

  // On a pure v2 host the container's cgroup hangs off the hierarchy's root
  // (<mount>/<parent>/<id>): barco's own cgroup usually holds processes, and the
  // no-internal-process rule forbids enabling controllers for children of such a cgroup.
  [[nodiscard]] std::string unified_dir(const CgroupHost& cg) const {
    return container_dir(cg.unified_mount, cg.mode == CgroupMode::unified ? "" : cg.own_unified);
  }

  void add_v2_cgroup(const Resources& r, const CgroupHost& cg, op::CreateCgroups& create, op::JoinCgroups& join) {
    const std::string dir = unified_dir(cg);
    create.dirs.push_back(dir);
    join.tasks_files.push_back(dir + "/cgroup.procs");
    create.v2_dir = dir;
    create.v2_mount = cg.unified_mount;
    for (auto& w : v2_resource_writes(r, p_.strict_cgroups, plan_.unenforced)) {
      if (!w.controller.empty() && std::find(create.v2_controllers.begin(), create.v2_controllers.end(),
                                             w.controller) == create.v2_controllers.end()) {
        create.v2_controllers.push_back(w.controller);
      }
      create.writes.push_back({dir + "/" + w.file, std::move(w.value), std::move(w.flag), w.optional});
    }
  }

  [[nodiscard]] std::string container_dir(const std::string& mount, const std::string& own) const {
    std::string base = mount + (!c_.cgroups_path.empty() && c_.cgroups_path.front() == '/' ? "" : own);
    while (!base.empty() && base.back() == '/') {
      base.pop_back();
    }
    if (!c_.cgroups_path.empty()) {
      return base + (c_.cgroups_path.front() == '/' ? "" : "/") + c_.cgroups_path;
    }
    return base + "/" + c_.cgroup_parent + "/" + c_.id;
  }

  // /sys/fs/cgroup as docker shows it: the container's own cgroups (the cgroup namespace
  // makes them the roots), read-only unless --privileged.
  void add_cgroup_mounts(const CgroupHost& cg) {
    const bool wanted =
        c_.cgroupfs == CgroupFs::automatic ? c_.has_private(Namespace::cgroup) : c_.cgroupfs != CgroupFs::none;
    if (!wanted || cg.mode == CgroupMode::none) {
      return;
    }
    const bool writable = c_.cgroupfs == CgroupFs::automatic ? c_.privileged : c_.cgroupfs == CgroupFs::read_write;
    const unsigned long ro = writable ? 0 : MS_RDONLY;
    constexpr unsigned long kSafe = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    const auto root = p_.mount_point(c_.root.path);
    // Without a cgroup namespace a fresh cgroup mount would show the host's whole tree:
    // the container's own directory is bound there instead, as runc does.
    const bool own_namespace = c_.has_private(Namespace::cgroup);
    auto mount = [&](Mount m, const char* why) { child(op::MountFs{std::move(m), root}, why); };
    auto hierarchy = [&](const std::string& destination, const std::string& fstype, const std::string& options,
                         const std::string& container_cgroup, const char* why) {
      if (own_namespace) {
        mount({destination, fstype, fstype, kSafe | ro, options, false}, why);
      } else {
        mount({destination, "bind", container_cgroup, MS_BIND | MS_REC | kSafe | ro, {}, false},
              "no cgroup namespace: the container's own cgroup, not the host's tree");
      }
    };
    if (cg.mode == CgroupMode::unified) {
      hierarchy("/sys/fs/cgroup", "cgroup2", {}, unified_dir(cg),
                "after enter_cgroup_namespace: the container's cgroup is the root it sees");
      return;
    }
    mount({"/sys/fs/cgroup", "tmpfs", "tmpfs", kSafe, "mode=755", false},
          "a tmpfs to hold one mount point per v1 hierarchy, as docker does");
    std::map<std::string, std::string> hierarchies;  // host mount point -> controllers
    for (const auto& [controller, where] : cg.v1_mounts) {
      auto& list = hierarchies[where];
      list += (list.empty() ? "" : ",") + controller;
    }
    for (const auto& [where, controllers] : hierarchies) {
      const auto name = where.substr(where.rfind('/') + 1);
      const auto own = cg.own_v1.find(controllers.substr(0, controllers.find(',')));
      hierarchy("/sys/fs/cgroup/" + name, "cgroup", controllers,
                container_dir(where, own == cg.own_v1.end() ? "" : own->second),
                "each hierarchy, rooted at the container's own cgroup by the cgroup namespace");
    }
    if (!cg.unified_mount.empty()) {
      hierarchy("/sys/fs/cgroup/unified", "cgroup2", {}, unified_dir(cg), "the hybrid host's cgroup2 mount");
    }
    if (ro != 0) {
      mount({"/sys/fs/cgroup", "tmpfs", "", MS_REMOUNT | kSafe | ro, "mode=755", false},
            "the tmpfs becomes read-only once its mount points exist");
    }
  }

  // Seccomp, bounding set, identity, capabilities, no_new_privs: the order is the one
  // minijail documents, because each step needs a privilege that a later one removes.
  void add_privilege_steps(const PlanHost& host) {
    const CapMask kernel = host.cap_last_cap >= 63 ? ~CapMask{0} : cap_bit(host.cap_last_cap + 1) - 1;
    Capabilities caps = c_.process.capabilities;
    // docker --privileged and ctr --privileged ask for every capability they know; inside a
    // CI container or a restricted host some are outside barco's own bounding set, and
    // capset would refuse the whole set (runc fails there). Granting less is never a risk.
    const CapMask asked = caps.bounding | caps.effective | caps.permitted | caps.inheritable | caps.ambient;
    if (const CapMask missing = asked & kernel & ~host.caller_bounding; missing != 0) {
      plan_.left_out.push_back(capability_names(missing) +
                               " left out: not in barco's own bounding set (no process it starts can hold them)");
    }
    for (auto* set : {&caps.bounding, &caps.effective, &caps.permitted, &caps.inheritable, &caps.ambient}) {
      *set &= kernel & host.caller_bounding;
    }
    const bool nnp = c_.process.no_new_privileges;
    std::optional<op::LoadSeccomp> seccomp;
    if (!exec_seccomp_.empty()) {
      seccomp = op::LoadSeccomp{{}, exec_seccomp_, {}, {}};
    } else if (c_.seccomp) {
      seccomp = op::LoadSeccomp{
          resolve_seccomp_profile(*c_.seccomp, {host.arch, caps.bounding, host.kernel}), c_.seccomp->source, {}, {}};
    }
    if (seccomp && c_.seccomp && uses_notify(*c_.seccomp)) {
      seccomp->listener_path = c_.seccomp->listener_path;
      seccomp->listener_metadata = c_.seccomp->listener_metadata;
    }
    if (seccomp && !nnp) {
      child(*seccomp,
            "before capabilities are dropped: without no_new_privs the kernel takes a filter only from a holder of "
            "CAP_SYS_ADMIN");
    }
    child(op::DropBoundingCaps{caps.bounding, host.cap_last_cap},
          "needs CAP_SETPCAP, still held; the bounding set caps what any later execve can gain");
    child(op::SetUser{c_.process.user, c_.process.user.uid != 0},
          "groups first, then gid, then uid: each needs the privilege the next drops");
    child(op::SetCapabilities{caps},
          "after set_user: leaving uid 0 clears the sets (PR_SET_KEEPCAPS keeps permitted), so they are written last");
    if (nnp) {
      child(op::SetNoNewPrivs{}, "no execve may gain privileges (setuid bits, file capabilities)");
    }
    if (seccomp && nnp) {
      child(
          *seccomp,
          "last before exec: with no_new_privs set, any process may load a filter, and it covers the least of barco's "
          "own setup");
    }
  }

  void add_bind_sources() {
    op::CloneBindSources clone;
    bind_slots_.assign(c_.mounts.size(), -1);
    for (size_t i = 0; i < c_.mounts.size(); ++i) {
      const auto& m = c_.mounts[i];
      if ((m.flags & MS_BIND) != 0) {
        bind_slots_[i] = static_cast<int>(clone.sources.size());
        clone.sources.emplace_back(m.source, (m.flags & MS_REC) != 0);
      }
    }
    if (!clone.sources.empty()) {
      parent(Where::parent_before_clone, std::move(clone),
             "with the caller's rights, before clone: the user namespace's root may not reach a source the host's "
             "root owns");
    }
  }

  void add_mount(const Mount& m, int source_slot) {
    child(op::MountFs{m, p_.mount_point(c_.root.path), source_slot},
          is_under_dev(m) ? "inside the container's /dev tmpfs" : "before pivot_root, while host paths are reachable");
  }

  // docker, containerd and podman list every host device for --privileged, /dev/ptmx and
  // /dev/console included. /dev/ptmx stays the link to the container's own devpts (the
  // host's node would open the host's pty instance, and runc replaces it the same way), a
  // terminal's /dev/console is its pty, and a path listed twice is made once.
  [[nodiscard]] std::vector<Device> devices_to_make() const {
    std::vector<Device> out;
    for (const auto& d : c_.devices) {
      const bool replaced = d.path == "/dev/ptmx" || (c_.process.terminal && d.path == "/dev/console");
      const bool repeated = std::any_of(out.begin(), out.end(), [&](const Device& o) { return o.path == d.path; });
      if (!replaced && !repeated) {
        out.push_back(d);
      }
    }
    if (c_.process.terminal) {
      // A file for the pty slave to be bound onto, as runc does for /dev/console.
      out.push_back({"/dev/console", 'f', 0, 0, 0600});
    }
    return out;
  }

  void add_device_steps(bool userns) {
    const auto devices = devices_to_make();
    for (const auto& d : devices) {
      child(op::MakeDevice{d, p_.mount_point(c_.root.path), userns && d.type != 'f' && d.type != 'p'},
            userns ? "a user namespace cannot mknod: the host node is bound instead" : "mknod in the /dev tmpfs");
    }
    static const std::pair<const char*, const char*> kLinks[] = {
        {"pts/ptmx", "/dev/ptmx"},          {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
    };
    for (const auto& link : kLinks) {
      // A device the config lists at a link's path wins, as in runc.
      if (std::none_of(devices.begin(), devices.end(), [&](const Device& d) { return d.path == link.second; })) {
        child(op::MakeSymlink{link.first, link.second, p_.mount_point(c_.root.path)},
              "the links every libc expects in /dev");
      }
    }
  }

  void parent(Where w, Operation o, std::string why) {
    auto name = step_name(o);
    plan_.steps.push_back({std::move(name), w, std::move(o), std::move(why)});
  }
  void child(Operation o, std::string why) { parent(Where::child, std::move(o), std::move(why)); }

  const ContainerConfig& c_;
  const Placement& p_;
  Plan plan_;
  std::optional<op::JoinCgroups> join_;
  std::vector<int> bind_slots_;  // by index into c_.mounts: a bind's clone_bind_sources slot, or -1
  std::optional<op::ReportOom> oom_;
  std::string exec_seccomp_;  // exec: the container's compiled filter, loaded as it is
};

}  // namespace

std::string step_name(const Operation& op) {
  return std::visit(
      [](const auto& o) -> std::string {
        using Op = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<Op, op::MountFs>) {
          return mount_step_name(o.mount);
        } else if constexpr (std::is_same_v<Op, op::RunHooks>) {
          return hook_step_name(o.phase);
        } else {
          return Op::kName;
        }
      },
      op);
}

const char* where_name(Where w) {
  switch (w) {
    case Where::parent_before_clone:
    case Where::parent_after_clone:
    case Where::parent_after_exit: return "parent";
    case Where::child: return "child";
  }
  return "?";
}

std::vector<const Step*> Plan::steps_at(Where w) const {
  std::vector<const Step*> out;
  for (const auto& s : steps) {
    if (s.where == w) {
      out.push_back(&s);
    }
  }
  return out;
}

Plan build_plan(const ContainerConfig& config, const Placement& placement, const PlanHost& host) {
  return PlanBuilder(config, placement).build(host);
}

Plan build_plan(const ContainerConfig& config, const PlanHost& host) {
  return build_plan(config, Placement{}, host);
}

Plan build_exec_plan(const ContainerConfig& config, const ExecTarget& target, const PlanHost& host) {
  const Placement none;
  return PlanBuilder(config, none).build_exec(target, host);
}

}  // namespace barco
