#include "linux/devices.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace barco {
namespace {

// The host path of `path`'s directory, resolved inside the rootfs, joined with its basename:
// a /dev that the image made a symlink cannot send a node or link to the host.
Result<std::string> place_in_root(Sys& sys, const std::string& rootfs, const std::string& path) {
  const auto slash = path.rfind('/');
  auto dir = sys.make_path_in_root(rootfs, path.substr(0, slash), false);
  if (!dir) {
    return dir.error();
  }
  return *dir + path.substr(slash);
}

}  // namespace

Result<void> make_device(Sys& sys, const Device& d, const std::string& rootfs, bool bind_from_host) {
  if (d.type == 'f' || bind_from_host) {
    auto target = sys.make_path_in_root(rootfs, d.path, true);
    if (!target) {
      return target.error();
    }
    if (d.type == 'f') {
      return {};
    }
    return sys.mount(d.path, *target, "", MS_BIND, "");
  }
  auto node = place_in_root(sys, rootfs, d.path);
  if (!node) {
    return node.error();
  }
  const mode_t kind = d.type == 'b' ? S_IFBLK : S_IFCHR;
  return sys.mknod(*node, kind | d.mode, makedev(d.major, d.minor));
}

Result<void> make_symlink(Sys& sys, const std::string& target, const std::string& link, const std::string& rootfs) {
  auto where = place_in_root(sys, rootfs, link);
  if (!where) {
    return where.error();
  }
  return sys.symlink(target, *where);
}

}  // namespace barco
