#include "runtime/supervisor.hpp"

#include "linux/terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace barco {
namespace {

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Where copied output goes: a terminal or pipe without a limit, or a detached container's
// log, which takes `limit` bytes, then one notice, then nothing (a container cannot fill
// the disk through its log).
class Sink {
 public:
  explicit Sink(int fd, int64_t limit = -1) : fd_(fd), left_(limit) {}
  bool write(const char* data, size_t size) {
    if (left_ < 0) {
      return write_all(fd_, data, size);
    }
    const auto take = static_cast<size_t>(std::min<int64_t>(left_, static_cast<int64_t>(size)));
    left_ -= static_cast<int64_t>(take);
    if (take > 0 && !write_all(fd_, data, take)) {
      return false;
    }
    if (take < size && !noted_) {
      noted_ = true;
      static constexpr char kNotice[] = "\nbarco: the log reached --log-max-size; later output is dropped\n";
      (void)write_all(fd_, kNotice, sizeof kNotice - 1);
    }
    return true;  // dropped output still counts as delivered: the container must not block
  }

 private:
  int fd_;
  int64_t left_;
  bool noted_ = false;
};

// Copies one chunk; false at EOF or error (EIO on a master whose slaves are all closed).
bool pump(int from, Sink& to) {
  std::array<char, 16384> buf{};
  const ssize_t n = ::read(from, buf.data(), buf.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    return true;
  }
  return n > 0 && to.write(buf.data(), static_cast<size_t>(n));
}

void drain(int from, Sink& out) {
  ::fcntl(from, F_SETFL, ::fcntl(from, F_GETFL) | O_NONBLOCK);
  std::array<char, 16384> buf{};
  ssize_t n = 0;
  while ((n = ::read(from, buf.data(), buf.size())) > 0) {
    if (!out.write(buf.data(), static_cast<size_t>(n))) {
      return;
    }
  }
}

std::optional<int> reap(pid_t child) {
  int status = 0;
  const pid_t r = ::waitpid(child, &status, WNOHANG);
  if (r == child) {
    return exit_status_of(status);
  }
  return std::nullopt;
}

void drain_relays(std::array<UniqueFd, 3>& relay, std::array<Sink, 2>& to) {
  for (int fd = 1; fd <= 2; ++fd) {
    if (relay[fd].valid()) {
      drain(relay[fd].get(), to[fd - 1]);
      relay[fd].reset();
    }
  }
}

}  // namespace

Result<CallerTerminalRelay> CallerTerminalRelay::for_caller(bool relay_stdin) {
  CallerTerminalRelay r;
  for (int fd = 0; fd <= 2; ++fd) {
    if (::isatty(fd) == 0) {
      continue;
    }
    std::array<int, 2> p{};
    if (::pipe2(p.data(), O_CLOEXEC) < 0) {
      return errno_error("pipe2() for the caller's terminal on fd " + std::to_string(fd));
    }
    const bool input = fd == 0;
    r.child_ends[fd].reset(input ? p[0] : p[1]);
    r.parent_ends[fd].reset(input ? p[1] : p[0]);
    if (input && !relay_stdin) {
      r.parent_ends[fd].reset();  // the container reads EOF
    }
  }
  return r;
}

std::array<int, 3> CallerTerminalRelay::child_fds() const {
  return {child_ends[0].get(), child_ends[1].get(), child_ends[2].get()};
}

int exit_status_of(int wait_status) {
  return WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : WEXITSTATUS(wait_status);
}

int supervise(Supervision& s) {
  const bool pty = s.pty_master.valid();
  std::optional<RawMode> raw;
  if (pty && s.relay_stdin) {
    raw.emplace(STDIN_FILENO);
  }
  if (pty && s.relay_stdin) {
    copy_window_size(STDIN_FILENO, s.pty_master.get());
  }
  // The caller's stdin goes to the pty, or to the relay's pipe; one of them at most.
  const int stdin_to = pty ? s.pty_master.get() : s.relay[0].get();
  bool stdin_open = (pty && s.relay_stdin) || s.relay[0].valid();
  bool master_open = pty;
  Sink stdin_sink(stdin_to);
  Sink output(s.output_fd, s.output_limit);  // the pty's and the log pipe's output
  std::array<Sink, 2> relayed{Sink(STDOUT_FILENO), Sink(STDERR_FILENO)};
  for (;;) {
    if (auto code = reap(s.child)) {
      if (master_open) {
        drain(s.pty_master.get(), output);
      }
      if (s.log_pipe.valid()) {
        drain(s.log_pipe.get(), output);
      }
      drain_relays(s.relay, relayed);
      return *code;
    }
    std::array<pollfd, 6> fds{{{s.signal_fd, POLLIN, 0},
                               {stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
                               {master_open ? s.pty_master.get() : -1, POLLIN, 0},
                               {s.relay[1].valid() ? s.relay[1].get() : -1, POLLIN, 0},
                               {s.relay[2].valid() ? s.relay[2].get() : -1, POLLIN, 0},
                               {s.log_pipe.valid() ? s.log_pipe.get() : -1, POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      continue;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      if (::read(s.signal_fd, &info, sizeof info) == sizeof info && info.ssi_signo != SIGCHLD) {
        if (info.ssi_signo == SIGWINCH && pty) {
          copy_window_size(STDIN_FILENO, s.pty_master.get());  // the kernel signals the container
        } else {
          ::kill(s.child, static_cast<int>(info.ssi_signo));
        }
      }
    }
    if (fds[1].revents != 0 && !pump(STDIN_FILENO, stdin_sink)) {
      stdin_open = false;
      if (!pty) {
        s.relay[0].reset();  // EOF for the container
      }
    }
    if (fds[2].revents != 0 && !pump(s.pty_master.get(), output)) {
      master_open = false;
    }
    for (int fd = 1; fd <= 2; ++fd) {
      if (fds[2 + fd].revents != 0 && !pump(s.relay[fd].get(), relayed[fd - 1])) {
        s.relay[fd].reset();
      }
    }
    if (fds[5].revents != 0 && !pump(s.log_pipe.get(), output)) {
      s.log_pipe.reset();
    }
  }
}

}  // namespace barco
