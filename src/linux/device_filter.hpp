// The cgroup v2 device filter: cgroup v2 has no devices controller, so access to device
// nodes is decided by a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the container's
// cgroup. barco generates it from the same DeviceRule list the v1 controller gets: deny
// everything, then allow each rule's type, major, minor and access.
#pragma once

#include <barco/cgroups.hpp>
#include <barco/result.hpp>

#include <linux/bpf.h>

#include <string>
#include <vector>

namespace barco {

// Pure: the program for `rules` (a leading "deny a *:* rwm" and allow rules after it; any
// other deny rule cannot be expressed and is refused).
Result<std::vector<bpf_insn>> device_filter_program(const std::vector<DeviceRule>& rules);

}  // namespace barco
