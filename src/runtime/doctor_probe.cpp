// `barco doctor`'s facts about this host, read from the kernel (the rules that judge them
// are pure: core/doctor.cpp).
#include "runtime/network.hpp"

#include <barco/doctor.hpp>
#include <barco/files.hpp>
#include <barco/network.hpp>
#include <barco/plan.hpp>
#include <barco/result.hpp>
#include <barco/runtime.hpp>

#include <seccomp.h>

#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

namespace barco {
namespace {

std::optional<long> read_number(const char* path) {
  auto text = read_file(path);
  if (!text || text->empty()) {
    return std::nullopt;
  }
  return std::strtol(text->c_str(), nullptr, 10);
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

std::string root_fs_type() {
  // statfs(2) magic numbers of the filesystems that matter here.
  struct statfs st {};
  if (::statfs("/", &st) < 0) {
    return "unknown";
  }
  switch (static_cast<unsigned long>(st.f_type)) {
    case 0x858458f6UL: return "ramfs";
    case 0x01021994UL: return "tmpfs";
    case 0xEF53UL: return "ext4";
    case 0x9123683EUL: return "btrfs";
    case 0x58465342UL: return "xfs";
    case 0x794c7630UL: return "overlay";
    case 0x01021997UL: return "9p";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(st.f_type));
      return buf;
    }
  }
}

// The forward hooks of every table whose policy is drop, from `nft list ruleset`: "table ip
// filter chain FORWARD".
std::string forward_drop_chains(const std::string& ruleset) {
  std::istringstream in(ruleset);
  std::string table;
  std::string chain;
  std::string found;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t");
    const std::string text = first == std::string::npos ? "" : line.substr(first);
    if (text.rfind("table ", 0) == 0) {
      table = text.substr(0, text.find(" {"));
    } else if (text.rfind("chain ", 0) == 0) {
      chain = text.substr(0, text.find(" {"));
    } else if (text.find("hook forward") != std::string::npos && text.find("policy drop") != std::string::npos) {
      found.append(found.empty() ? "" : ", ").append(table).append(" ").append(chain);
    }
  }
  return found;
}

void probe_network(DoctorFacts& f) {
  f.ip_forward = read_number("/proc/sys/net/ipv4/ip_forward");
  f.nft = ::access("/usr/sbin/nft", X_OK) == 0;
  if (f.nft) {
    if (FILE* nft = ::popen("/usr/sbin/nft list ruleset 2>/dev/null", "r")) {
      std::string ruleset;
      char buf[4096];
      for (size_t n; (n = std::fread(buf, 1, sizeof buf, nft)) > 0;) {
        ruleset.append(buf, n);
      }
      ::pclose(nft);
      f.forward_drop = forward_drop_chains(ruleset);
    }
  }
  // The same subnet and check as a bridged run's.
  const auto subnet = bridge_subnet();
  if (!subnet) {
    f.bridge_subnet = std::getenv("BARCO_BRIDGE_SUBNET");
    f.subnet_clash = "nothing: " + subnet.error().message();
    return;
  }
  f.bridge_subnet = subnet->str();
  f.subnet_clash = host_route_into(*subnet, Placement{}.bridge);
}

}  // namespace

DoctorFacts probe_doctor_facts() {
  DoctorFacts f;
  utsname u{};
  f.kernel = ::uname(&u) == 0 ? u.release : "unknown";
  f.root = ::geteuid() == 0;
  const auto mountinfo = read_file("/proc/self/mountinfo");
  const auto own = read_file("/proc/self/cgroup");
  f.cgroups = parse_cgroup_host(mountinfo ? *mountinfo : "", own ? *own : "");
  if (!f.cgroups.unified_mount.empty()) {
    auto c = read_file(f.cgroups.unified_mount + "/cgroup.controllers");
    f.v2_controllers = c ? trimmed(*c) : "";
  }
  const std::string probe_dir = f.cgroups.mode == CgroupMode::unified       ? f.cgroups.unified_mount
                                : f.cgroups.v1_mounts.count("devices") != 0 ? f.cgroups.v1_mounts.at("devices")
                                                                            : f.cgroups.unified_mount;
  f.cgroup_parent_writable = !probe_dir.empty() && ::access(probe_dir.c_str(), W_OK) == 0;
  f.max_user_namespaces = read_number("/proc/sys/user/max_user_namespaces");
  f.apparmor_restrict_userns = read_number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  f.seccomp_filter = std::filesystem::exists("/proc/sys/kernel/seccomp/actions_avail");
  const auto* v = seccomp_version();
  f.libseccomp_version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
  const auto filesystems = read_file("/proc/filesystems");
  f.overlayfs = (filesystems && filesystems->find("\toverlay\n") != std::string::npos) ||
                std::filesystem::exists("/lib/modules/" + f.kernel + "/kernel/fs/overlayfs");
  f.time_namespace = std::filesystem::exists("/proc/self/ns/time");
  f.root_fs_type = root_fs_type();
  probe_network(f);
  return f;
}

}  // namespace barco
