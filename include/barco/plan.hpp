// Plan: the ordered kernel operations that turn a ContainerConfig into a running process.
// It is a value (like bubblewrap's list of SETUP_* operations): `--dry-run` prints it, unit
// tests assert its order without root, and the child walks exactly this list. Everything
// that can be computed before clone is computed here (argv/envp, id-map strings, mounts).
#pragma once

#include <barco/config.hpp>

#include <sys/types.h>

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace barco {

// parent_after_exit: once the command has exited (or the container was handed over).
enum class Where { parent_before_clone, parent_after_clone, child, parent_after_exit };

[[nodiscard]] const char* where_name(Where w);

namespace op {
// The state record: its directory, and what `ps` shows of the container.
struct ReserveId {
  static constexpr const char* kName = "reserve_id";
  std::string state_dir;
  std::string rootfs;
  std::vector<std::string> command;
  Resources resources;  // recorded: `update` merges new limits into these
};
struct Clone {
  static constexpr const char* kName = "clone";
  unsigned long flags;
};
struct WriteIdMaps {
  static constexpr const char* kName = "write_id_maps";
  std::string uid_map;
  std::string gid_map;
};
struct Supervise {
  static constexpr const char* kName = "supervise";
  bool terminal;
  bool relay_stdin;
};
// One limit written into a cgroup file before clone.
struct CgroupWrite {
  std::string file;
  std::string value;
  std::string flag;       // the flag it comes from, for messages
  bool optional = false;  // a missing file (no swap accounting, no BFQ) is a warning, not an error
  bool operator==(const CgroupWrite&) const = default;
};
struct CreateCgroups {
  static constexpr const char* kName = "create_cgroups";
  std::vector<std::string> dirs;
  std::vector<CgroupWrite> writes;
  std::string devices_dir;                  // v1 devices cgroup, or empty
  std::string bpf_devices_dir;              // cgroup v2 directory that gets the eBPF device filter, or empty
  std::string v2_mount;                     // pure cgroup v2: the hierarchy's mount point
  std::string v2_dir;                       // pure cgroup v2: the container's cgroup
  std::vector<std::string> v2_controllers;  // to enable in each parent's cgroup.subtree_control
  std::vector<DeviceRule> device_rules;
};
struct JoinCgroups {
  static constexpr const char* kName = "join_cgroups";
  std::vector<std::string> tasks_files;
  std::string unified_dir;  // cgroup v2: the directory the process is born in (CLONE_INTO_CGROUP)
};
struct WaitForIdMaps {
  static constexpr const char* kName = "wait_for_id_maps";
};
struct BecomeRootInUserns {
  static constexpr const char* kName = "become_root_in_userns";
};
struct SetHostname {
  static constexpr const char* kName = "set_hostname";
  std::string name;
};
struct MakeRootPrivate {
  static constexpr const char* kName = "make_root_private";
};
struct BindRootfs {
  static constexpr const char* kName = "bind_rootfs";
  std::string rootfs;
};
// Named for what it mounts: mount_proc, mount_dev, bind_volume, ...
struct MountFs {
  Mount mount;
  std::string rootfs;
  int source_slot = -1;  // a bind whose source tree clone_bind_sources opened (user namespaces)
};
// With a user namespace the container's root is an unprivileged host uid, which may not even
// reach a bind's source: the parent clones each source's mount tree (open_tree) before clone,
// with the caller's rights, and the child attaches the tree (move_mount) instead.
struct CloneBindSources {
  static constexpr const char* kName = "clone_bind_sources";
  std::vector<std::pair<std::string, bool>> sources;  // path, recursive (rbind)
};
struct MakeDevice {
  static constexpr const char* kName = "make_device";
  Device device;
  std::string rootfs;
  bool bind_from_host;
};
struct MakeSymlink {
  static constexpr const char* kName = "make_symlink";
  std::string target;
  std::string link;
  std::string rootfs;
};
struct PivotRoot {
  static constexpr const char* kName = "pivot_root";
  std::string rootfs;
};
struct RemountRootReadOnly {
  static constexpr const char* kName = "remount_root_read_only";
};
// A read-only /dev: its tmpfs is mounted writable so the nodes, links and mount points can be
// made, then made read-only itself (not the mounts below it: devpts, shm, mqueue).
struct RemountDevReadOnly {
  static constexpr const char* kName = "remount_dev_read_only";
  std::string path;  // the host path of the container's /dev
};
// OCI rootfsPropagation: the container's / becomes shared, slave or unbindable.
struct SetRootPropagation {
  static constexpr const char* kName = "set_root_propagation";
  unsigned long flags = 0;
};
// --overlay: the upper, work and merged directories, created inside the state record (and
// removed with it), owned by the container's root.
struct PrepareOverlay {
  static constexpr const char* kName = "prepare_overlay";
  std::string dir;
  uint32_t owner_uid = 0;
  uint32_t owner_gid = 0;
};
struct MountOverlay {
  static constexpr const char* kName = "mount_overlay";
  std::string lower;
  std::string dir;         // holds upper/, work/, merged/
  bool userxattr = false;  // in a user namespace overlayfs may only use user.* xattrs
};
struct RedirectOutput {
  static constexpr const char* kName = "redirect_output";
  std::string file;
};
// run -d: the log, opened (created) by the parent before clone; the child gets its fd.
struct OpenLog {
  static constexpr const char* kName = "open_log";
  std::string file;
  bool through_pipe = false;  // without a pty the monitor copies the output in, up to --log-max-size
};
// OCI create: the FIFO `barco start` opens; the child gets an O_PATH fd of it.
struct MakeExecFifo {
  static constexpr const char* kName = "make_exec_fifo";
  std::string fifo;
};
// The load_seccomp filter compiled to BPF (or taken from the cache) before clone.
struct CompileSeccomp {
  static constexpr const char* kName = "compile_seccomp";
  std::string cache_dir;
};
// What `barco exec` joins with: the configuration in OCI form and the compiled filter,
// written into the record while the child sets itself up.
struct WriteExecContext {
  static constexpr const char* kName = "write_exec_context";
  std::string dir;
  std::string config_json;
};
// Relays the child's log lines until its setup is done: until it execs (EOF on the
// close-on-exec socket), or with `until_ready`, until it waits for `barco start`.
struct AwaitSetup {
  static constexpr const char* kName = "await_setup";
  bool until_ready = false;
};
// OCI create and exec -d: the pid file and the pty master go to the caller, who owns the
// process from here on.
struct HandOver {
  static constexpr const char* kName = "hand_over";
};
// After a SIGKILL: whether the memory cgroup's OOM killer sent it, for the message.
struct ReportOom {
  static constexpr const char* kName = "report_oom";
  std::string memory_dir;
  int64_t limit = 0;
};
// OCI linux.namespaces[].path: setns into existing namespaces (net, ipc, uts, cgroup).
struct JoinNamespacePaths {
  static constexpr const char* kName = "join_namespaces";
  std::vector<std::pair<Namespace, std::string>> paths;
};
// OCI pid namespace path, and `barco exec`: the parent enters the pid namespace before
// clone, because setns(CLONE_NEWPID) only moves the caller's future children.
struct JoinPidNamespace {
  static constexpr const char* kName = "join_pid_namespace";
  std::string path;  // empty: the target container's (exec)
};
// `barco exec`: setns(pidfd, flags) into the running container's namespaces.
struct JoinContainer {
  static constexpr const char* kName = "join_container";
  int flags = 0;
  pid_t pid = 0;
};
struct WriteSysctl {
  static constexpr const char* kName = "write_sysctl";
  std::vector<std::pair<std::string, std::string>> values;
};
struct SetOomScoreAdj {
  static constexpr const char* kName = "set_oom_score_adj";
  int value = 0;
};
// OCI hooks. The child pauses before pivot_root (HookPause) while the parent runs prestart
// and createRuntime; createContainer and startContainer run from the child.
struct HookPause {
  static constexpr const char* kName = "hook_pause";
};
// --network bridge. The parent leases the first free address of the subnet (a file per
// address under `lease_dir`, made with O_EXCL: no lock, no double lease) before clone ...
struct LeaseAddress {
  static constexpr const char* kName = "lease_address";
  std::string lease_dir;
  Subnet subnet;
};
// ... writes /etc/hosts (with that address), /etc/hostname and /etc/resolv.conf into the
// record, which the child binds over the image's ...
struct WriteNameFiles {
  static constexpr const char* kName = "write_name_files";
  std::string dir;
  std::string hostname;
  std::vector<HostEntry> add_hosts;
  std::string resolv_conf;
  bool with_address = false;  // bridge: the container's own address is listed
};
// ... and after clone makes the bridge (once), the veth with its peer born in the child's
// network namespace as eth0, the address and default route there, and the published ports'
// rules, then tells the child (AwaitNetwork), which waits before the command runs.
struct ConnectNetwork {
  static constexpr const char* kName = "connect_network";
  std::string bridge;
  Subnet subnet;
  std::string veth;
  std::vector<PortMapping> ports;
};
struct AwaitNetwork {
  static constexpr const char* kName = "await_network";
};
// Named for the phase: create_runtime_hooks, poststart_hooks, ...
struct RunHooks {
  std::string phase;  // createRuntime, createContainer, startContainer, poststart
  std::vector<Hook> hooks;
  std::string cwd;  // createContainer: the container's root (as runc); empty: barco's own
};
// OCI create: the set-up container waits here until `barco start` opens the exec fifo.
struct WaitForStart {
  static constexpr const char* kName = "wait_for_start";
  std::string fifo;
};
struct BringUpLoopback {
  static constexpr const char* kName = "bring_up_loopback";
};
struct EnterCgroupNamespace {
  static constexpr const char* kName = "enter_cgroup_namespace";
};
struct SetupTerminal {
  static constexpr const char* kName = "setup_terminal";
  bool bind_console = true;  // a run makes the pty the container's /dev/console; exec does not
  uint32_t owner = 0;        // the command's uid: the pty is its user's (its group stays tty)
  ConsoleSize size;          // process.consoleSize; 0x0: the kernel's default
};
struct CreateSession {
  static constexpr const char* kName = "create_session";
};
struct DetachStdin {
  static constexpr const char* kName = "detach_stdin";
};
struct SetRlimits {
  static constexpr const char* kName = "set_rlimits";
  std::vector<Rlimit> limits;
};
struct SetUser {
  static constexpr const char* kName = "set_user";
  User user;
  bool keep_caps;  // PR_SET_KEEPCAPS before leaving uid 0
};
struct MaskPaths {
  static constexpr const char* kName = "mask_paths";
  std::vector<std::string> paths;
};
struct ReadonlyPaths {
  static constexpr const char* kName = "readonly_paths";
  std::vector<std::string> paths;
};
struct LoadSeccomp {
  static constexpr const char* kName = "load_seccomp";
  SeccompFilter filter;  // compiled to BPF by the parent before clone
  std::string source;
  // SCMP_ACT_NOTIFY: the filter is loaded with a listener, which the child hands to the
  // parent and the parent to the agent at this unix socket; both then close their copies.
  std::string listener_path;
  std::string listener_metadata;
};
struct DropBoundingCaps {
  static constexpr const char* kName = "drop_bounding_caps";
  CapMask keep;
  int last_cap;
};
struct SetCapabilities {
  static constexpr const char* kName = "set_capabilities";
  Capabilities caps;
};
struct SetNoNewPrivs {
  static constexpr const char* kName = "set_no_new_privs";
};
struct ChangeDir {
  static constexpr const char* kName = "change_dir";
  std::string cwd;
};
// After clone, before anything else: PR_SET_DUMPABLE 0, so no process of the container can
// ptrace barco's child or open its /proc/PID/fd (CVE-2016-9962).
struct MakeNonDumpable {
  static constexpr const char* kName = "make_non_dumpable";
};
// After clone: every fd the child inherited from barco except the sync socket and the few a
// later step uses (the log, the exec FIFO, the target's pidfd).
struct CloseHostFds {
  static constexpr const char* kName = "close_host_fds";
  int preserved = 0;  // fds 3..3+N-1 are the caller's, passed on (--preserve-fds)
};
// Without a pty: where the caller's fd 0/1/2 is a terminal, the pipe barco relays through
// takes its place (TIOCSTI: the container never holds the caller's terminal).
struct RelayCallerTerminal {
  static constexpr const char* kName = "relay_caller_terminal";
  bool relay_stdin = false;  // -i: the caller's stdin is copied in; otherwise the command reads EOF
};
// The last close, before the privileges are dropped and the filter loaded: only the sync
// socket (and the exec FIFO's O_PATH fd, which wait_for_start closes) survive.
struct CloseFds {
  static constexpr const char* kName = "close_fds";
  int preserved = 0;  // as close_host_fds
};
struct StartInit {
  static constexpr const char* kName = "start_init";
};
struct Exec {
  static constexpr const char* kName = "exec";
  std::vector<std::string> argv;
  BuiltinProgram builtin = BuiltinProgram::none;
  std::vector<std::string> env;
  std::string path_env;
  unsigned umask = 022;  // set just before execve: the setup's own files get exact modes
};
}  // namespace op

using Operation =
    std::variant<op::ReserveId, op::Clone, op::WriteIdMaps, op::Supervise, op::WaitForIdMaps, op::BecomeRootInUserns,
                 op::SetHostname, op::MakeRootPrivate, op::BindRootfs, op::MountFs, op::MakeDevice, op::MakeSymlink,
                 op::PivotRoot, op::RemountRootReadOnly, op::SetRootPropagation, op::BringUpLoopback,
                 op::EnterCgroupNamespace, op::SetupTerminal, op::CreateSession, op::DetachStdin, op::SetRlimits,
                 op::SetUser, op::ChangeDir, op::CloseFds, op::StartInit, op::Exec, op::MaskPaths, op::ReadonlyPaths,
                 op::LoadSeccomp, op::DropBoundingCaps, op::SetCapabilities, op::SetNoNewPrivs, op::CreateCgroups,
                 op::JoinCgroups, op::PrepareOverlay, op::MountOverlay, op::RedirectOutput, op::JoinNamespacePaths,
                 op::JoinPidNamespace, op::JoinContainer, op::WriteSysctl, op::SetOomScoreAdj, op::HookPause,
                 op::RunHooks, op::WaitForStart, op::MakeNonDumpable, op::CloseHostFds, op::RelayCallerTerminal,
                 op::OpenLog, op::MakeExecFifo, op::CompileSeccomp, op::WriteExecContext, op::AwaitSetup, op::HandOver,
                 op::ReportOom, op::CloneBindSources, op::RemountDevReadOnly, op::LeaseAddress, op::WriteNameFiles,
                 op::ConnectNetwork, op::AwaitNetwork>;

// A step's name comes from its op: the type's kName; mounts are named for what they mount,
// hooks for their phase. Logs, errors, --dry-run and --timings all use it.
[[nodiscard]] std::string step_name(const Operation& op);

struct Step {
  std::string name;  // step_name(op): the same name appears in -v logs and in error messages
  Where where;
  Operation op;
  std::string why;  // why the step sits at this position
};

struct Plan {
  std::string id;
  std::map<std::string, std::string> annotations;  // the container's, for the hooks' state
  unsigned long clone_flags = 0;
  std::vector<Step> steps;
  // Limits this host cannot enforce ("--pids-limit ignored: no pids controller"): warnings,
  // or errors with --strict-cgroups.
  std::vector<std::string> unenforced;
  // What the plan leaves out of the request because no runtime could grant it here (a
  // capability outside barco's own bounding set): warnings, never errors.
  std::vector<std::string> left_out;

  [[nodiscard]] std::vector<const Step*> steps_at(Where w) const;
  // The first step whose op is an `Op` (and satisfies `pred`), or null.
  template <class Op, class Pred>
  [[nodiscard]] const Step* find_step(Pred pred) const {
    for (const auto& s : steps) {
      if (const auto* o = std::get_if<Op>(&s.op); o != nullptr && pred(*o)) {
        return &s;
      }
    }
    return nullptr;
  }
  template <class Op>
  [[nodiscard]] const Step* find_step() const {
    return find_step<Op>([](const Op&) { return true; });
  }
  template <class Op>
  [[nodiscard]] const Op* find() const {
    const Step* s = find_step<Op>();
    return s != nullptr ? &std::get<Op>(s->op) : nullptr;
  }
  template <class Op>
  [[nodiscard]] bool has() const {
    return find_step<Op>() != nullptr;
  }
  [[nodiscard]] const op::RunHooks* hooks(const std::string& phase) const {
    const Step* s = find_step<op::RunHooks>([&](const op::RunHooks& h) { return h.phase == phase; });
    return s != nullptr ? &std::get<op::RunHooks>(s->op) : nullptr;
  }
};

// Where and how a container runs, as opposed to what it is (ContainerConfig): the runtime
// computes it from the state and data roots, the id and the kind of start (run, run -d, OCI
// create), so the same config runs the same way under every verb.
struct Placement {
  // Copy-on-write (--overlay, run -d): an overlayfs with the rootfs as its lower layer and
  // <overlay_dir>/upper as the writable layer, mounted on <overlay_dir>/merged inside the
  // container's mount namespace, so the image directory is never modified. Empty: none.
  std::string overlay_dir;
  std::string log_file;         // run -d: the command's stdout and stderr; empty: the caller's
  std::string exec_fifo;        // OCI create: waits before the command until `start` opens it
  bool strict_cgroups = false;  // a limit the host cannot enforce is an error, not a warning
  // --network bridge: barco's bridge and its subnet (BARCO_BRIDGE_SUBNET, default
  // 10.213.0.0/16), checked against the host's routes by the runtime.
  std::string bridge = "barco0";
  Subnet subnet{0x0ad50000, 16};
  std::string resolv_conf;  // what the container's /etc/resolv.conf says (from the host's)
  [[nodiscard]] std::string mount_point(const std::string& rootfs) const {
    return overlay_dir.empty() ? rootfs : overlay_dir + "/merged";
  }
};

// The facts about the machine a plan depends on, read by the caller (the plan stays pure).
struct PlanHost {
  std::string state_root = "/run/barco";
  std::string arch = native_seccomp_arch();
  KernelVersion kernel{6, 1};
  int cap_last_cap = 40;  // /proc/sys/kernel/cap_last_cap
  // barco's own bounding set: no process it starts can hold a capability outside it.
  CapMask caller_bounding = ~CapMask{0};
  CgroupHost cgroups;  // parse_cgroup_host of this machine
};

[[nodiscard]] Plan build_plan(const ContainerConfig& config, const Placement& placement, const PlanHost& host);
[[nodiscard]] Plan build_plan(const ContainerConfig& config, const PlanHost& host = {});

// `barco exec`: what a running container's processes share, read from its record.
struct ExecTarget {
  pid_t pid = 0;                          // the container's init (a pidfd of it is opened by the caller)
  int namespace_flags = 0;                // CLONE_NEW* of its own namespaces, except the pid namespace
  bool pid_namespace = false;             // it has a private pid namespace: the parent enters it before clone
  std::vector<std::string> cgroup_files;  // a tasks (v1) or cgroup.procs (v2) file of each of its cgroups
  std::string unified_cgroup;             // its cgroup v2 directory, which the process is born in; or empty
  std::string seccomp;                    // describes the container's compiled filter; empty: none
  bool detach = false;                    // exec -d: handed over to the caller instead of supervised
};

// The same process steps as a run (terminal, cwd, seccomp, bounding set, user,
// capabilities, no_new_privs, exec) after joining the container instead of creating one.
// `config.process` is the process to start; `config.namespaces` are the container's.
[[nodiscard]] Plan build_exec_plan(const ContainerConfig& config, const ExecTarget& target, const PlanHost& host = {});

// One line per step: "N. [where] name  args" and, indented, why.
[[nodiscard]] std::string describe(const Operation& op);
[[nodiscard]] std::string format_plan(const Plan& plan);

// `barco run --timings`: nanoseconds per plan step (by index into plan.steps; -1 when not
// measured on its own) and for barco's work outside the steps ("compile_seccomp",
// "teardown", "total").
struct Timings {
  // barco's own start-up before the plan runs (flags, host facts, config, plan), in order.
  std::vector<std::pair<std::string, int64_t>> startup_ns;
  std::vector<int64_t> step_ns;
  std::vector<std::pair<std::string, int64_t>> extra_ns;
  int64_t last_lap_end = 0;  // CLOCK_MONOTONIC ns at the end of the last timed part
};
// barco's start-up parts, then every step of the plan, in order, grouped by name
// ("make_device x6"), with its side and milliseconds; then the extras.
[[nodiscard]] std::string format_timings(const Plan& plan, const Timings& timings);

// "CLONE_NEWNS|CLONE_NEWPID|..."
[[nodiscard]] std::string clone_flags_to_string(unsigned long flags);
[[nodiscard]] std::string mount_flags_to_string(unsigned long flags);
// "RDONLY|NOSUID" of MOUNT_ATTR_* bits.
[[nodiscard]] std::string mount_attrs_to_string(uint64_t attrs);
[[nodiscard]] std::string id_map_to_string(const std::vector<IdMapping>& maps);

}  // namespace barco
