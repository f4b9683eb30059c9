#include "linux/paths.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

namespace barco {
namespace {

// Calls `apply(path, stat)` for each path that exists; a path that does not exist has
// nothing to protect and is skipped.
template <typename Apply>
Result<void> for_each_existing(Sys& sys, const std::vector<std::string>& paths, Apply apply) {
  for (const auto& path : paths) {
    auto st = sys.stat(path);
    if (!st) {
      if (st.error().err == ENOENT) {
        continue;
      }
      return st.error();
    }
    if (auto r = apply(path, *st); !r) {
      return r;
    }
  }
  return {};
}

}  // namespace

Result<void> mask_paths(Sys& sys, const std::vector<std::string>& paths) {
  if (paths.empty()) {
    return {};
  }
  // The container's own /dev/null, checked to be char 1:3 (CVE-2025-31133: a symlink in its
  // place would turn the masks into binds of whatever it names).
  auto null = sys.open_device("/dev/null", makedev(1, 3), O_PATH);
  if (!null) {
    if (null.error().err == ENODEV || null.error().err == ELOOP || null.error().err == EXDEV) {
      null.error().hint =
          "/dev/null in the container is not the null device (char 1:3); refusing to bind it over masked paths "
          "(CVE-2025-31133)";
    }
    return null.error();
  }
  // Bind through the verified descriptor, not the path, so nothing can swap it in between.
  const std::string source = "/proc/self/fd/" + std::to_string(null->get());
  return for_each_existing(sys, paths, [&](const std::string& path, const struct stat& target) {
    return S_ISDIR(target.st_mode) ? sys.mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0")
                                   : sys.mount(source, path, "", MS_BIND, "");
  });
}

Result<void> make_paths_read_only(Sys& sys, const std::vector<std::string>& paths) {
  return for_each_existing(sys, paths, [&](const std::string& path, const struct stat&) -> Result<void> {
    if (auto r = sys.mount(path, path, "", MS_BIND | MS_REC, ""); !r) {
      return r;
    }
    // Recursive: a remount (even with MS_REC) changes only the top mount, and a submount
    // (binfmt_misc below /proc/sys) would stay writable. Flags not named here are kept.
    return sys.mount_setattr(path, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0,
                             true);
  });
}

}  // namespace barco
