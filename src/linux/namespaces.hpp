// Namespaces entered after clone: the hostname of the private UTS namespace and the cgroup
// namespace (unshared late, once the process sits in its final cgroup, so that cgroup is
// the namespace's root). The others are created by clone itself (see the plan).
#pragma once

#include "sys/sys.hpp"

namespace barco {

Result<void> set_hostname(Sys& sys, const std::string& name);
Result<void> enter_cgroup_namespace(Sys& sys);

}  // namespace barco
