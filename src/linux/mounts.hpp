// The container's filesystem: private propagation, the rootfs bind, the default and user
// mounts placed inside the rootfs, pivot_root, and the read-only root.
#pragma once

#include "sys/sys.hpp"

#include <barco/config.hpp>

namespace barco {

Result<void> make_root_private(Sys& sys);
Result<void> bind_rootfs(Sys& sys, const std::string& rootfs);
// --overlay: `lower` read-only under <dir>/upper, mounted on <dir>/merged.
Result<void> mount_overlay(Sys& sys, const std::string& lower, const std::string& dir, bool userxattr);
// Creates the mount point inside the rootfs (never following a symlink out of it), mounts,
// and for read-only binds adds the MS_REMOUNT call the kernel needs.
// `source_tree` >= 0: a bind whose source tree the parent cloned (clone_mount_tree); it is
// attached instead of the source path being opened here.
Result<void> mount_filesystem(Sys& sys, const Mount& mount, const std::string& rootfs, int source_tree = -1);
Result<void> pivot_into(Sys& sys, const std::string& rootfs);
Result<void> remount_root_read_only(Sys& sys);

}  // namespace barco
