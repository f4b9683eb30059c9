// A view of the host for turning flags into a ContainerConfig: the environment, files, the
// terminal, the devices and facts about the kernel. The mapping is a pure function of the
// flags and this view, so unit tests drive it with a fake host; real_host() (runtime.hpp)
// is the machine's.
#pragma once

#include <barco/capabilities.hpp>
#include <barco/cgroups.hpp>
#include <barco/config.hpp>
#include <barco/parse.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace barco {

struct HostView {
  EnvLookup env;
  std::function<bool()> stdin_is_tty;
  // Contents of a host file (--env-file, /etc/subuid); nullopt when it cannot be read.
  std::function<std::optional<std::string>(const std::string&)> read_host_file;
  // Contents of a file inside the rootfs, resolved inside it; nullopt when absent. Throws
  // ConfigError for a file barco refuses to read (not regular, larger than 4 MiB).
  std::function<std::optional<std::string>(const std::string& rootfs, const std::string&)> read_rootfs_file;
  // "" when `path` is an existing directory, else the reason (strerror or "not a directory").
  std::function<std::string(const std::string&)> check_directory;
  std::function<bool(const std::string&)> exists;
  std::function<std::string(const std::string&)> absolute;  // realpath-like, no failure
  std::function<std::string()> new_id;
  std::function<std::string()> kernel_release;  // uname -r
  std::function<int()> cap_last_cap;            // /proc/sys/kernel/cap_last_cap
  std::function<CapMask()> caller_bounding;     // barco's own CapBnd
  std::function<std::vector<Device>()> host_devices;
  // The node at `path` as a Device, or nullopt when it is not a char/block device.
  std::function<std::optional<Device>(const std::string&)> device_at;
  std::function<std::vector<std::string>()> thermal_throttle_paths;  // docker masks these too
  std::function<CgroupHost()> cgroups;                               // this machine's cgroup layout
  std::function<int()> online_cpus;                                  // highest online CPU + 1
  std::function<int()> memory_nodes;                                 // NUMA nodes
};

}  // namespace barco
