// `barco spec`: docker's defaults as an OCI config, with the built-in seccomp profile
// resolved for this architecture (kept apart from the reader, which the fuzzer links alone).
#include <barco/defaults.hpp>
#include <barco/oci.hpp>

#include <sys/mount.h>
#include <sys/resource.h>

namespace barco {
namespace {

using nlohmann::json;

json seccomp_json(const SeccompFilter& f) {
  json syscalls = json::array();
  for (const auto& rule : f.rules) {
    json entry = {{"names", rule.names}, {"action", rule.action}};
    if (rule.errno_ret) {
      entry["errnoRet"] = *rule.errno_ret;
    }
    if (!rule.args.empty()) {
      entry["args"] = json::array();
      for (const auto& a : rule.args) {
        entry["args"].push_back({{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
      }
    }
    syscalls.push_back(entry);
  }
  return {{"defaultAction", f.default_action},
          {"defaultErrnoRet", f.default_errno},
          {"architectures", f.architectures},
          {"syscalls", syscalls}};
}

}  // namespace

json default_oci_spec(bool rootless, uint32_t uid, uint32_t gid, int cap_last_cap, bool cgroup_namespace) {
  ContainerConfig c;
  c.process.args = {"sh"};
  c.process.terminal = true;
  c.process.env = {std::string("PATH=") + kDefaultPath, "TERM=xterm"};
  c.process.no_new_privileges = true;
  c.process.rlimits = {{RLIMIT_NOFILE, 1024, 1024}};
  const CapMask caps = docker_default_caps();
  c.process.capabilities = {caps, caps, caps, 0, 0};
  c.root.path = "rootfs";
  c.root.readonly = true;
  c.hostname = "barco";
  c.mounts = default_mounts();
  c.cgroupfs = CgroupFs::read_only;
  c.namespaces = default_namespaces();
  if (!cgroup_namespace) {
    std::erase_if(c.namespaces, [](const NamespaceSetting& ns) { return ns.type == Namespace::cgroup; });
  }
  c.masked_paths = default_masked_paths();
  c.readonly_paths = default_readonly_paths();
  c.device_rules = default_device_rules();
  if (rootless) {
    for (auto& ns : c.namespaces) {
      ns.private_ns = true;
    }
    c.uid_mappings = {{0, uid, 1}};
    c.gid_mappings = {{0, gid, 1}};
    c.device_rules.clear();
    for (auto& m : c.mounts) {
      // A user namespace cannot mount a fresh sysfs without owning a network namespace's;
      // runc's rootless spec binds it, and gid=5 may not be mapped.
      if (m.destination == "/sys") {
        m = {"/sys", "bind", "/sys", MS_BIND | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC, {}, true};
      }
      if (m.destination == "/dev/pts") {
        m.data = "newinstance,ptmxmode=0666,mode=0620";
      }
    }
    c.cgroupfs = CgroupFs::none;
  }
  for (auto* set :
       {&c.process.capabilities.bounding, &c.process.capabilities.effective, &c.process.capabilities.permitted}) {
    *set &= cap_last_cap >= 63 ? ~CapMask{0} : cap_bit(cap_last_cap + 1) - 1;
  }
  auto spec = oci_config_json(c);
  spec["linux"].erase("devices");  // the runtime supplies the default devices itself
  const SeccompTarget target{native_seccomp_arch(), c.process.capabilities.bounding, KernelVersion{5, 10}};
  spec["linux"]["seccomp"] = seccomp_json(resolve_seccomp_profile(builtin_seccomp_profile_parsed(), target));
  return spec;
}

}  // namespace barco
