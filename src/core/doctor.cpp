#include <barco/doctor.hpp>

#include <algorithm>
#include <sstream>

namespace barco {
namespace {

std::string controllers_on_v1(const CgroupHost& h) {
  std::string out;
  for (const auto& [controller, mount] : h.v1_mounts) {
    out += (out.empty() ? "" : " ") + controller;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<DoctorRow> diagnose(const DoctorFacts& f) {
  std::vector<DoctorRow> rows;
  rows.push_back({"kernel", f.kernel, true, ""});
  rows.push_back({"running as root", f.root ? "yes" : "no", f.root, f.root ? "" : "barco run needs root (sudo)"});
  const bool have_cgroups = f.cgroups.mode != CgroupMode::none;
  rows.push_back({"cgroup mode", cgroup_mode_name(f.cgroups.mode), have_cgroups,
                  have_cgroups ? "" : "no cgroup filesystem: no limits and no device allow-list"});
  if (f.cgroups.mode == CgroupMode::hybrid || f.cgroups.mode == CgroupMode::legacy) {
    const bool devices = f.cgroups.v1_mounts.count("devices") != 0 || !f.cgroups.unified_mount.empty();
    rows.push_back({"controllers on cgroup v1", controllers_on_v1(f.cgroups), devices,
                    "limits use these hierarchies; barco's cgroups go below its own in each"});
  }
  if (!f.cgroups.unified_mount.empty()) {
    rows.push_back({"controllers on cgroup v2 (" + f.cgroups.unified_mount + ")",
                    f.v2_controllers.empty() ? "none" : f.v2_controllers, true,
                    f.cgroups.mode == CgroupMode::unified
                        ? "limits and the eBPF device filter use cgroup v2"
                        : "used for the eBPF device filter only if v1 has no devices"});
  }
  if (have_cgroups) {
    rows.push_back({"barco may create its cgroups", f.cgroup_parent_writable ? "yes" : "no", f.cgroup_parent_writable,
                    f.cgroup_parent_writable ? "" : "not delegated to this user: run as root"});
  }
  const bool userns = f.max_user_namespaces.value_or(0) > 0;
  rows.push_back({"user namespaces (max_user_namespaces)",
                  f.max_user_namespaces ? std::to_string(*f.max_user_namespaces) : "unknown", userns,
                  userns ? "--userns private works" : "--userns private will fail"});
  if (f.apparmor_restrict_userns) {
    rows.push_back({"apparmor_restrict_unprivileged_userns", std::to_string(*f.apparmor_restrict_userns), true,
                    *f.apparmor_restrict_userns != 0 ? "affects unprivileged users only; barco runs as root" : ""});
  }
  rows.push_back({"seccomp filters", f.seccomp_filter ? "yes, libseccomp " + f.libseccomp_version : "no",
                  f.seccomp_filter, f.seccomp_filter ? "" : "the kernel lacks SECCOMP_FILTER: no syscall filtering"});
  rows.push_back(
      {"overlayfs", f.overlayfs ? "yes" : "no", true, f.overlayfs ? "" : "copy-on-write rootfs unavailable"});
  rows.push_back({"time namespaces", f.time_namespace ? "yes" : "no", true, ""});
  rows.push_back({"nftables (nft)", f.nft ? "yes" : "no", true,
                  f.nft ? "" : "--network bridge has no NAT and -p fails: apt-get install nftables"});
  const bool forwarding = f.ip_forward.value_or(0) == 1;
  rows.push_back({"net.ipv4.ip_forward", f.ip_forward ? std::to_string(*f.ip_forward) : "unknown", true,
                  forwarding ? "" : "bridged containers reach the host only: sysctl -w net.ipv4.ip_forward=1"});
  rows.push_back({"forwarded packets", f.forward_drop.empty() ? "accepted" : "dropped by " + f.forward_drop, true,
                  f.forward_drop.empty()
                      ? ""
                      : "another firewall (docker's iptables install this) drops what the bridge forwards: allow " +
                            f.bridge_subnet + " in that chain"});
  rows.push_back({"bridge subnet " + f.bridge_subnet, f.subnet_clash ? "overlaps " + *f.subnet_clash : "free", true,
                  f.subnet_clash ? "--network bridge refuses to start: set BARCO_BRIDGE_SUBNET to a free range" : ""});
  const bool can_pivot = f.root_fs_type != "rootfs" && f.root_fs_type != "ramfs";
  rows.push_back({"root filesystem", f.root_fs_type, can_pivot,
                  can_pivot ? "" : "pivot_root(2) does not work on an initramfs: switch_root to a tmpfs first"});
  return rows;
}

bool all_ok(const std::vector<DoctorRow>& rows) {
  return std::all_of(rows.begin(), rows.end(), [](const DoctorRow& r) { return r.ok; });
}

std::string format_doctor_table(const std::vector<DoctorRow>& rows) {
  size_t width = 0;
  for (const auto& r : rows) {
    width = std::max(width, r.check.size());
  }
  std::ostringstream out;
  for (const auto& r : rows) {
    out << (r.ok ? "  ok  " : "  !!  ") << r.check << std::string(width - r.check.size() + 2, ' ') << r.value;
    if (!r.note.empty()) {
      out << "  (" << r.note << ")";
    }
    out << "\n";
  }
  out << (all_ok(rows) ? "barco can run containers with full isolation here.\n"
                       : "barco cannot give full isolation here: see the rows marked !!.\n");
  return out.str();
}

nlohmann::json doctor_json(const std::vector<DoctorRow>& rows) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& r : rows) {
    checks.push_back({{"check", r.check}, {"value", r.value}, {"ok", r.ok}, {"note", r.note}});
  }
  return {{"ok", all_ok(rows)}, {"checks", checks}};
}

}  // namespace barco
