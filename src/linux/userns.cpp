#include "linux/userns.hpp"

namespace barco {

Result<void> write_id_maps(Sys& sys, pid_t pid, const std::string& uid_map, const std::string& gid_map) {
  const std::string base = "/proc/" + std::to_string(pid);
  if (auto r = sys.write_file(base + "/uid_map", uid_map); !r) {
    return r;
  }
  return sys.write_file(base + "/gid_map", gid_map);
}

Result<void> become_root_in_userns(Sys& sys) {
  if (auto r = sys.setresgid(0); !r) {
    return r;
  }
  return sys.setresuid(0);
}

}  // namespace barco
