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

// The host's node at the same path, bound over an empty file: used where mknod is not
// allowed. It must be the device the config names, or the container would get another one.
Result<void> bind_host_node(Sys& sys, const Device& d, const std::string& rootfs) {
  auto host = sys.stat(d.path);
  if (!host) {
    return host.error();
  }
  const mode_t kind = d.type == 'b' ? S_IFBLK : S_IFCHR;
  if ((host->st_mode & S_IFMT) != kind || host->st_rdev != makedev(d.major, d.minor)) {
    return plain_error("bind " + d.path + " from the host",
                       "the host's " + d.path + " is not device " + std::to_string(d.major) + ":" +
                           std::to_string(d.minor) + ", and mknod is not allowed here");
  }
  auto target = sys.make_path_in_root(rootfs, d.path, true);
  if (!target) {
    return target.error();
  }
  return sys.mount(d.path, *target, "", MS_BIND, "");
}

}  // namespace

Result<void> make_device(Sys& sys, const Device& d, const std::string& rootfs, bool bind_from_host) {
  if (d.type == 'f') {
    auto target = sys.make_path_in_root(rootfs, d.path, true);
    return target ? Result<void>{} : Result<void>(target.error());
  }
  if (bind_from_host) {
    return bind_host_node(sys, d, rootfs);
  }
  auto node = place_in_root(sys, rootfs, d.path);
  if (!node) {
    return node.error();
  }
  const mode_t kind = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
  auto made = sys.mknod(*node, kind | d.mode, d.type == 'p' ? 0 : makedev(d.major, d.minor));
  if (!made && made.error().err == EPERM) {
    // The devices cgroup refuses mknod of a node the config lists but does not allow (as
    // docker's --privileged device lists can): bind the host's node, as runc does. Opening
    // it is still subject to the same cgroup rules.
    return bind_host_node(sys, d, rootfs);
  }
  return made;
}

Result<void> make_symlink(Sys& sys, const std::string& target, const std::string& link, const std::string& rootfs) {
  auto where = place_in_root(sys, rootfs, link);
  if (!where) {
    return where.error();
  }
  return sys.symlink(target, *where);
}

}  // namespace barco
