#include "linux/mounts.hpp"

#include <sys/mount.h>

namespace barco {

Result<void> make_root_private(Sys& sys) {
  return sys.mount("", "/", "", MS_REC | MS_PRIVATE, "");
}

Result<void> bind_rootfs(Sys& sys, const std::string& rootfs) {
  // MS_REC keeps what the user mounted below the rootfs (a plain bind would hide it).
  return sys.mount(rootfs, rootfs, "", MS_BIND | MS_REC, "");
}

Result<void> mount_overlay(Sys& sys, const std::string& lower, const std::string& dir, bool userxattr) {
  const std::string options =
      "lowerdir=" + lower + ",upperdir=" + dir + "/upper,workdir=" + dir + "/work" + (userxattr ? ",userxattr" : "");
  auto r = sys.mount("overlay", dir + "/merged", "overlay", 0, options);
  if (!r) {
    r.error().hint = "--overlay needs overlayfs (barco doctor checks it) and a rootfs path without ',' or ':'";
  }
  return r;
}

Result<void> mount_filesystem(Sys& sys, const Mount& m, const std::string& rootfs) {
  const bool bind = (m.flags & MS_BIND) != 0;
  bool file_target = false;
  if (bind) {
    // A file can only be bound onto a file, a directory onto a directory.
    auto is_dir = sys.is_directory(m.source);
    if (!is_dir) {
      return is_dir.error();
    }
    file_target = !*is_dir;
  }
  auto target = sys.make_path_in_root(rootfs, m.destination, file_target);
  if (!target) {
    return target.error();
  }
  if (auto r = sys.mount(m.source, *target, bind ? "" : m.type, m.flags, m.data); !r) {
    return r;
  }
  if (m.read_only_remount) {
    // MS_RDONLY is ignored on the first bind call; only a remount of the bind makes it ro.
    const unsigned long keep = m.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
    return sys.mount("", *target, "", MS_BIND | MS_REMOUNT | MS_RDONLY | keep, "");
  }
  return {};
}

Result<void> pivot_into(Sys& sys, const std::string& rootfs) {
  // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves no
  // path back to the host and needs no temporary directory inside the rootfs.
  if (auto r = sys.chdir(rootfs); !r) {
    return r;
  }
  if (auto r = sys.pivot_root(".", "."); !r) {
    return r;
  }
  // The old root may carry shared mounts from the host; make them slave before detaching
  // so the unmount cannot propagate back.
  if (auto r = sys.mount("", ".", "", MS_SLAVE | MS_REC, ""); !r) {
    return r;
  }
  if (auto r = sys.umount2(".", MNT_DETACH); !r) {
    return r;
  }
  return sys.chdir("/");
}

Result<void> remount_root_read_only(Sys& sys) {
  return sys.mount("", "/", "", MS_BIND | MS_REMOUNT | MS_RDONLY, "");
}

}  // namespace barco
