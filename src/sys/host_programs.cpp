#include "sys/host_programs.hpp"

#include "sys/sys.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace barco {
namespace {

// In the forked child: never returns. 127 says the program is not there, as a shell does.
[[noreturn]] void exec_or_exit(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  ::execvp(argv[0].c_str(), args.data());
  ::_exit(127);
}

}  // namespace

Result<std::string> run_program(const std::vector<std::string>& argv, const std::string& input,
                                const std::string& missing_hint) {
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    return errno_error("pipe2");
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const Error e = errno_error("pipe2");
    ::close(in[0]);
    ::close(in[1]);
    return e;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const Error e = errno_error("fork");
    for (const int fd : {in[0], in[1], out[0], out[1]}) {
      ::close(fd);
    }
    return e;
  }
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    exec_or_exit(argv);
  }
  ::close(in[0]);
  ::close(out[1]);
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) {
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    const bool missing = WIFEXITED(status) && WEXITSTATUS(status) == 127;
    return plain_error(argv[0] + (missing ? ": not found" : ": " + text), missing ? missing_hint : "");
  }
  return text;
}

Result<void> RealSys::run_criu(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  if (pid < 0) {
    return errno_error("fork");
  }
  if (pid == 0) {
    exec_or_exit(argv);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return errno_error("waitpid(criu)");
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return {};
  }
  return plain_error(argv[0] + " " + argv.at(1) + ": " +
                     (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                        : "killed by signal " + std::to_string(WTERMSIG(status))));
}

Result<void> RealSys::check_criu(const std::string& criu) {
  auto r = run_program({criu, "check"}, {}, "install CRIU (apt-get install criu), or name it with --criu PATH");
  if (!r) {
    return r.error();
  }
  return {};
}

}  // namespace barco
