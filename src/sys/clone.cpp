#include "sys/clone.hpp"

#include <barco/plan.hpp>

#include <linux/sched.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

namespace barco {

Result<pid_t> clone_process(unsigned long flags) {
  clone_args args{};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
    pid = ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  }
  if (pid < 0) {
    return errno_error("clone3(" + clone_flags_to_string(flags) + ")");
  }
  return static_cast<pid_t>(pid);
}

}  // namespace barco
