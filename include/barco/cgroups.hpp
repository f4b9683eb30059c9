// The cgroup layout of the host, read from /proc/self/mountinfo and /proc/self/cgroup
// (pure parsing, unit-tested with fake contents), and the device rules a container gets.
// Hosts come in three shapes: unified (cgroup v2 only), hybrid (controllers on v1
// hierarchies, a cgroup2 mount beside them: this development machine) and legacy (v1 only).
// Today barco uses the v1 devices controller; resource limits come with the rest of the
// cgroup work.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace barco {

enum class CgroupMode { unified, hybrid, legacy, none };

[[nodiscard]] const char* cgroup_mode_name(CgroupMode mode);

struct CgroupHost {
  CgroupMode mode = CgroupMode::none;
  std::string unified_mount;                     // where cgroup2 is mounted, if anywhere
  std::map<std::string, std::string> v1_mounts;  // controller -> mount point
  std::map<std::string, std::string> own_v1;     // controller -> barco's own cgroup path
  std::string own_unified;                       // barco's own cgroup2 path
  bool operator==(const CgroupHost&) const = default;
};

[[nodiscard]] CgroupHost parse_cgroup_host(std::string_view mountinfo, std::string_view proc_self_cgroup);

// One line of the v1 devices controller ("c 1:3 rwm"); -1 is "*".
struct DeviceRule {
  bool allow = true;
  char type = 'c';  // 'c', 'b' or 'a'
  int64_t major = -1;
  int64_t minor = -1;
  std::string access = "rwm";
  bool operator==(const DeviceRule&) const = default;
};

[[nodiscard]] std::string device_rule_text(const DeviceRule& rule);  // "c 1:3 rwm", "a *:* rwm"

// docker's: deny everything, then allow the default nodes (null, zero, full, random,
// urandom, tty, console, ptmx and the pty slaves) read/write/mknod. Nothing else, so a
// container that holds CAP_MKNOD still cannot create or open a disk's node.
[[nodiscard]] std::vector<DeviceRule> default_device_rules();

// cgroup v2's cpu.weight (1-10000, default 100) to v1's cpu.shares (2-262144, default 1024)
// and back, the conversion runc and crun use.
[[nodiscard]] int64_t cpu_weight_to_shares(int64_t weight);
[[nodiscard]] int64_t cpu_shares_to_weight(int64_t shares);

// runc's `exec --cgroup [CONTROLLER[,CONTROLLER...]:]PATH`: a cgroup below the container's
// own ("/" is the container's cgroup itself). Without controllers it applies to every
// hierarchy. Throws ConfigError for a path that leaves the container's cgroup.
struct SubCgroup {
  std::vector<std::string> controllers;
  std::string path;  // relative, normalised; empty: the container's cgroup
  bool operator==(const SubCgroup&) const = default;
};
[[nodiscard]] SubCgroup parse_sub_cgroup(const std::string& spec);
// The container's cgroup directories (`dirs`, below `mount`) with the sub cgroups applied: a
// v1 directory takes the last spec naming one of its hierarchy's controllers (the mount's
// name: "memory", "cpu,cpuacct"), or else the last unqualified one; a v2 directory (`is_v2`)
// has no named controllers and takes the last unqualified one. Throws ConfigError for a
// controller no directory has.
[[nodiscard]] std::vector<std::string> sub_cgroup_dirs(const std::vector<std::string>& dirs,
                                                       const std::vector<SubCgroup>& subs,
                                                       const std::function<bool(const std::string&)>& is_v2,
                                                       const std::string& mount = "/sys/fs/cgroup");

}  // namespace barco
