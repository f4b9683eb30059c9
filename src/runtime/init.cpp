#include "runtime/init.hpp"

#include "runtime/signals.hpp"

#include <sys/wait.h>
#include <unistd.h>

namespace barco {
namespace {

int status_to_exit_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

[[noreturn]] void run_init_loop(pid_t command) {
  // Signals stay blocked (inherited from the parent's mask) and are taken with sigwaitinfo:
  // blocked signals reach PID 1 even though it has no handlers.
  const sigset_t set = supervised_signals();
  for (;;) {
    siginfo_t info{};
    if (::sigwaitinfo(&set, &info) < 0) {
      continue;
    }
    if (info.si_signo != SIGCHLD) {
      ::kill(command, info.si_signo);
      continue;
    }
    int status = 0;
    pid_t pid = 0;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == command) {
        ::_exit(status_to_exit_code(status));
      }
    }
  }
}

}  // namespace

void start_init(const SyncChannel& channel) {
  const SignalBlock block(supervised_signals());
  const pid_t command = ::fork();
  if (command == 0) {
    return;  // the command; it resets the mask before execve
  }
  // PID 1 keeps no copy of the sync socket, so the parent sees EOF when the command execs.
  ::close(channel.fd());
  if (command < 0) {
    ::_exit(125);
  }
  run_init_loop(command);
}

}  // namespace barco
