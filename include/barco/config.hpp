// ContainerConfig: the single model of what the user asked for. Its fields mirror the OCI
// runtime-spec config.json (process, root, hostname, mounts, linux.namespaces, uid/gid
// mappings) so that the docker-style CLI and an OCI bundle are two readers of one value.
// It is a plain value: no syscalls happen while it is built or transformed.
#pragma once

#include <barco/capabilities.hpp>
#include <barco/cgroups.hpp>
#include <barco/network.hpp>
#include <barco/seccomp_profile.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace barco {

enum class Namespace { mount, pid, uts, ipc, net, cgroup, user };

[[nodiscard]] const char* namespace_name(Namespace ns);
// CLONE_NEWNS, CLONE_NEWPID, ... (setns and clone take the same flags).
[[nodiscard]] int namespace_clone_flag(Namespace ns);

struct NamespaceSetting {
  Namespace type;
  // false: share the host's namespace (docker's --pid host and friends).
  bool private_ns = true;
  // Join this existing namespace (/proc/PID/ns/net, a bind-mounted nsfs file) instead of
  // creating one: the OCI form of sharing.
  std::string path;
  bool operator==(const NamespaceSetting&) const = default;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
  bool operator==(const IdMapping&) const = default;
};

struct Mount {
  std::string destination;  // absolute path inside the container
  std::string type;         // "proc", "tmpfs", "bind", ...
  std::string source;
  unsigned long flags = 0;  // MS_* flags
  std::string data;         // filesystem-specific options, e.g. "mode=755,size=65536k"
  // MOUNT_ATTR_* set and cleared with mount_setattr(AT_RECURSIVE) on the mount and every
  // submount: runc's rro, rnosuid, ... and -v's :ro (as docker >= 25), so a read-only
  // volume has no writable submount. A bind's own ro/nosuid/nodev/noexec/nosymfollow come
  // from `flags`, set after the bind without clearing what the source had.
  uint64_t recursive_attr_set = 0;
  uint64_t recursive_attr_clear = 0;
  bool operator==(const Mount&) const = default;
};

struct Device {
  std::string path;  // inside the container, e.g. "/dev/null"
  char type = 'c';   // c, b, p (a FIFO) or f (a file to bind a pty onto)
  uint32_t major = 0;
  uint32_t minor = 0;
  uint32_t mode = 0666;
  bool operator==(const Device&) const = default;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_*
  uint64_t soft = 0;
  uint64_t hard = 0;
  bool operator==(const Rlimit&) const = default;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string name;  // as given by the user when it was a name; empty for numeric ids
  bool operator==(const User&) const = default;
};

// A program barco carries inside itself and runs from a sealed memfd instead of a file
// of the rootfs.
enum class BuiltinProgram { none, audit };

// process.consoleSize: the pty's rows and columns before the command starts.
struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
  bool operator==(const ConsoleSize&) const = default;
};

struct Process {
  std::vector<std::string> args;
  BuiltinProgram builtin = BuiltinProgram::none;  // args[0] names it when set
  std::vector<std::string> env;                   // "KEY=value", the final environment of the command
  std::string cwd = "/";
  User user;
  bool terminal = false;
  ConsoleSize console_size;  // with `terminal`; 0x0 leaves the kernel's (or the relay's) size
  bool stdin_open = true;    // false: the command's stdin is /dev/null (docker without -i)
  std::vector<Rlimit> rlimits;
  Capabilities capabilities;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;  // written to /proc/self/oom_score_adj
  unsigned umask = 022;              // the command's (process.user.umask); docker's 022 by default
  int preserve_fds = 0;              // runc's --preserve-fds: the caller's fds 3..3+N-1 reach the command
};

struct Root {
  std::string path;  // absolute host path of the rootfs
  bool readonly = false;
};

// linux.resources of the OCI spec, in docker's units. A limit of -1 is "unlimited" (set
// explicitly: `update --memory -1` lifts a limit the container had).
// CFS bandwidth, in microseconds per period: kept as given (runc writes both as they are);
// a quota of -1 is no quota, with the period still set.
struct CpuQuota {
  int64_t quota = -1;
  int64_t period = 100000;
  bool operator==(const CpuQuota&) const = default;
};

struct Resources {
  std::optional<int64_t> memory;              // bytes (memory.max / memory.limit_in_bytes)
  std::optional<int64_t> memory_swap;         // memory + swap, bytes; -1 unlimited
  std::optional<int64_t> memory_reservation;  // soft limit, bytes
  bool disable_oom_killer = false;            // OCI: v1 memory.oom_control; at the limit, tasks wait
  std::optional<int64_t> memory_swappiness;   // OCI: v1 memory.swappiness (0-100)
  std::optional<CpuQuota> cpu_quota;          // --cpus, or OCI cpu.quota and cpu.period
  std::optional<int64_t> cpu_shares;          // v1 cpu.shares (2-262144)
  std::optional<int64_t> cpu_weight;          // v2 cpu.weight (1-10000)
  std::optional<int64_t> cpu_rt_period;       // v1 cpu.rt_period_us (realtime scheduling)
  std::optional<int64_t> cpu_rt_runtime;      // v1 cpu.rt_runtime_us
  std::optional<int64_t> pids_limit;          // -1 unlimited
  std::string cpuset_cpus;
  std::string cpuset_mems;
  std::optional<int64_t> blkio_weight;  // 10-1000
  // OCI linux.resources.unified: cgroup v2 files by name ("memory.high": "64M"), written after
  // the other limits; only on a pure cgroup v2 host.
  std::map<std::string, std::string> unified;
  [[nodiscard]] bool any() const {
    return memory || memory_swap || memory_reservation || disable_oom_killer || memory_swappiness || cpu_quota ||
           cpu_shares || cpu_weight || cpu_rt_period || cpu_rt_runtime || pids_limit || !cpuset_cpus.empty() ||
           !cpuset_mems.empty() || blkio_weight || !unified.empty();
  }
  bool operator==(const Resources&) const = default;
};

// OCI hooks: host programs run at fixed points of the lifecycle with the state JSON on stdin.
struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds
  bool operator==(const Hook&) const = default;
};

struct Hooks {
  std::vector<Hook> prestart;          // deprecated by the spec, run with create_runtime
  std::vector<Hook> create_runtime;    // runtime namespace, before pivot_root
  std::vector<Hook> create_container;  // container's mount namespace, before pivot_root
  std::vector<Hook> start_container;   // inside the container, after `start`, before the command
  std::vector<Hook> poststart;         // runtime namespace, once the command runs
  std::vector<Hook> poststop;          // runtime namespace, when the container is deleted
  [[nodiscard]] bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() && start_container.empty() &&
           poststart.empty() && poststop.empty();
  }
  bool operator==(const Hooks&) const = default;
};

// /sys/fs/cgroup inside the container. automatic: docker's rule (with a private cgroup
// namespace, read-only unless --privileged); an OCI config says it with a "cgroup" mount.
enum class CgroupFs { automatic, none, read_only, read_write };

struct ContainerConfig {
  std::string id;
  Process process;
  Root root;
  std::string hostname;
  std::vector<Mount> mounts;    // in mount order; default ones first
  std::vector<Device> devices;  // nodes created in the container's /dev
  std::vector<NamespaceSetting> namespaces;
  std::vector<IdMapping> uid_mappings;  // non-empty only with a user namespace
  std::vector<IdMapping> gid_mappings;
  bool init = false;                        // barco's own PID 1 reaps zombies and forwards signals
  std::vector<std::string> masked_paths;    // /dev/null (files) or an empty ro tmpfs (dirs) over them
  std::vector<std::string> readonly_paths;  // bound read-only onto themselves
  std::optional<SeccompProfile> seccomp;    // nullopt: unconfined
  bool seccomp_explicit = false;            // given by the user: kept under --privileged, as docker does
  std::vector<DeviceRule> device_rules;     // the devices cgroup: what may be created and opened
  Resources resources;
  std::string cgroup_parent;  // below barco's own cgroup; default "barco"
  // OCI linux.cgroupsPath: absolute (from the hierarchy's root) or relative to barco's own
  // cgroup; replaces <cgroup_parent>/<id> when set.
  std::string cgroups_path;
  CgroupFs cgroupfs = CgroupFs::automatic;
  Hooks hooks;
  bool privileged = false;
  std::vector<std::pair<std::string, std::string>> sysctl;  // "net.ipv4.ip_forward" -> "1", written in /proc/sys
  std::map<std::string, std::string> annotations;
  NetworkConfig network;  // the docker-style CLI's; an OCI bundle brings its own network
  // OCI rootfsPropagation after pivot_root (MS_SHARED, MS_SLAVE or MS_UNBINDABLE, with
  // MS_REC for the r- forms); 0: private, barco's default.
  unsigned long root_propagation = 0;  // OCI annotations: in `state` and the hooks' state

  [[nodiscard]] bool has_private(Namespace ns) const;
};

}  // namespace barco
