// barco-probe: a small static program the integration tests run inside containers. It
// reports facts as key=value lines. Every syscall probe is side-effect free: it passes a
// bad fd, a bad pointer or a path that does not exist, so an allowed call fails harmlessly
// (EBADF, EFAULT, ENOENT, EINVAL) while a filtered one fails with EPERM or ENOSYS; a call
// that could succeed runs in a throwaway child. Nothing is ever written to /proc, /sys,
// a device or a cgroup.
#include <dirent.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

namespace {

std::string outcome(long rc) {
  if (rc >= 0) {
    return "OK";
  }
  const char* name = strerrorname_np(errno);
  return name != nullptr ? name : std::to_string(errno);
}

void report(const char* key, const std::string& value) {
  std::printf("%s=%s\n", key, value.c_str());
}

// Runs `call` in a forked child and reports its errno: for calls that would change the
// caller (unshare, clone) if they succeeded.
std::string in_child(const std::function<long()>& call) {
  int pipefd[2];
  if (::pipe(pipefd) < 0) return "pipe-failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    const std::string r = outcome(call());
    (void)::write(pipefd[1], r.data(), r.size());
    ::_exit(0);
  }
  ::close(pipefd[1]);
  char buf[64] = {};
  const ssize_t n = ::read(pipefd[0], buf, sizeof buf - 1);
  ::close(pipefd[0]);
  ::waitpid(pid, nullptr, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "no-answer";
}

void status() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    for (const char* key : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"}) {
      const std::string prefix = std::string(key) + ":";
      if (line.rfind(prefix, 0) == 0) {
        const auto value = line.substr(line.find_first_not_of(" \t", prefix.size()));
        report(key, value);
      }
    }
  }
}

void syscalls() {
  // An existing target and a filesystem type that does not exist: the kernel checks
  // CAP_SYS_ADMIN (EPERM) before it looks the type up (ENODEV), so nothing is ever mounted.
  report("mount", outcome(::mount("none", "/", "barco-probe-nofs", 0, nullptr)));
  report("umount", outcome(::umount2("/nonexistent-barco-probe", 0)));
  report("unshare_user", in_child([] { return ::unshare(CLONE_NEWUSER); }));
  report("unshare_ns", in_child([] { return ::unshare(CLONE_NEWNS); }));
  report("clone_newns", in_child([] {
           const long pid = ::syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
           if (pid == 0) ::_exit(0);
           if (pid > 0) ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
           return pid;
         }));
  report("clone3", outcome(::syscall(SYS_clone3, nullptr, 0)));  // EINVAL when allowed
  report("keyctl", outcome(::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0)));
  report("finit_module", outcome(::syscall(SYS_finit_module, -1, "", 0)));
  report("init_module", outcome(::syscall(SYS_init_module, nullptr, 0, "")));
  report("setns", outcome(::syscall(SYS_setns, -1, 0)));
  report("bpf", outcome(::syscall(SYS_bpf, -1, nullptr, 0)));
  report("open_by_handle_at", outcome(::syscall(SYS_open_by_handle_at, -1, nullptr, O_RDONLY)));
  report("ptrace", outcome(::syscall(SYS_ptrace, -1, 0, nullptr, nullptr)));
  const int alg = ::socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0);
  report("socket_alg", outcome(alg));
  if (alg >= 0) ::close(alg);
  const int inet = ::socket(AF_INET, SOCK_DGRAM, 0);
  report("socket_inet", outcome(inet));
  if (inet >= 0) ::close(inet);
  report("personality_bad", outcome(::syscall(SYS_personality, 0x0400000)));  // a flag docker does not allow
  // A number no kernel has yet, and syscalls newer than barco's libseccomp: a flag nobody
  // defines (EINVAL when allowed), a bad pointer or fd.
  report("syscall_1000", outcome(::syscall(1000, 0, 0, 0)));
  report("fchmodat2", outcome(::syscall(452, -1, "", 0, 0x80000000U)));
  report("mseal", outcome(::syscall(462, 1, 0, 0x80000000UL)));
  report("getxattrat", outcome(::syscall(464, -1, "", 0, "user.x", nullptr, 0)));
}

std::string masked(const char* path) {
  struct stat st {};
  if (::stat(path, &st) < 0) {
    return errno == ENOENT ? "absent" : outcome(-1);
  }
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) return "masked";
  if (S_ISDIR(st.st_mode)) {
    struct statvfs vfs {};
    DIR* d = ::opendir(path);
    int entries = 0;
    while (d != nullptr && ::readdir(d) != nullptr) ++entries;
    if (d != nullptr) ::closedir(d);
    return ::statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) && entries <= 2 ? "masked" : "visible";
  }
  return "visible";
}

std::string writable(const char* path) {
  if (::access(path, W_OK) == 0) return "rw";
  return errno == EROFS ? "ro" : outcome(-1);
}

std::string mount_mode(const char* path) {
  struct statvfs vfs {};
  if (::statvfs(path, &vfs) < 0) return outcome(-1);
  return (vfs.f_flag & ST_RDONLY) ? "ro" : "rw";
}

void paths() {
  for (const char* p :
       {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/acpi", "/sys/firmware"}) {
    report(p, masked(p));
  }
  report("proc_sys", mount_mode("/proc/sys"));
  report("core_pattern", writable("/proc/sys/kernel/core_pattern"));
  report("sysrq_trigger", writable("/proc/sysrq-trigger"));
  report("sys", mount_mode("/sys"));
  int blocks = 0;
  int chars = 0;
  if (DIR* d = ::opendir("/dev")) {
    while (const dirent* e = ::readdir(d)) {
      struct stat st {};
      const std::string p = std::string("/dev/") + e->d_name;
      if (::lstat(p.c_str(), &st) == 0) {
        blocks += S_ISBLK(st.st_mode) ? 1 : 0;
        chars += S_ISCHR(st.st_mode) ? 1 : 0;
      }
    }
    ::closedir(d);
  }
  report("block_devices", std::to_string(blocks));
  report("char_devices", std::to_string(chars));
}

// mknod of a block device (loop0) in the container's own /dev tmpfs, then open and close it
// without reading; the node is removed again.
void devices() {
  const char* node = "/dev/.barco-probe-blk";
  const int rc = ::mknod(node, S_IFBLK | 0600, makedev(7, 0));
  report("mknod_block", outcome(rc));
  if (rc == 0) {
    const int fd = ::open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    report("open_block", outcome(fd));
    if (fd >= 0) ::close(fd);
    ::unlink(node);
  }
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  report("open_null", outcome(null));
  if (null >= 0) ::close(null);
}

void fds() {
  std::string list;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    const int own = ::dirfd(d);
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.' || std::atoi(e->d_name) == own) continue;
      list += (list.empty() ? "" : ",") + std::string(e->d_name);
    }
    ::closedir(d);
  }
  report("fds", list);
  char cwd[4096] = {};
  report("cwd", ::getcwd(cwd, sizeof cwd) != nullptr ? cwd : outcome(-1));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "all";
  if (what == "status" || what == "all") status();
  if (what == "syscalls" || what == "all") syscalls();
  if (what == "paths" || what == "all") paths();
  if (what == "fds" || what == "all") fds();
  if (what == "devices" || what == "all") devices();
  return 0;
}
