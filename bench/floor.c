// floor: the kernel work of one barco container start and nothing else, to measure barco
// against. usage: floor [--seccomp BARCO_CACHE_ENTRY] ROOTFS CGROUP_PARENT_DIR...
// For each CGROUP_PARENT_DIR (a v1 hierarchy directory such as /sys/fs/cgroup/memory) it
// creates <dir>/floor-<pid> (memory.limit_in_bytes 64M, pids.max 64, docker's device
// allow-list, the parent's cpuset, where the files exist),
// clones a child with new mount, pid, uts, ipc and network namespaces; the child moves itself
// into those cgroups (writing 0 to tasks while single-threaded), unshares its cgroup namespace,
// sets up docker's mount set (rprivate /, bind rootfs, tmpfs /dev with the six nodes and the
// symlinks, proc, devpts, shm, mqueue, read-only sysfs), pivot_root's into it, sets the
// hostname, brings lo up, mounts /sys/fs/cgroup as barco does on a v1 host (a tmpfs and one
// cgroup mount per hierarchy, read-only), masks docker's /proc and /sys paths and makes
// its read-only ones read-only, drops the bounding set to docker's 14 capabilities, loads
// the seccomp program barco compiled (from barco's cache, so both load the same filter) and
// execs /bin/true. The parent waits and removes the cgroups. No config, no state, no
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
#include <linux/filter.h>
#include <linux/seccomp.h>

#define MAX_CGROUPS 16

static struct sock_fprog seccomp_program;

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

// A new v1 cpuset cgroup has no CPUs and no memory nodes, and no task can join it until
// they are copied from its parent (as barco, crun and runc do).
static void inherit_from_parent(const char* parent, const char* dir, const char* file) {
  char path[600], value[4096];
  snprintf(path, sizeof path, "%s/%s", parent, file);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // not a cpuset hierarchy
  const ssize_t n = read(fd, value, sizeof value - 1);
  close(fd);
  if (n <= 0) return;
  value[n] = 0;
  write_file(dir, file, value);
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

// barco's cache entry: "<key length>\n<key><struct sock_filter...>".
static void read_seccomp(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) die(path);
  static char buf[1 << 20];
  const size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  char* end = NULL;
  const unsigned long key = strtoul(buf, &end, 10);
  const size_t start = (size_t)(end - buf) + 1 + key;
  if (*end != '\n' || start >= n || (n - start) % sizeof(struct sock_filter) != 0) {
    errno = EINVAL;
    die(path);
  }
  seccomp_program.len = (unsigned short)((n - start) / sizeof(struct sock_filter));
  seccomp_program.filter = (struct sock_filter*)(buf + start);
}

// barco's /sys/fs/cgroup on a v1 or hybrid host: a tmpfs, one read-only mount per v1
// controller hierarchy of the host (named ones skipped) and the cgroup2 one, then the tmpfs
// made read-only. The list comes from the host's mountinfo, as barco's does.
static char cgroup_mounts[32][2][300];
static int ncgroup_mounts;

static void read_cgroup_mounts(void) {
  FILE* f = fopen("/proc/self/mountinfo", "r");
  char line[1024];
  while (f != NULL && fgets(line, sizeof line, f) != NULL && ncgroup_mounts < 32) {
    char point[256], fstype[32], source[64], options[256];
    const char* dash = strstr(line, " - ");
    if (dash == NULL || sscanf(line, "%*s %*s %*s %*s %255s", point) != 1 ||
        sscanf(dash, " - %31s %63s %255s", fstype, source, options) != 3 ||
        strncmp(point, "/sys/fs/cgroup/", 15) != 0) {
      continue;
    }
    const char* opts = strncmp(options, "rw,", 3) == 0 || strncmp(options, "ro,", 3) == 0 ? options + 3 : "";
    if (strcmp(fstype, "cgroup") == 0 && strncmp(opts, "name=", 5) != 0 && opts[0] != 0) {
      snprintf(cgroup_mounts[ncgroup_mounts][0], 300, "sys/fs/cgroup/%s", point + 15);
      snprintf(cgroup_mounts[ncgroup_mounts++][1], 300, "%s", opts);
    } else if (strcmp(fstype, "cgroup2") == 0) {
      snprintf(cgroup_mounts[ncgroup_mounts][0], 300, "sys/fs/cgroup/%s", point + 15);
      cgroup_mounts[ncgroup_mounts++][1][0] = 0;
    }
  }
  if (f != NULL) fclose(f);
}

static void mount_cgroups(void) {
  if (ncgroup_mounts == 0) return;  // a pure v2 host: barco mounts one cgroup2 (not modelled)
  const unsigned long flags = MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY;
  must(mount("tmpfs", "sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=755"), "cgroup tmpfs");
  for (int i = 0; i < ncgroup_mounts; ++i) {
    mkdir(cgroup_mounts[i][0], 0755);
    const int v2 = cgroup_mounts[i][1][0] == 0;
    must(mount(v2 ? "cgroup2" : "cgroup", cgroup_mounts[i][0], v2 ? "cgroup2" : "cgroup", flags,
               v2 ? NULL : cgroup_mounts[i][1]),
         cgroup_mounts[i][0]);
  }
  must(mount(NULL, "sys/fs/cgroup", NULL, MS_REMOUNT | flags, "mode=755"), "cgroup ro");
}

static void mask_and_protect(void) {
  static const char* files[] = {"/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug"};
  static const char* dirs[] = {"/proc/acpi", "/proc/asound", "/proc/scsi", "/sys/firmware",
                               "/sys/devices/virtual/powercap"};
  static const char* readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) mount("/dev/null", files[i], NULL, MS_BIND, NULL);
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; ++i) mount("tmpfs", dirs[i], "tmpfs", MS_RDONLY, NULL);
  for (size_t i = 0; i < sizeof readonly / sizeof readonly[0]; ++i) {
    if (mount(readonly[i], readonly[i], NULL, MS_BIND | MS_REC, NULL) == 0) {
      mount(NULL, readonly[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL);
    }
  }
}

static int child(const char* rootfs) {
  for (int i = 0; i < ncgroups; ++i) {
    char tasks[sizeof cgroups[0] + 16];
    snprintf(tasks, sizeof tasks, "%.500s/tasks", cgroups[i]);
    write_file(cgroups[i], access(tasks, F_OK) == 0 ? "tasks" : "cgroup.procs", "0");  // v1, or v2
  }
  must(unshare(CLONE_NEWCGROUP), "unshare cgroup");
  must(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "rprivate");
  must(mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL), "bind rootfs");
  must(chdir(rootfs), "chdir");
  setup_dev();
  must(mount("proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL), "proc");
  must(mount("sysfs", "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL), "sysfs");
  mount_cgroups();
  must((int)syscall(SYS_pivot_root, ".", "."), "pivot_root");
  must(umount2(".", MNT_DETACH), "umount old root");
  must(chdir("/"), "chdir /");
  mask_and_protect();
  must(sethostname("floor", 5), "sethostname");
  loopback_up();
  if (seccomp_program.len > 0) {  // before the caps drop, as barco does without no_new_privs
    must((int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &seccomp_program), "seccomp");
  }
  drop_caps();
  char* argv[] = {"/bin/true", NULL};
  char* envp[] = {"PATH=/bin", NULL};
  execve(argv[0], argv, envp);
  die("execve");
  return 125;
}

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "--seccomp") == 0) {
    read_seccomp(argv[2]);
    argv += 2;
    argc -= 2;
  }
  read_cgroup_mounts();
  if (argc < 2) {
    fprintf(stderr, "usage: floor [--seccomp BARCO_CACHE_ENTRY] ROOTFS [CGROUP_PARENT_DIR...]\n");
    return 125;
  }
  for (int i = 2; i < argc && ncgroups < MAX_CGROUPS; ++i) {
    snprintf(cgroups[ncgroups], sizeof cgroups[0], "%s/floor-%d", argv[i], getpid());
    if (mkdir(cgroups[ncgroups], 0755) < 0) die(cgroups[ncgroups]);
    write_file(cgroups[ncgroups], "memory.limit_in_bytes", "67108864");
    write_file(cgroups[ncgroups], "pids.max", "64");
    inherit_from_parent(argv[i], cgroups[ncgroups], "cpuset.cpus");
    inherit_from_parent(argv[i], cgroups[ncgroups], "cpuset.mems");
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
