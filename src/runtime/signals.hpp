// Which signals barco passes on to the container, and the mask that keeps them queued for
// a signalfd (parent) or sigwaitinfo (barco's init) instead of running default actions.
#pragma once

#include <csignal>

namespace barco {

// SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM.
[[nodiscard]] sigset_t forwarded_signals();
// The forwarded ones plus SIGCHLD: what the supervisors wait for.
[[nodiscard]] sigset_t supervised_signals();

// Blocks a set for the lifetime of the object, then restores the previous mask.
class SignalBlock {
 public:
  explicit SignalBlock(const sigset_t& set);
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;
  ~SignalBlock();

 private:
  sigset_t saved_{};
};

// In a freshly cloned child, right before execve: an empty mask and default dispositions,
// so the command starts the way it would from a shell.
void reset_signals_for_exec();

}  // namespace barco
