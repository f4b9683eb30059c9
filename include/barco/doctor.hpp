// barco doctor: the host preflight. Facts are gathered by the CLI; this part only judges
// them, so every verdict is unit-tested with made-up hosts.
#pragma once

#include <barco/cgroups.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace barco {

struct DoctorFacts {
  std::string kernel;  // uname -r
  bool root = false;   // euid 0
  CgroupHost cgroups;
  std::string v2_controllers;                    // cgroup.controllers of the cgroup2 root, if mounted
  bool cgroup_parent_writable = false;           // barco may create its parent cgroups
  std::optional<long> max_user_namespaces;       // /proc/sys/user/max_user_namespaces
  std::optional<long> apparmor_restrict_userns;  // /proc/sys/kernel/apparmor_restrict_unprivileged_userns
  bool seccomp_filter = false;                   // the kernel has SECCOMP_MODE_FILTER
  std::string libseccomp_version;
  bool overlayfs = false;       // in /proc/filesystems (or loadable)
  bool time_namespace = false;  // /proc/self/ns/time exists
  std::string root_fs_type;     // statfs("/"): rootfs/ramfs cannot pivot_root
  // What would stop --network bridge from reaching beyond the host.
  bool nft = false;                // the nft program (NAT and -p)
  std::optional<long> ip_forward;  // /proc/sys/net/ipv4/ip_forward
  std::string forward_drop;        // "table ip filter chain FORWARD": a forward hook whose policy is drop
  std::string bridge_subnet = "10.213.0.0/16";
  std::optional<std::string> subnet_clash;  // a host route into that subnet
};

struct DoctorRow {
  std::string check;
  std::string value;
  bool ok = true;    // false: barco cannot give full isolation because of this
  std::string note;  // what it means, or what to do
};

[[nodiscard]] std::vector<DoctorRow> diagnose(const DoctorFacts& facts);
[[nodiscard]] bool all_ok(const std::vector<DoctorRow>& rows);
[[nodiscard]] std::string format_doctor_table(const std::vector<DoctorRow>& rows);
[[nodiscard]] nlohmann::json doctor_json(const std::vector<DoctorRow>& rows);

}  // namespace barco
