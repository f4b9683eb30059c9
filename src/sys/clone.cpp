#include "sys/clone.hpp"

#include <barco/plan.hpp>

#include <linux/sched.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

namespace barco {

Result<CloneResult> clone_process(unsigned long flags, int cgroup_fd) {
  clone_args args{};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  long pid = -1;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
    pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) {
      return CloneResult{static_cast<pid_t>(pid), true};
    }
    args.flags = flags;  // an older kernel (< 5.7), or the cgroup refused it: join later
    args.cgroup = 0;
  }
  pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
    pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  }
  if (pid < 0) {
    return errno_error("clone3(" + clone_flags_to_string(flags) + ")");
  }
  return CloneResult{static_cast<pid_t>(pid), false};
}

}  // namespace barco
