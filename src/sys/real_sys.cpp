#include "sys/checked.hpp"
#include "sys/sys.hpp"

#include <barco/files.hpp>
#include <barco/plan.hpp>

#include <climits>

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <linux/openat2.h>
#include <optional>
#include <string_view>

namespace barco {
namespace {

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, uint64_t flags, const std::string& root) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const int fd = static_cast<int>(::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how));
  if (fd < 0) {
    return errno_error("openat2(" + quoted(root) + ", " + quoted(path) + ", RESOLVE_IN_ROOT)");
  }
  return UniqueFd(fd);
}

Result<std::string> proc_fd_path(int fd) {
  std::array<char, PATH_MAX> buf{};
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size() - 1);
  if (n < 0) {
    return errno_error("readlink(" + quoted(link) + ")");
  }
  return std::string(buf.data(), static_cast<size_t>(n));
}

// Opens `path` below `root` component by component (each resolved as if `root` were "/"),
// creating what is missing; returns the host path of the result.
Result<std::string> walk_in_root(int root_fd, const std::string& root, const std::string& path, bool file,
                                 int links_left) {
  std::string prefix;
  size_t pos = 0;
  UniqueFd current;
  while (pos < path.size()) {
    const size_t next = path.find('/', pos);
    const std::string name = path.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    pos = next == std::string::npos ? path.size() : next + 1;
    if (name.empty() || name == ".") {
      continue;
    }
    const std::string parent = prefix.empty() ? "/" : prefix;
    prefix += "/" + name;
    const bool last = pos >= path.size();
    auto existing = open_in_root(root_fd, prefix, O_PATH, root);
    if (existing) {
      current = std::move(existing.value());
      continue;
    }
    if (existing.error().err != ENOENT) {
      return existing.error();
    }
    auto parent_fd = open_in_root(root_fd, parent, O_PATH | O_DIRECTORY, root);
    if (!parent_fd) {
      return parent_fd.error();
    }
    // A dangling symlink: create what it names, resolved inside the rootfs like the rest.
    std::array<char, PATH_MAX> link{};
    const ssize_t n = ::readlinkat(parent_fd->get(), name.c_str(), link.data(), link.size() - 1);
    if (n > 0) {
      if (links_left == 0) {
        return Error{ELOOP, {}, "readlink(" + quoted(root + prefix) + ")", "too many symlinks in the image's path"};
      }
      const std::string target(link.data(), static_cast<size_t>(n));
      std::string rewritten = target.front() == '/' ? target : parent;
      if (target.front() != '/') {
        rewritten.append("/").append(target);
      }
      if (!last) {
        rewritten += "/" + path.substr(pos);
      }
      return walk_in_root(root_fd, root, rewritten, file, links_left - 1);
    }
    if (last && file) {
      const int fd =
          ::openat(parent_fd->get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd < 0) {
        return errno_error("create(" + quoted(root + prefix) + ")");
      }
      ::close(fd);
    } else if (::mkdirat(parent_fd->get(), name.c_str(), 0755) < 0 && errno != EEXIST) {
      return errno_error("mkdir(" + quoted(root + prefix) + ")");
    }
    auto created = open_in_root(root_fd, prefix, O_PATH, root);
    if (!created) {
      return created.error();
    }
    current = std::move(created.value());
  }
  if (!current.valid()) {
    return root;
  }
  return proc_fd_path(current.get());
}

// root + path when `path` exists below `root` and no component is a symlink or "..";
// nothing otherwise (the caller then walks and resolves it component by component).
std::optional<std::string> path_without_symlinks(int root_fd, const std::string& root, const std::string& path) {
  std::string normal;
  for (size_t pos = 0; pos < path.size();) {
    const size_t next = std::min(path.find('/', pos), path.size());
    const std::string_view name(path.data() + pos, next - pos);
    pos = next + 1;
    if (name == "..") {
      return std::nullopt;
    }
    if (!name.empty() && name != ".") {
      normal += '/';
      normal += name;
    }
  }
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS;
  const int fd = static_cast<int>(::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how));
  if (fd < 0) {
    return std::nullopt;
  }
  ::close(fd);
  if (normal.empty()) {
    return root;
  }
  return root == "/" ? normal : root + normal;
}

}  // namespace

Result<void> RealSys::mount(const std::string& source, const std::string& target, const std::string& fstype,
                            unsigned long flags, const std::string& data) {
  const int rc = ::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
                         fstype.empty() ? nullptr : fstype.c_str(), flags, data.empty() ? nullptr : data.c_str());
  std::string call = "mount(" + quoted(source) + " -> " + quoted(target);
  if (!fstype.empty()) {
    call += ", type=" + fstype;
  }
  if (!data.empty()) {
    call += ", " + quoted(data);
  }
  return check(rc, call + ")");
}

Result<void> RealSys::umount2(const std::string& target, int flags) {
  return check(::umount2(target.c_str(), flags), "umount2(" + quoted(target) + ")");
}

Result<void> RealSys::mount_setattr(const std::string& path, uint64_t set, uint64_t clear, bool recursive) {
  mount_attr attr{};
  attr.attr_set = set;
  attr.attr_clr = clear;
  char what[96];
  std::snprintf(what, sizeof what, ", set=%#llx, clear=%#llx%s)", static_cast<unsigned long long>(set),
                static_cast<unsigned long long>(clear), recursive ? ", AT_RECURSIVE" : "");
  const unsigned flags = AT_SYMLINK_NOFOLLOW | (recursive ? AT_RECURSIVE : 0U);
  return check(::mount_setattr(AT_FDCWD, path.c_str(), flags, &attr, sizeof attr),
               "mount_setattr(" + quoted(path) + what);
}

Result<void> RealSys::pivot_root(const std::string& new_root, const std::string& put_old) {
  return check(static_cast<int>(::syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str())),
               "pivot_root(" + quoted(new_root) + ", " + quoted(put_old) + ")");
}

Result<void> RealSys::chdir(const std::string& path) {
  return check(::chdir(path.c_str()), "chdir(" + quoted(path) + ")");
}

Result<std::string> RealSys::make_path_in_root(const std::string& root, const std::string& path, bool file) {
  const int root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    return errno_error("open(" + quoted(root) + ", O_PATH|O_DIRECTORY)");
  }
  const UniqueFd root_owner(root_fd);
  // Most targets exist and contain no symlink: then one openat2 proves that the textual
  // path is the real one, without a walk or a readlink (a start resolves ~30 targets).
  if (auto plain = path_without_symlinks(root_fd, root, path)) {
    return *plain;
  }
  constexpr int kMaxLinks = 40;  // the kernel's own limit for one path walk
  return walk_in_root(root_fd, root, path, file, kMaxLinks);
}

namespace {

// The node make_path_in_root resolved, opened again with no symlink allowed anywhere: a
// component swapped for one since the walk fails here (ELOOP) instead of redirecting the mount.
struct TargetInRoot {
  std::string path;  // host path
  UniqueFd node;     // O_PATH
};

Result<TargetInRoot> open_target_in_root(RealSys& sys, const std::string& root, const std::string& path, bool file) {
  auto target = sys.make_path_in_root(root, path, file);
  if (!target) {
    return target.error();
  }
  const UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) {
    return errno_error("open(" + quoted(root) + ", O_PATH|O_DIRECTORY)");
  }
  const std::string relative = root == "/" ? *target : target->substr(std::min(root.size(), target->size()));
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd node(static_cast<int>(::syscall(SYS_openat2, root_fd.get(), relative.c_str(), &how, sizeof how)));
  if (!node.valid()) {
    auto e = errno_error("openat2(" + quoted(root) + ", " + quoted(relative) + ", RESOLVE_NO_SYMLINKS)");
    e.hint = "the mount target changed while barco resolved it (a symlink swapped in?)";
    return e;
  }
  return TargetInRoot{std::move(*target), std::move(node)};
}

}  // namespace

Result<std::string> RealSys::mount_in_root(const std::string& source, const std::string& root, const std::string& path,
                                           bool file, const std::string& fstype, unsigned long flags,
                                           const std::string& data) {
  auto target = open_target_in_root(*this, root, path, file);
  if (!target) {
    return target.error();
  }
  const std::string via = "/proc/self/fd/" + std::to_string(target->node.get());
  const int rc = ::mount(source.empty() ? nullptr : source.c_str(), via.c_str(),
                         fstype.empty() ? nullptr : fstype.c_str(), flags, data.empty() ? nullptr : data.c_str());
  std::string call = "mount(" + quoted(source) + " -> " + quoted(target->path);
  if (!fstype.empty()) {
    call += ", type=" + fstype;
  }
  if (!data.empty()) {
    call += ", " + quoted(data);
  }
  if (auto r = check(rc, call + ")"); !r) {
    return r.error();
  }
  return std::move(target->path);
}

Result<UniqueFd> RealSys::clone_mount_tree(const std::string& path, bool recursive) {
  const unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0U);
  const int fd = static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, path.c_str(), flags));
  if (fd < 0) {
    return errno_error("open_tree(" + quoted(path) + ", OPEN_TREE_CLONE" + (recursive ? "|AT_RECURSIVE)" : ")"));
  }
  return UniqueFd(fd);
}

Result<std::string> RealSys::attach_mount_in_root(int tree, const std::string& root, const std::string& path,
                                                  bool file) {
  auto target = open_target_in_root(*this, root, path, file);
  if (!target) {
    return target.error();
  }
  const int rc = static_cast<int>(
      ::syscall(SYS_move_mount, tree, "", target->node.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
  if (auto r = check(rc, "move_mount(tree " + std::to_string(tree) + " -> " + quoted(target->path) + ")"); !r) {
    return r.error();
  }
  return std::move(target->path);
}

Result<void> RealSys::mknod(const std::string& path, mode_t mode, dev_t dev) {
  return check(::mknod(path.c_str(), mode, dev),
               "mknod(" + quoted(path) + ", " + std::to_string(major(dev)) + ":" + std::to_string(minor(dev)) + ")");
}

Result<void> RealSys::symlink(const std::string& target, const std::string& link) {
  return check(::symlink(target.c_str(), link.c_str()), "symlink(" + quoted(target) + " <- " + quoted(link) + ")");
}

Result<std::string> RealSys::getcwd() {
  std::array<char, PATH_MAX> buf{};
  if (::getcwd(buf.data(), buf.size()) == nullptr) {
    return errno_error("getcwd()");
  }
  return std::string(buf.data());
}

Result<bool> RealSys::is_directory(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) {
    return errno_error("stat(" + quoted(path) + ")");
  }
  return S_ISDIR(st.st_mode);
}

mode_t RealSys::umask(mode_t mask) {
  return ::umask(mask);
}

Result<void> RealSys::sethostname(const std::string& name) {
  return check(::sethostname(name.data(), name.size()), "sethostname(" + quoted(name) + ")");
}

Result<void> RealSys::unshare(int flags) {
  return check(::unshare(flags), "unshare(" + std::to_string(flags) + ")");
}

Result<void> RealSys::setns(int fd, int nstype, const std::string& what) {
  return check(::setns(fd, nstype),
               "setns(" + what + ", " + clone_flags_to_string(static_cast<unsigned>(nstype)) + ")");
}

Result<void> RealSys::setgroups(const std::vector<gid_t>& groups) {
  return check(::setgroups(groups.size(), groups.data()), "setgroups(" + std::to_string(groups.size()) + " groups)");
}

Result<void> RealSys::setresgid(gid_t gid) {
  return check(::setresgid(gid, gid, gid), "setresgid(" + std::to_string(gid) + ")");
}

Result<void> RealSys::setresuid(uid_t uid) {
  return check(::setresuid(uid, uid, uid), "setresuid(" + std::to_string(uid) + ")");
}

Result<void> RealSys::setrlimit(int resource, uint64_t soft, uint64_t hard) {
  const rlimit lim{soft, hard};
  return check(
      ::setrlimit(static_cast<__rlimit_resource>(resource), &lim),
      "setrlimit(" + std::to_string(resource) + ", " + std::to_string(soft) + ", " + std::to_string(hard) + ")");
}

Result<void> RealSys::setsid() {
  return check(::setsid(), "setsid()");
}

Result<void> RealSys::set_interface_up(const std::string& name) {
  const UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) {
    return errno_error("socket(AF_INET, SOCK_DGRAM)");
  }
  ifreq req{};
  std::strncpy(req.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &req) < 0) {
    return errno_error("ioctl(SIOCGIFFLAGS, " + quoted(name) + ")");
  }
  req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
  return check(::ioctl(sock.get(), SIOCSIFFLAGS, &req), "ioctl(SIOCSIFFLAGS, " + quoted(name) + ", IFF_UP)");
}

Result<void> RealSys::write_file(const std::string& path, const std::string& content) {
  return barco::write_file(path, content);
}

Result<void> RealSys::write_proc_file(const std::string& relative, const std::string& content) {
  const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    return errno_error("open(\"/\", O_PATH)");
  }
  auto proc = open_in_root(root.get(), "/proc", O_PATH | O_DIRECTORY, "/");
  if (!proc) {
    return proc.error();
  }
  const std::string path = "/proc/" + relative;
  struct statfs fs {};
  if (::fstatfs(proc->get(), &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
    return Error{EXDEV, {}, "fstatfs(\"/proc\")", "/proc is not procfs: refusing to write " + path};
  }
  open_how how{};
  how.flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, proc->get(), relative.c_str(), &how, sizeof how)));
  if (!fd.valid()) {
    auto e = errno_error("openat2(\"/proc\", " + quoted(relative) + ", RESOLVE_NO_XDEV|RESOLVE_NO_SYMLINKS)");
    if (e.err == EXDEV || e.err == ELOOP) {
      e.hint = path + " is covered by a mount or a symlink: refusing to write through it";
    }
    return e;
  }
  if (::fstatfs(fd.get(), &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
    return Error{EXDEV, {}, "fstatfs(" + quoted(path) + ")", "not a procfs file: refusing to write it"};
  }
  if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    return errno_error("write(" + quoted(path) + ", " + quoted(content) + ")");
  }
  return {};
}

Result<struct stat> RealSys::stat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) {
    return errno_error("stat(" + quoted(path) + ")");
  }
  return st;
}

Result<struct stat> RealSys::fstat(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) < 0) {
    return errno_error("fstat(" + std::to_string(fd) + ")");
  }
  return st;
}

Result<void> RealSys::drop_bounding_cap(int cap) {
  return check(::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "prctl(PR_CAPBSET_DROP, " + std::to_string(cap) + ")");
}

Result<void> RealSys::set_keep_caps() {
  return check(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS, 1)");
}

Result<void> RealSys::set_capabilities(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
  // capset(2) directly: two 32-bit halves per set (_LINUX_CAPABILITY_VERSION_3).
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, 2> data{};
  for (size_t i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(inheritable >> (32 * i));
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "capset(eff=%#llx, prm=%#llx, inh=%#llx)", static_cast<unsigned long long>(effective),
                static_cast<unsigned long long>(permitted), static_cast<unsigned long long>(inheritable));
  return check(static_cast<int>(::syscall(SYS_capset, &header, data.data())), buf);
}

Result<void> RealSys::raise_ambient_cap(int cap) {
  return check(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0),
               "prctl(PR_CAP_AMBIENT_RAISE, " + std::to_string(cap) + ")");
}

Result<void> RealSys::set_no_new_privs() {
  return check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS, 1)");
}

Result<void> RealSys::load_seccomp(const std::vector<sock_filter>& program) {
  sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  return check(static_cast<int>(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)),
               "seccomp(SECCOMP_SET_MODE_FILTER, " + std::to_string(program.size()) + " instructions)");
}

Result<UniqueFd> RealSys::load_seccomp_listener(const std::vector<sock_filter>& program) {
  sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  // The kernel makes the listener close-on-exec.
  const int fd =
      static_cast<int>(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
  if (fd < 0) {
    return errno_error("seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, " +
                       std::to_string(program.size()) + " instructions)");
  }
  return UniqueFd(fd);
}

Result<void> RealSys::make_non_dumpable() {
  return check(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE, 0)");
}

Result<void> RealSys::close_fds_except(const std::vector<int>& keep) {
  std::vector<int> sorted;
  for (const int fd : keep) {
    if (fd >= 3) {
      sorted.push_back(fd);
    }
  }
  std::sort(sorted.begin(), sorted.end());
  unsigned first = 3;
  for (const int fd : sorted) {
    const auto kept = static_cast<unsigned>(fd);
    if (kept > first) {
      if (auto r = check(static_cast<int>(::syscall(SYS_close_range, first, kept - 1, 0U)),
                         "close_range(" + std::to_string(first) + ", " + std::to_string(kept - 1) + ")");
          !r) {
        return r;
      }
    }
    first = std::max(first, kept + 1);
  }
  return check(static_cast<int>(::syscall(SYS_close_range, first, ~0U, 0U)),
               "close_range(" + std::to_string(first) + ", ~0)");
}

Result<UniqueFd> RealSys::open_file(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    return errno_error("open(" + quoted(path) + ")");
  }
  return UniqueFd(fd);
}

Result<UniqueFd> RealSys::open_device(const std::string& path, dev_t dev, int flags) {
  const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    return errno_error("open(\"/\", O_PATH)");
  }
  // openat2 refuses O_PATH together with other flags (EINVAL).
  const int extra = (flags & O_PATH) != 0 ? 0 : O_NONBLOCK | O_NOCTTY;
  auto fd = open_in_root(root.get(), path, static_cast<uint64_t>(flags | extra), "/");
  if (!fd) {
    return fd.error();
  }
  struct stat st {};
  if (::fstat(fd->get(), &st) < 0) {
    return errno_error("fstat(" + quoted(path) + ")");
  }
  if (!S_ISCHR(st.st_mode) || st.st_rdev != dev) {
    return Error{
        ENODEV,
        {},
        "fstat(" + quoted(path) + ") is not char " + std::to_string(major(dev)) + ":" + std::to_string(minor(dev)),
        {}};
  }
  if ((flags & (O_NONBLOCK | O_PATH)) == 0 && ::fcntl(fd->get(), F_SETFL, flags & ~O_NONBLOCK & ~O_ACCMODE) < 0) {
    return errno_error("fcntl(" + quoted(path) + ", F_SETFL)");
  }
  return std::move(fd.value());
}

Result<UniqueFd> RealSys::open_pty_slave(int master) {
  if (::unlockpt(master) < 0) {
    return errno_error("unlockpt()");
  }
  // TIOCGPTPEER opens the peer through the master itself: no path lookup that a
  // container could redirect.
  const int fd = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    return errno_error("ioctl(TIOCGPTPEER)");
  }
  return UniqueFd(fd);
}

Result<void> RealSys::make_controlling_tty(int fd) {
  return check(::ioctl(fd, TIOCSCTTY, 0), "ioctl(TIOCSCTTY, " + std::to_string(fd) + ")");
}

Result<void> RealSys::set_window_size(int fd, unsigned rows, unsigned columns) {
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(columns);
  return check(::ioctl(fd, TIOCSWINSZ, &ws),
               "ioctl(TIOCSWINSZ, " + std::to_string(rows) + "x" + std::to_string(columns) + ")");
}

Result<void> RealSys::chown_fd_owner(int fd, uid_t uid) {
  return check(::fchown(fd, uid, static_cast<gid_t>(-1)), "fchown(pty, " + std::to_string(uid) + ", -1)");
}

Result<void> RealSys::dup2(int from, int to) {
  return check(::dup2(from, to), "dup2(" + std::to_string(from) + ", " + std::to_string(to) + ")");
}

}  // namespace barco
