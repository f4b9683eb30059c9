#include "linux/terminal.hpp"

#include "linux/unix_socket.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace barco {

Result<UniqueFd> setup_terminal(Sys& sys, bool bind_console, uid_t owner, const ConsoleSize& size) {
  // /dev/ptmx (a link to pts/ptmx) resolved inside the container and checked to be the
  // pty multiplexer, so a container cannot hand barco exec another file to open.
  auto master = sys.open_device("/dev/ptmx", makedev(5, 2), O_RDWR);
  if (!master) {
    return master.error();
  }
  auto slave = sys.open_pty_slave(master->get());
  if (!slave) {
    return slave.error();
  }
  // As runc: a user other than root gets its own terminal (the group stays devpts' tty). Only
  // this pty is changed, never a stdio file the caller passed. EINVAL (the uid is not mapped
  // in the container's user namespace) leaves root's terminal, as runc does.
  if (owner != 0) {
    if (auto r = sys.chown_fd_owner(slave->get(), owner); !r && r.error().err != EINVAL) {
      return r.error();
    }
  }
  if (size.height != 0 || size.width != 0) {
    if (auto r = sys.set_window_size(slave->get(), size.height, size.width); !r) {
      return r.error();
    }
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
  if (!bind_console) {
    return std::move(master.value());
  }
  // Bound from the slave's fd, never from its /dev/pts path: a symlink swapped in there
  // could not send the bind elsewhere (CVE-2025-52565).
  if (auto r = sys.mount("/proc/self/fd/" + std::to_string(slave->get()), "/dev/console", "", MS_BIND, ""); !r) {
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

Result<void> send_console(const std::string& path, int master) {
  return send_fd_to_socket(path, "/dev/ptmx", master);
}

}  // namespace barco
