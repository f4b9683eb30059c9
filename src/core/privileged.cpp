#include <barco/privileged.hpp>

#include <sys/mount.h>

#include <algorithm>

namespace barco {

ContainerConfig make_privileged(ContainerConfig c, const PrivilegedHost& host) {
  c.privileged = true;
  const CapMask all = host.caller_bounding;
  c.process.capabilities = Capabilities{all, all, all, all, 0};
  if (!c.seccomp_explicit) {
    c.seccomp.reset();
  }
  c.device_rules.clear();  // no devices cgroup: every device may be opened
  c.masked_paths.clear();
  c.readonly_paths.clear();
  for (auto& m : c.mounts) {
    if (m.destination == "/sys") {
      m.flags &= ~static_cast<unsigned long>(MS_RDONLY);
    }
  }
  for (const auto& d : host.host_devices) {
    const bool known =
        std::any_of(c.devices.begin(), c.devices.end(), [&](const Device& e) { return e.path == d.path; });
    if (!known) {
      c.devices.push_back(d);
    }
  }
  return c;
}

}  // namespace barco
