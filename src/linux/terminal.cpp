#include "linux/terminal.hpp"

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

namespace barco {

Result<UniqueFd> setup_terminal(Sys& sys) {
  auto master = sys.open_pty_master();
  if (!master) {
    return master.error();
  }
  auto slave = sys.open_pty_slave(master->get());
  if (!slave) {
    return slave.error();
  }
  // The session must be new before TIOCSCTTY: a process can only acquire a controlling
  // terminal as a session leader without one.
  if (auto r = sys.setsid(); !r) {
    return r.error();
  }
  if (auto r = sys.make_controlling_tty(slave->get()); !r) {
    return r.error();
  }
  for (int fd = 0; fd <= 2; ++fd) {
    if (auto r = sys.dup2(slave->get(), fd); !r) {
      return r.error();
    }
  }
  auto slave_path = sys.fd_path(slave->get());
  if (!slave_path) {
    return slave_path.error();
  }
  if (auto r = sys.mount(*slave_path, "/dev/console", "", MS_BIND, ""); !r) {
    return r.error();
  }
  return std::move(master.value());
}

RawMode::RawMode(int fd) : fd_(fd) {
  termios t{};
  if (::isatty(fd) == 0 || ::tcgetattr(fd, &t) < 0) {
    return;
  }
  saved_ = t;
  ::cfmakeraw(&t);
  // Keep output post-processing: the container's pty already translates \n, and raw output
  // on the caller's side would double nothing; OPOST stays as the user's terminal had it.
  t.c_oflag = saved_->c_oflag;
  ::tcsetattr(fd, TCSANOW, &t);
}

RawMode::~RawMode() {
  if (saved_) {
    ::tcsetattr(fd_, TCSANOW, &*saved_);
  }
}

void copy_window_size(int from, int to) {
  winsize ws{};
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) {
    ::ioctl(to, TIOCSWINSZ, &ws);
  }
}

}  // namespace barco
