#include "linux/namespaces.hpp"

#include <sched.h>

namespace barco {

Result<void> set_hostname(Sys& sys, const std::string& name) {
  return sys.sethostname(name);
}

Result<void> enter_cgroup_namespace(Sys& sys) {
  return sys.unshare(CLONE_NEWCGROUP);
}

}  // namespace barco
