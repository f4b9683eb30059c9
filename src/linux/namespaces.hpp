// Namespaces entered after clone: the hostname of the private UTS namespace and the cgroup
// namespace (unshared late, once the process sits in its final cgroup, so that cgroup is
// the namespace's root). The others are created by clone itself (see the plan).
#pragma once

#include "sys/sys.hpp"

#include <barco/config.hpp>

#include <utility>
#include <vector>

namespace barco {

Result<void> set_hostname(Sys& sys, const std::string& name);
Result<void> enter_cgroup_namespace(Sys& sys);
// OCI linux.namespaces[].path: setns into each (net, ipc, uts, cgroup).
Result<void> join_namespace_paths(Sys& sys, const std::vector<std::pair<Namespace, std::string>>& paths);
// `barco exec`: one setns(pidfd, flags) enters all of the container's namespaces at once.
Result<void> join_container(Sys& sys, int pidfd, int flags, pid_t pid);

}  // namespace barco
