#include "audit/facts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace barco::audit {
namespace {

// The errno of a call that returned `rc`; 0 on success.
int err_of(long rc) {
  return rc < 0 ? errno : 0;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

uint64_t namespace_inode(const std::string& name) {
  struct stat st {};
  return ::stat(("/proc/self/ns/" + name).c_str(), &st) == 0 ? st.st_ino : 0;
}

// Runs `call` in a forked child and returns its errno: for calls that would change this
// process (unshare) if they succeeded.
int errno_in_child(long (*call)()) {
  int fds[2];
  if (::pipe(fds) < 0) {
    return errno;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const int e = err_of(call());
    (void)::write(fds[1], &e, sizeof e);
    ::_exit(0);
  }
  ::close(fds[1]);
  int e = ECHILD;
  if (pid > 0) {
    (void)::read(fds[0], &e, sizeof e);
    ::waitpid(pid, nullptr, 0);
  }
  ::close(fds[0]);
  return e;
}

CapMask hex_mask(const std::string& text) {
  return text.empty() ? 0 : std::strtoull(text.c_str(), nullptr, 16);
}

void read_status(Facts& f) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    const std::string key = line.substr(0, colon);
    const auto start = line.find_first_not_of(" \t", colon + 1);
    const std::string value = start == std::string::npos ? "" : line.substr(start);
    if (key == "CapEff") {
      f.cap_eff = hex_mask(value);
    } else if (key == "CapBnd") {
      f.cap_bnd = hex_mask(value);
    } else if (key == "NoNewPrivs") {
      f.no_new_privs = value == "1";
    } else if (key == "Seccomp") {
      f.seccomp_mode = std::atoi(value.c_str());
    } else if (key == "Seccomp_filters") {
      f.seccomp_filters = std::atoi(value.c_str());
    }
  }
  const auto last = read_text("/proc/sys/kernel/cap_last_cap");
  if (!last.empty()) {
    f.cap_last_cap = std::atoi(last.c_str());
  }
}

MaskState mask_state(const char* path) {
  struct stat st {};
  if (::stat(path, &st) < 0) {
    return MaskState::absent;
  }
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) ? MaskState::masked : MaskState::visible;
}

bool mount_read_only(const char* path) {
  struct statvfs v {};
  return ::statvfs(path, &v) == 0 && (v.f_flag & ST_RDONLY) != 0;
}

Errno write_access(const char* path) {
  struct stat st {};
  if (::stat(path, &st) < 0) {
    return std::nullopt;
  }
  return err_of(::access(path, W_OK));
}

// cgroup mounts from mountinfo: "36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid ... - cgroup ..."
void read_cgroup_mounts(Facts& f) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string id, parent, dev, root, point, options, word;
    words >> id >> parent >> dev >> root >> point >> options;
    while (words >> word && word != "-") {
    }
    std::string fstype;
    words >> fstype;
    if (fstype == "cgroup" || fstype == "cgroup2") {
      const bool rw = options.rfind("rw", 0) == 0;
      f.cgroup_mounts.emplace_back(point, rw);
      const std::string agent = point + "/release_agent";
      struct stat st {};
      if (fstype == "cgroup" && ::stat(agent.c_str(), &st) == 0) {
        f.release_agents.emplace_back(agent, err_of(::access(agent.c_str(), W_OK)));
      }
    }
  }
}

bool dev_is_tmpfs() {
  struct statfs s {};
  return ::statfs("/dev", &s) == 0 && s.f_type == TMPFS_MAGIC;
}

// mknod in the container's own /dev tmpfs, open without reading, then remove it again.
// Returns the mknod errno; `open_errno` gets the open's when the node was made.
Errno mknod_probe(const char* node, mode_t type, dev_t dev, Errno* open_errno) {
  if (!dev_is_tmpfs()) {
    return std::nullopt;
  }
  const int made = err_of(::mknod(node, type | 0600, dev));
  if (made == 0) {
    const int fd = ::open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (open_errno != nullptr) {
      *open_errno = err_of(fd);
    }
    if (fd >= 0) {
      ::close(fd);
    }
    ::unlink(node);
  }
  return made;
}

int open_errno(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return 0;
  }
  return errno;
}

void probe_devices(Facts& f) {
  if (DIR* d = ::opendir("/dev")) {
    while (const dirent* e = ::readdir(d)) {
      const std::string path = std::string("/dev/") + e->d_name;
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode)) {
        f.block_devices.push_back({path, open_errno(path, O_RDONLY | O_NONBLOCK)});
      }
    }
    ::closedir(d);
  }
  if (f.block_devices.empty()) {
    f.mknod_block = mknod_probe("/dev/.barco-audit-blk", S_IFBLK, makedev(7, 0), nullptr);
  }
  struct stat st {};
  f.dev_mem_present = ::stat("/dev/mem", &st) == 0;
  if (f.dev_mem_present) {
    f.dev_mem_open = open_errno("/dev/mem", O_RDONLY);
  } else {
    f.mknod_mem = mknod_probe("/dev/.barco-audit-mem", S_IFCHR, makedev(1, 1), &f.dev_mem_open);
  }
}

void probe_syscalls(Facts& f) {
  // Bad arguments: an allowed call fails harmlessly (EFAULT, EINVAL, EBADF, ENODEV) while
  // a filtered one fails with seccomp's EPERM; nothing is ever mounted, loaded or joined.
  const auto* bad_pointer = reinterpret_cast<const char*>(1);  // NOLINT(performance-no-int-to-ptr)
  f.mount_bad_pointer = err_of(::mount(nullptr, "/", bad_pointer, 0, nullptr));
  f.mount_no_such_fs = err_of(::mount("none", "/", "barco-audit-nofs", 0, nullptr));
  f.unshare_bad_flag = err_of(::syscall(SYS_unshare, 1));
  f.unshare_user = errno_in_child([] { return static_cast<long>(::unshare(CLONE_NEWUSER)); });
  f.keyctl_bad_op = err_of(::syscall(SYS_keyctl, 0x7fffL, 0L, 0L, 0L, 0L));
  f.finit_module = err_of(::syscall(SYS_finit_module, -1, "", 0));
  f.modules_disabled = read_text("/proc/sys/kernel/modules_disabled");
  f.open_by_handle = err_of(::syscall(SYS_open_by_handle_at, -1, bad_pointer, O_RDONLY));
  f.setns_bad_fd = err_of(::syscall(SYS_setns, -1, 0));
  f.tiocsti_bad_fd = err_of(::ioctl(-1, TIOCSTI, bad_pointer));
}

void probe_host_pid(Facts& f) {
  if (shares_host(f, "pid").value_or(false)) {
    f.proc1_mem_open = open_errno("/proc/1/mem", O_RDONLY);
    f.proc1_ns_open = open_errno("/proc/1/ns/mnt", O_RDONLY);
  }
}

void probe_tty(Facts& f) {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::isatty(fd) == 0) {
      continue;
    }
    f.tty.fd = fd;
    struct stat tty {};
    struct stat pts {};
    f.tty.own_pty = ::fstat(fd, &tty) == 0 && ::stat("/dev/pts", &pts) == 0 && major(tty.st_rdev) >= 136 &&
                    major(tty.st_rdev) <= 143 && tty.st_dev == pts.st_dev;
    pid_t session = 0;
    f.tty.controlling = ::ioctl(fd, TIOCGSID, &session) == 0 && session == ::getsid(0);
    break;
  }
  const auto legacy = read_text("/proc/sys/dev/tty/legacy_tiocsti");
  f.tty.legacy_tiocsti = legacy.empty() ? -1 : std::atoi(legacy.c_str());
}

void read_interfaces(Facts& f) {
  // /proc/net/dev is per network namespace and needs no /sys.
  std::ifstream in("/proc/net/dev");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    const auto start = line.find_first_not_of(' ');
    f.interfaces.push_back(line.substr(start, colon - start));
  }
}

void read_process(Facts& f) {
  char buf[4096] = {};
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  f.exe = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unreadable";
  if (DIR* d = ::opendir("/proc/self/fd")) {
    const int own = ::dirfd(d);
    while (const dirent* e = ::readdir(d)) {
      const int fd = std::atoi(e->d_name);
      if (e->d_name[0] != '.' && fd > 2 && fd != own) {
        f.leaked_fds.push_back(fd);
      }
    }
    ::closedir(d);
  }
}

}  // namespace

Facts collect_facts(const std::map<std::string, uint64_t>& host_namespaces) {
  Facts f;
  // Before anything else opens an fd.
  read_process(f);
  for (const char* name : {"mnt", "pid", "net", "uts", "ipc", "cgroup", "user", "time"}) {
    const auto it = host_namespaces.find(name);
    f.namespaces.push_back({name, namespace_inode(name), it != host_namespaces.end() ? it->second : 0});
  }
  read_status(f);
  for (const char* path : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"}) {
    f.proc_masks[path] = mask_state(path);
  }
  f.proc_sys_read_only = mount_read_only("/proc/sys");
  f.core_pattern_write = write_access("/proc/sys/kernel/core_pattern");
  f.core_pattern = read_text("/proc/sys/kernel/core_pattern");
  f.sysrq_write = write_access("/proc/sysrq-trigger");
  f.sys_read_only = mount_read_only("/sys");
  read_cgroup_mounts(f);
  probe_devices(f);
  probe_syscalls(f);
  probe_host_pid(f);
  probe_tty(f);
  read_interfaces(f);
  return f;
}

}  // namespace barco::audit
