// User namespaces: the parent writes the child's uid/gid maps (only a process outside the
// new namespace may), then the child switches to the namespace's root so that the files it
// creates have a mapped owner.
#pragma once

#include "sys/sys.hpp"

#include <sys/types.h>

namespace barco {

// Parent side. setgroups is left "allow": root writes the maps directly, so the container
// may still call setgroups(2) for -u with supplementary groups.
Result<void> write_id_maps(Sys& sys, pid_t pid, const std::string& uid_map, const std::string& gid_map);

Result<void> become_root_in_userns(Sys& sys);

}  // namespace barco
