#include "linux/paths.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include <optional>

namespace barco {
namespace {

// nullopt: the path does not exist (nothing to protect).
Result<std::optional<struct stat>> stat_if_exists(Sys& sys, const std::string& path) {
  auto st = sys.stat(path);
  if (st) {
    return std::optional<struct stat>(*st);
  }
  if (st.error().err == ENOENT) {
    return std::optional<struct stat>();
  }
  return st.error();
}

}  // namespace

Result<void> mask_paths(Sys& sys, const std::vector<std::string>& paths) {
  if (paths.empty()) {
    return {};
  }
  auto null = sys.open_file("/dev/null", O_PATH);
  if (!null) {
    return null.error();
  }
  auto st = sys.fstat(null->get());
  if (!st) {
    return st.error();
  }
  if (!S_ISCHR(st->st_mode) || st->st_rdev != makedev(1, 3)) {
    return plain_error("fstat(\"/dev/null\")",
                       "/dev/null in the container is not the null device (char 1:3); refusing to "
                       "bind it over masked paths (CVE-2025-31133)");
  }
  // Bind through the verified descriptor, not the path, so nothing can swap it in between.
  const std::string source = "/proc/self/fd/" + std::to_string(null->get());
  for (const auto& path : paths) {
    auto target = stat_if_exists(sys, path);
    if (!target) {
      return target.error();
    }
    if (!*target) {
      continue;
    }
    auto r = S_ISDIR((*target)->st_mode) ? sys.mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0")
                                         : sys.mount(source, path, "", MS_BIND, "");
    if (!r) {
      return r;
    }
  }
  return {};
}

Result<void> make_paths_read_only(Sys& sys, const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    auto target = stat_if_exists(sys, path);
    if (!target) {
      return target.error();
    }
    if (!*target) {
      continue;
    }
    if (auto r = sys.mount(path, path, "", MS_BIND | MS_REC, ""); !r) {
      return r;
    }
    // /proc's nosuid,nodev,noexec are locked in a user namespace: a remount must keep them.
    if (auto r =
            sys.mount(path, path, "", MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
        !r) {
      return r;
    }
  }
  return {};
}

}  // namespace barco
