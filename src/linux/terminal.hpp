// Terminals. The container gets its own pty from its own devpts instance (never the caller's
// terminal, which would allow TIOCSTI injection into the host shell); the parent relays
// bytes between the caller's terminal and the pty master, in raw mode, and keeps the window
// size in step.
#pragma once

#include "sys/sys.hpp"

#include <barco/config.hpp>

#include <termios.h>

#include <optional>

namespace barco {

// Child side: new session, pty slave as controlling tty and stdio, bound onto /dev/console.
// Returns the master, which the caller sends to the parent.
Result<UniqueFd> setup_terminal(Sys& sys, bool bind_console, uid_t owner, const ConsoleSize& size);

// Parent side: puts a terminal in raw mode and restores it on destruction.
class RawMode {
 public:
  explicit RawMode(int fd);
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;
  ~RawMode();

 private:
  int fd_;
  std::optional<termios> saved_;
};

// Copies the window size of `from` (the caller's terminal) to `to` (the pty master).
void copy_window_size(int from, int to);

// OCI --console-socket: connects to the unix socket at `path` and passes `master` over it
// (SCM_RIGHTS), as runc and crun do for conmon.
Result<void> send_console(const std::string& path, int master);

}  // namespace barco
