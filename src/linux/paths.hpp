// Masked and read-only paths inside the container (docker's lists). A masked file gets the
// container's /dev/null bound over it, but only after /dev/null has been checked to be the
// real null device (char 1:3): an image that replaced it with a symlink could otherwise
// make the bind expose a host file (CVE-2025-31133). A masked directory gets an empty,
// read-only tmpfs. Paths that do not exist are skipped.
#pragma once

#include "sys/sys.hpp"

#include <string>
#include <vector>

namespace barco {

Result<void> mask_paths(Sys& sys, const std::vector<std::string>& paths);
Result<void> make_paths_read_only(Sys& sys, const std::vector<std::string>& paths);

}  // namespace barco
