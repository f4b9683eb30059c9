// barco-init: the --init PID 1 as a tiny static program. barco embeds it and executes it
// from a sealed memfd inside the container, so PID 1 needs nothing from the rootfs (no
// dynamic loader) and /proc/1/exe is never the host's barco binary (CVE-2019-5736).
// Usage (internal): barco-init <pid of the command>. It forwards every signal barco relays
// to the command, reaps every child, and exits with the command's status (128+N if signal N
// killed it). Signals arrive blocked (the mask survives execve) and are taken with
// sigwaitinfo: blocked signals reach PID 1 even though it has no handlers.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <initializer_list>

int main(int argc, char** argv) {
  if (argc != 2) {
    return 125;
  }
  const auto command = static_cast<pid_t>(std::atoi(argv[1]));
  sigset_t set;
  sigemptyset(&set);
  for (const int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM, SIGCHLD}) {
    sigaddset(&set, s);
  }
  sigprocmask(SIG_BLOCK, &set, nullptr);
  for (;;) {
    // A child that exited before the mask was inherited still has its SIGCHLD pending, so a
    // reap pass always follows a wake-up.
    siginfo_t info{};
    if (sigwaitinfo(&set, &info) < 0) {
      continue;
    }
    if (info.si_signo != SIGCHLD) {
      kill(command, info.si_signo);
      continue;
    }
    int status = 0;
    pid_t pid = 0;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == command) {
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
      }
    }
  }
}
