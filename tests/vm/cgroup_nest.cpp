// barco-cgroup-nest NAME CMD [ARGS...]: runs CMD the way a CI runner or a container runs it on
// a pure cgroup v2 host, for the VM suite's nested mode. CMD sits in a leaf (`job`) of a
// delegated cgroup (/sys/fs/cgroup/NAME) that is the root of its own cgroup namespace and of a
// fresh cgroup2 mount, so what barco sees as "the hierarchy's root" is not the kernel's: the
// no-internal-process rule applies to it, nsdelegate guards its interface files, and only the
// controllers enabled above it are there. Only for a throwaway VM: it moves itself, and
// unmounts /sys/fs/cgroup in its own mount namespace.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

bool fail(const std::string& what) {
  std::fprintf(stderr, "barco-cgroup-nest: %s: %s\n", what.c_str(), std::strerror(errno));
  return false;
}

// Writing "0" to cgroup.procs moves the writer itself.
bool move_self_to(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail("mkdir " + dir);
  }
  const std::string procs = dir + "/cgroup.procs";
  const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail("open " + procs);
  }
  const bool moved = ::write(fd, "0", 1) == 1;
  ::close(fd);
  return moved || fail("write " + procs);
}

// The namespace's root is the cgroup its creator is in at unshare, so it is made from NAME
// and only then does the process step down into the leaf.
bool enter_nested_cgroup(const std::string& name) {
  if (!move_self_to("/sys/fs/cgroup/" + name)) {
    return false;
  }
  if (::unshare(CLONE_NEWCGROUP | CLONE_NEWNS) != 0) {
    return fail("unshare(CLONE_NEWCGROUP|CLONE_NEWNS)");
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail("make / private");
  }
  if (::umount2("/sys/fs/cgroup", MNT_DETACH) != 0) {
    return fail("umount /sys/fs/cgroup");
  }
  // Mounted from inside the namespace, cgroup2 shows the namespace's root at its top.
  if (::mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return fail("mount cgroup2 on /sys/fs/cgroup");
  }
  return move_self_to("/sys/fs/cgroup/job");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: barco-cgroup-nest NAME CMD [ARGS...]\n");
    return 2;
  }
  if (!enter_nested_cgroup(argv[1])) {
    return 125;
  }
  ::execvp(argv[2], argv + 2);
  fail(std::string("exec ") + argv[2]);
  return 127;
}
