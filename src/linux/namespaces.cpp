#include "linux/namespaces.hpp"

#include <fcntl.h>
#include <sched.h>

namespace barco {

Result<void> set_hostname(Sys& sys, const std::string& name) {
  return sys.sethostname(name);
}

Result<void> enter_cgroup_namespace(Sys& sys) {
  return sys.unshare(CLONE_NEWCGROUP);
}

Result<void> join_namespace_paths(Sys& sys, const std::vector<std::pair<Namespace, std::string>>& paths) {
  // Every path is opened before the first setns: once inside a joined mount namespace, a
  // later path would be resolved in a tree its owner controls.
  std::vector<UniqueFd> fds;
  for (const auto& [type, path] : paths) {
    auto fd = sys.open_file(path, O_RDONLY);
    if (!fd) {
      fd.error().hint = std::string("linux.namespaces: the ") + namespace_name(type) + " namespace to join must exist";
      return fd.error();
    }
    fds.push_back(std::move(fd.value()));
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    if (auto r = sys.setns(fds[i].get(), namespace_clone_flag(paths[i].first), paths[i].second); !r) {
      return r;
    }
  }
  return {};
}

Result<void> join_container(Sys& sys, int pidfd, int flags, pid_t pid) {
  return sys.setns(pidfd, flags, "pidfd of " + std::to_string(pid));
}

}  // namespace barco
