// The parent while the container runs: forwards signals to the container's PID 1, relays the
// pty in raw mode with window-size changes, waits for PID 1, and turns its end into docker's
// exit status (the code, or 128+N for signal N).
#pragma once

#include <barco/result.hpp>
#include <barco/unique_fd.hpp>

#include <sys/types.h>

#include <array>
#include <cstdint>

namespace barco {

// Where the caller's fd 0, 1 or 2 is a terminal and the container has no pty of its own,
// the container gets a pipe in its place and barco copies between the two: a process that
// holds the caller's terminal can inject keystrokes into the caller's shell (TIOCSTI, which
// CAP_SYS_ADMIN allows even without it being the controlling terminal) or read them.
struct CallerTerminalRelay {
  std::array<UniqueFd, 3> child_ends;   // become the container's 0, 1, 2; invalid: the caller's fd stays
  std::array<UniqueFd, 3> parent_ends;  // 0: toward the container's stdin; 1, 2: from its output

  // Pipes for each of fd 0-2 that is a terminal. `relay_stdin` false: the container's stdin
  // reads EOF (and is /dev/null once detach_stdin ran).
  static Result<CallerTerminalRelay> for_caller(bool relay_stdin);
  [[nodiscard]] std::array<int, 3> child_fds() const;
};

struct Supervision {
  pid_t child = -1;
  int signal_fd = -1;             // signalfd over supervised_signals(), created before clone
  UniqueFd pty_master;            // invalid without a terminal
  bool relay_stdin = true;        // copy the caller's stdin into the pty
  int output_fd = 1;              // where the pty's output goes: the terminal, or a detached container's log
  std::array<UniqueFd, 3> relay;  // CallerTerminalRelay::parent_ends, copied to and from fds 0-2
  UniqueFd log_pipe;              // run -d without a pty: the container's stdout and stderr, copied to output_fd
  int64_t output_limit = -1;      // bytes output_fd takes (run -d: --log-max-size); -1: no limit
};

// Returns the exit status barco should exit with.
[[nodiscard]] int supervise(Supervision& s);

[[nodiscard]] int exit_status_of(int wait_status);

}  // namespace barco
