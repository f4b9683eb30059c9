#include <barco/defaults.hpp>

#include <sched.h>
#include <sys/mount.h>

namespace barco {

const char* namespace_name(Namespace ns) {
  switch (ns) {
    case Namespace::mount: return "mnt";
    case Namespace::pid: return "pid";
    case Namespace::uts: return "uts";
    case Namespace::ipc: return "ipc";
    case Namespace::net: return "net";
    case Namespace::cgroup: return "cgroup";
    case Namespace::user: return "user";
  }
  return "?";
}

int namespace_clone_flag(Namespace ns) {
  switch (ns) {
    case Namespace::mount: return CLONE_NEWNS;
    case Namespace::pid: return CLONE_NEWPID;
    case Namespace::uts: return CLONE_NEWUTS;
    case Namespace::ipc: return CLONE_NEWIPC;
    case Namespace::net: return CLONE_NEWNET;
    case Namespace::cgroup: return CLONE_NEWCGROUP;
    case Namespace::user: return CLONE_NEWUSER;
  }
  return 0;
}

bool ContainerConfig::has_private(Namespace ns) const {
  for (const auto& n : namespaces) {
    if (n.type == ns) {
      return n.private_ns;
    }
  }
  return false;
}

// The set and flags of docker's default mounts (moby daemon/pkg/oci/defaults.go).
std::vector<Mount> default_mounts() {
  constexpr unsigned long kSafe = MS_NOSUID | MS_NOEXEC | MS_NODEV;
  return {
      {"/proc", "proc", "proc", kSafe, {}, false},
      {"/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", false},
      {"/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", false},
      {"/dev/shm", "tmpfs", "shm", kSafe, "mode=1777,size=65536k", false},
      {"/dev/mqueue", "mqueue", "mqueue", kSafe, {}, false},
      {"/sys", "sysfs", "sysfs", kSafe | MS_RDONLY, {}, false},
  };
}

// The OCI runtime-spec's default devices.
std::vector<Device> default_devices() {
  return {
      {"/dev/null", 'c', 1, 3, 0666},   {"/dev/zero", 'c', 1, 5, 0666},    {"/dev/full", 'c', 1, 7, 0666},
      {"/dev/random", 'c', 1, 8, 0666}, {"/dev/urandom", 'c', 1, 9, 0666}, {"/dev/tty", 'c', 5, 0, 0666},
  };
}

std::vector<NamespaceSetting> default_namespaces() {
  return {
      {Namespace::mount, true, {}}, {Namespace::pid, true, {}}, {Namespace::uts, true, {}},
      {Namespace::ipc, true, {}},   {Namespace::net, true, {}}, {Namespace::cgroup, true, {}},
      {Namespace::user, false, {}},
  };
}

std::vector<std::string> default_masked_paths() {
  return {"/proc/acpi",
          "/proc/asound",
          "/proc/interrupts",
          "/proc/kcore",
          "/proc/keys",
          "/proc/latency_stats",
          "/proc/sched_debug",
          "/proc/scsi",
          "/proc/timer_list",
          "/proc/timer_stats",
          "/sys/devices/virtual/powercap",
          "/sys/firmware"};
}

std::vector<std::string> default_readonly_paths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

std::vector<std::string> default_env(const std::string& hostname, const std::string& home, bool terminal) {
  std::vector<std::string> env{std::string("PATH=") + kDefaultPath, "HOSTNAME=" + hostname, "HOME=" + home};
  if (terminal) {
    env.emplace_back("TERM=xterm");
  }
  return env;
}

}  // namespace barco
