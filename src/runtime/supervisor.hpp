// The parent while the container runs: forwards signals to the container's PID 1, relays the
// pty in raw mode with window-size changes, waits for PID 1, and turns its end into docker's
// exit status (the code, or 128+N for signal N).
#pragma once

#include "sys/unique_fd.hpp"

#include <sys/types.h>

namespace barco {

struct Supervision {
  pid_t child = -1;
  int signal_fd = -1;       // signalfd over supervised_signals(), created before clone
  UniqueFd pty_master;      // invalid without a terminal
  bool relay_stdin = true;  // copy the caller's stdin into the pty
  int output_fd = 1;        // where the pty's output goes: the terminal, or a detached container's log
};

// Returns the exit status barco should exit with.
[[nodiscard]] int supervise(Supervision& s);

[[nodiscard]] int exit_status_of(int wait_status);

}  // namespace barco
