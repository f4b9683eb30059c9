// Plan: the ordered kernel operations that turn a ContainerConfig into a running process.
// It is a value (like bubblewrap's list of SETUP_* operations): `--dry-run` prints it, unit
// tests assert its order without root, and the child walks exactly this list. Everything
// that can be computed before clone is computed here (argv/envp, id-map strings, mounts).
#pragma once

#include <barco/config.hpp>

#include <sys/types.h>

#include <string>
#include <variant>
#include <vector>

namespace barco {

enum class Where { parent_before_clone, parent_after_clone, child };

[[nodiscard]] const char* where_name(Where w);

namespace op {
struct ReserveId {
  std::string state_dir;
};
struct Clone {
  unsigned long flags;
};
struct WriteIdMaps {
  std::string uid_map;
  std::string gid_map;
};
struct Supervise {
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
  std::vector<std::string> tasks_files;
};
struct WaitForIdMaps {};
struct BecomeRootInUserns {};
struct SetHostname {
  std::string name;
};
struct MakeRootPrivate {};
struct BindRootfs {
  std::string rootfs;
};
struct MountFs {
  Mount mount;
  std::string rootfs;
};
struct MakeDevice {
  Device device;
  std::string rootfs;
  bool bind_from_host;
};
struct MakeSymlink {
  std::string target;
  std::string link;
  std::string rootfs;
};
struct PivotRoot {
  std::string rootfs;
};
struct RemountRootReadOnly {};
// --overlay: the upper, work and merged directories, created inside the state record (and
// removed with it), owned by the container's root.
struct PrepareOverlay {
  std::string dir;
  uint32_t owner_uid = 0;
  uint32_t owner_gid = 0;
};
struct MountOverlay {
  std::string lower;
  std::string dir;         // holds upper/, work/, merged/
  bool userxattr = false;  // in a user namespace overlayfs may only use user.* xattrs
};
struct RedirectOutput {
  std::string file;
};
// OCI linux.namespaces[].path: setns into existing namespaces (net, ipc, uts, cgroup).
struct JoinNamespacePaths {
  std::vector<std::pair<Namespace, std::string>> paths;
};
// OCI pid namespace path, and `barco exec`: the parent enters the pid namespace before
// clone, because setns(CLONE_NEWPID) only moves the caller's future children.
struct JoinPidNamespace {
  std::string path;  // empty: the target container's (exec)
};
// `barco exec`: setns(pidfd, flags) into the running container's namespaces.
struct JoinContainer {
  int flags = 0;
  pid_t pid = 0;
};
struct WriteSysctl {
  std::vector<std::pair<std::string, std::string>> values;
};
struct SetOomScoreAdj {
  int value = 0;
};
// OCI hooks. The child pauses before pivot_root (HookPause) while the parent runs prestart
// and createRuntime; createContainer and startContainer run from the child.
struct HookPause {};
struct RunHooks {
  std::string phase;  // createRuntime, createContainer, startContainer, poststart
  std::vector<Hook> hooks;
};
// OCI create: the set-up container waits here until `barco start` opens the exec fifo.
struct WaitForStart {
  std::string fifo;
};
struct BringUpLoopback {};
struct EnterCgroupNamespace {};
struct SetupTerminal {
  bool bind_console = true;  // a run makes the pty the container's /dev/console; exec does not
};
struct CreateSession {};
struct DetachStdin {};
struct SetRlimits {
  std::vector<Rlimit> limits;
};
struct SetUser {
  User user;
  bool keep_caps;  // PR_SET_KEEPCAPS before leaving uid 0
};
struct MaskPaths {
  std::vector<std::string> paths;
};
struct ReadonlyPaths {
  std::vector<std::string> paths;
};
struct LoadSeccomp {
  SeccompFilter filter;  // compiled to BPF by the parent before clone
  std::string source;
};
struct DropBoundingCaps {
  CapMask keep;
  int last_cap;
};
struct SetCapabilities {
  Capabilities caps;
};
struct SetNoNewPrivs {};
struct ChangeDir {
  std::string cwd;
};
// After clone, before anything else: PR_SET_DUMPABLE 0, so no process of the container can
// ptrace barco's child or open its /proc/PID/fd (CVE-2016-9962).
struct MakeNonDumpable {};
// After clone: every fd the child inherited from barco except the sync socket and the few a
// later step uses (the log, the exec FIFO, the target's pidfd).
struct CloseHostFds {};
// Without a pty: where the caller's fd 0/1/2 is a terminal, the pipe barco relays through
// takes its place (TIOCSTI: the container never holds the caller's terminal).
struct RelayCallerTerminal {};
// The last close, before the privileges are dropped and the filter loaded: only the sync
// socket (and the exec FIFO's O_PATH fd, which wait_for_start closes) survive.
struct CloseFds {};
struct StartInit {};
struct Exec {
  std::vector<std::string> argv;
  BuiltinProgram builtin = BuiltinProgram::none;
  std::vector<std::string> env;
  std::string path_env;
};
}  // namespace op

using Operation =
    std::variant<op::ReserveId, op::Clone, op::WriteIdMaps, op::Supervise, op::WaitForIdMaps, op::BecomeRootInUserns,
                 op::SetHostname, op::MakeRootPrivate, op::BindRootfs, op::MountFs, op::MakeDevice, op::MakeSymlink,
                 op::PivotRoot, op::RemountRootReadOnly, op::BringUpLoopback, op::EnterCgroupNamespace,
                 op::SetupTerminal, op::CreateSession, op::DetachStdin, op::SetRlimits, op::SetUser, op::ChangeDir,
                 op::CloseFds, op::StartInit, op::Exec, op::MaskPaths, op::ReadonlyPaths, op::LoadSeccomp,
                 op::DropBoundingCaps, op::SetCapabilities, op::SetNoNewPrivs, op::CreateCgroups, op::JoinCgroups,
                 op::PrepareOverlay, op::MountOverlay, op::RedirectOutput, op::JoinNamespacePaths, op::JoinPidNamespace,
                 op::JoinContainer, op::WriteSysctl, op::SetOomScoreAdj, op::HookPause, op::RunHooks, op::WaitForStart,
                 op::MakeNonDumpable, op::CloseHostFds, op::RelayCallerTerminal>;

struct Step {
  std::string name;  // the same name appears in -v logs and in error messages
  Where where;
  Operation op;
  std::string why;  // why the step sits at this position
};

struct Plan {
  std::string id;
  unsigned long clone_flags = 0;
  std::vector<Step> steps;
  // Limits this host cannot enforce ("--pids-limit ignored: no pids controller"): warnings,
  // or errors with --strict-cgroups.
  std::vector<std::string> unenforced;

  [[nodiscard]] std::vector<const Step*> steps_at(Where w) const;
  [[nodiscard]] const Step* find(const std::string& name) const;
};

// The facts about the machine a plan depends on, read by the caller (the plan stays pure).
struct PlanHost {
  std::string state_root = "/run/barco";
  std::string arch = native_seccomp_arch();
  KernelVersion kernel{6, 1};
  int cap_last_cap = 40;  // /proc/sys/kernel/cap_last_cap
  CgroupHost cgroups;     // parse_cgroup_host of this machine
};

[[nodiscard]] Plan build_plan(const ContainerConfig& config, const PlanHost& host = {});

// `barco exec`: what a running container's processes share, read from its record.
struct ExecTarget {
  pid_t pid = 0;                          // the container's init (a pidfd of it is opened by the caller)
  int namespace_flags = 0;                // CLONE_NEW* of its own namespaces, except the pid namespace
  bool pid_namespace = false;             // it has a private pid namespace: the parent enters it before clone
  std::vector<std::string> cgroup_files;  // a tasks (v1) or cgroup.procs (v2) file of each of its cgroups
  std::string seccomp;                    // describes the container's compiled filter; empty: none
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
