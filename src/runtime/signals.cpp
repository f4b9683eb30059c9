#include "runtime/signals.hpp"

#include <initializer_list>

namespace barco {

sigset_t forwarded_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (const int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM}) {
    sigaddset(&set, s);
  }
  return set;
}

sigset_t supervised_signals() {
  sigset_t set = forwarded_signals();
  sigaddset(&set, SIGCHLD);
  return set;
}

SignalBlock::SignalBlock(const sigset_t& set) {
  sigprocmask(SIG_BLOCK, &set, &saved_);
}

SignalBlock::~SignalBlock() {
  sigprocmask(SIG_SETMASK, &saved_, nullptr);
}

void reset_signals_for_exec() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) {
    sigaction(s, &dfl, nullptr);  // fails harmlessly for SIGKILL/SIGSTOP and invalid numbers
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace barco
