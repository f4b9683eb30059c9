// floor: the kernel work of one barco container start and nothing else, to measure barco
// against. usage: floor ROOTFS CGROUP_PARENT_DIR...
// For each CGROUP_PARENT_DIR (a v1 hierarchy directory such as /sys/fs/cgroup/memory) it
// creates <dir>/floor-<pid> (memory.limit_in_bytes 64M, pids.max 64, docker's device
// allow-list, where the files exist),
// clones a child with new mount, pid, uts, ipc and network namespaces; the child moves itself
// into those cgroups (writing 0 to tasks while single-threaded), unshares its cgroup namespace,
// sets up docker's mount set (rprivate /, bind rootfs, tmpfs /dev with the six nodes and the
// symlinks, proc, devpts, shm, mqueue, read-only sysfs), pivot_root's into it, sets the
// hostname, brings lo up, drops the bounding set to docker's 14 capabilities, and execs
// /bin/true. The parent waits and removes the cgroups. No config, no state, no seccomp, no
// logging: what is left is what the kernel charges.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CGROUPS 16

static char cgroups[MAX_CGROUPS][512];
static int ncgroups;

static void die(const char* what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  _exit(125);
}

static void write_file(const char* dir, const char* file, const char* value) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;  // the hierarchy has no such file
  if (write(fd, value, strlen(value)) < 0) die(path);
  close(fd);
}

static void must(int rc, const char* what) {
  if (rc < 0) die(what);
}

static void setup_dev(void) {
  must(mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"), "mount /dev");
  static const struct {
    const char* name;
    unsigned minor;
  } nodes[] = {{"dev/null", 3}, {"dev/zero", 5}, {"dev/full", 7}, {"dev/random", 8}, {"dev/urandom", 9}};
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; ++i) {
    must(mknod(nodes[i].name, S_IFCHR | 0666, makedev(1, nodes[i].minor)), nodes[i].name);
  }
  must(mknod("dev/tty", S_IFCHR | 0666, makedev(5, 0)), "dev/tty");
  must(symlink("pts/ptmx", "dev/ptmx"), "dev/ptmx");
  must(symlink("/proc/self/fd", "dev/fd"), "dev/fd");
  must(symlink("/proc/self/fd/0", "dev/stdin"), "dev/stdin");
  must(symlink("/proc/self/fd/1", "dev/stdout"), "dev/stdout");
  must(symlink("/proc/self/fd/2", "dev/stderr"), "dev/stderr");
  mkdir("dev/pts", 0755);
  mkdir("dev/shm", 01777);
  mkdir("dev/mqueue", 0755);
  must(mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"), "devpts");
  must(mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k"), "shm");
  must(mount("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL), "mqueue");
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die("lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die("lo up");
  close(s);
}

static void drop_caps(void) {
  // docker's 14: chown dac_override fowner fsetid kill setgid setuid setpcap
  // net_bind_service net_raw sys_chroot mknod audit_write setfcap
  const unsigned long long keep = 0xa80425fbULL;
  for (int cap = 0; cap <= 63; ++cap) {
    if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) die("capbset");
  }
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {{(unsigned)keep, (unsigned)keep, 0}, {0, 0, 0}};
  must((int)syscall(SYS_capset, &h, d), "capset");
}

static int child(const char* rootfs) {
  for (int i = 0; i < ncgroups; ++i) {
    char tasks[600];
    snprintf(tasks, sizeof tasks, "%s/tasks", cgroups[i]);
    write_file(cgroups[i], access(tasks, F_OK) == 0 ? "tasks" : "cgroup.procs", "0");  // v1, or v2
  }
  must(unshare(CLONE_NEWCGROUP), "unshare cgroup");
  must(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "rprivate");
  must(mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL), "bind rootfs");
  must(chdir(rootfs), "chdir");
  setup_dev();
  must(mount("proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL), "proc");
  must(mount("sysfs", "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL), "sysfs");
  must((int)syscall(SYS_pivot_root, ".", "."), "pivot_root");
  must(umount2(".", MNT_DETACH), "umount old root");
  must(chdir("/"), "chdir /");
  must(sethostname("floor", 5), "sethostname");
  loopback_up();
  drop_caps();
  char* argv[] = {"/bin/true", NULL};
  char* envp[] = {"PATH=/bin", NULL};
  execve(argv[0], argv, envp);
  die("execve");
  return 125;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: floor ROOTFS [CGROUP_PARENT_DIR...]\n");
    return 125;
  }
  for (int i = 2; i < argc && ncgroups < MAX_CGROUPS; ++i) {
    snprintf(cgroups[ncgroups], sizeof cgroups[0], "%s/floor-%d", argv[i], getpid());
    if (mkdir(cgroups[ncgroups], 0755) < 0) die(cgroups[ncgroups]);
    write_file(cgroups[ncgroups], "memory.limit_in_bytes", "67108864");
    write_file(cgroups[ncgroups], "pids.max", "64");
    if (strstr(argv[i], "devices") != NULL) {  // docker's allow-list
      write_file(cgroups[ncgroups], "devices.deny", "a");
      static const char* allow[] = {"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                                    "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm"};
      for (size_t k = 0; k < sizeof allow / sizeof allow[0]; ++k) write_file(cgroups[ncgroups], "devices.allow", allow[k]);
    }
    ++ncgroups;
  }
  const long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD;
  const long pid = syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
  if (pid == 0) return child(argv[1]);
  if (pid < 0) die("clone");
  int status = 0;
  while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR) {
  }
  for (int i = 0; i < ncgroups; ++i) rmdir(cgroups[i]);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
