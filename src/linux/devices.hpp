// /dev inside the container: the default nodes in the container's own tmpfs, and the links
// (ptmx, fd, stdin...) programs expect. In a user namespace mknod is forbidden, so the host's
// node is bind-mounted onto an empty file instead (what runc and crun do rootless).
#pragma once

#include "sys/sys.hpp"

#include <barco/config.hpp>

namespace barco {

Result<void> make_device(Sys& sys, const Device& device, const std::string& rootfs, bool bind_from_host);
Result<void> make_symlink(Sys& sys, const std::string& target, const std::string& link, const std::string& rootfs);

}  // namespace barco
