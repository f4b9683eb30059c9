#include "linux/mounts.hpp"

#include <sys/mount.h>

#include <array>
#include <utility>

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

namespace {

// MS_* per-mount flags of a bind as MOUNT_ATTR_* to set (and the atime field to clear).
std::pair<uint64_t, uint64_t> mount_attrs_of(unsigned long flags) {
  static constexpr std::array<std::pair<unsigned long, uint64_t>, 6> kAttrs{{
      {MS_RDONLY, MOUNT_ATTR_RDONLY},
      {MS_NOSUID, MOUNT_ATTR_NOSUID},
      {MS_NODEV, MOUNT_ATTR_NODEV},
      {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
      {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
      {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
  }};
  uint64_t set = 0;
  uint64_t clear = 0;
  for (const auto& [ms, attr] : kAttrs) {
    if ((flags & ms) != 0) {
      set |= attr;
    }
  }
  if ((flags & (MS_NOATIME | MS_STRICTATIME)) != 0) {
    clear |= MOUNT_ATTR__ATIME;
    set |= (flags & MS_NOATIME) != 0 ? MOUNT_ATTR_NOATIME : MOUNT_ATTR_STRICTATIME;
  }
  return {set, clear};
}

// root + path with repeated and trailing slashes dropped: what a symlink-free resolution of
// `path` inside `root` yields.
std::string in_root(const std::string& root, const std::string& path) {
  std::string out = root == "/" ? "" : root;
  for (const char c : path) {
    if (c != '/' || out.empty() || out.back() != '/') {
      out += c;
    }
  }
  while (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  return out.empty() ? "/" : out;
}

}  // namespace

Result<void> mount_filesystem(Sys& sys, const Mount& m, const std::string& rootfs, int source_tree) {
  const bool bind = (m.flags & MS_BIND) != 0;
  bool file_target = false;
  if (bind) {
    // A file can only be bound onto a file, a directory onto a directory.
    if (source_tree >= 0) {
      auto st = sys.fstat(source_tree);
      if (!st) {
        return st.error();
      }
      file_target = !S_ISDIR(st->st_mode);
    } else {
      auto is_dir = sys.is_directory(m.source);
      if (!is_dir) {
        return is_dir.error();
      }
      file_target = !*is_dir;
    }
  }
  // The bind call itself ignores every per-mount flag but MS_REC.
  const unsigned long flags = bind ? m.flags & (MS_BIND | MS_REC) : m.flags;
  auto target = bind && source_tree >= 0 ? sys.attach_mount_in_root(source_tree, rootfs, m.destination, file_target)
                                         : sys.mount_in_root(m.source, rootfs, m.destination, file_target,
                                                             bind ? "" : m.type, flags, m.data);
  if (!target) {
    return target.error();
  }
  if ((m.type == "proc" || m.type == "sysfs") && *target != in_root(rootfs, m.destination)) {
    // Mounted where the symlink led, inside the rootfs; refused all the same, as runc does:
    // masked and read-only paths name /proc and /sys, not where a link sends them.
    return Error{ELOOP,
                 {},
                 m.type + " on \"" + m.destination + "\" (resolved to \"" + *target + "\")",
                 "the image's " + m.destination + " is a symlink or lies below one; " + m.type +
                     " must be mounted on ordinary directory, where the masks name it (CVE-2019-19921, "
                     "CVE-2023-27561)"};
  }
  if (m.recursive_attr_set != 0 || m.recursive_attr_clear != 0) {
    if (auto r = sys.mount_setattr(*target, m.recursive_attr_set, m.recursive_attr_clear, true); !r) {
      return r;
    }
  }
  if (bind) {
    // A bind's own ro, nosuid, ...: set on top of what the source had (a remount would
    // replace those flags, and so drop an inherited nosuid or noexec).
    const auto [set, clear] = mount_attrs_of(m.flags);
    if (set != 0 || clear != 0) {
      return sys.mount_setattr(*target, set, clear, false);
    }
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
