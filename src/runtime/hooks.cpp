#include "runtime/hooks.hpp"

#include "runtime/signals.hpp"
#include "runtime/supervisor.hpp"
#include "sys/exec.hpp"

#include <barco/unique_fd.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <csignal>
#include <cstring>

namespace barco {
namespace {

Result<void> run_hook(const Hook& hook, const std::string& phase, const std::string& state_json) {
  const std::string what = phase + " hook " + hook.path;
  std::array<int, 2> input{};
  if (::pipe2(input.data(), O_CLOEXEC) < 0) {
    return errno_error("pipe2() for the " + what);
  }
  UniqueFd read_end(input[0]);
  UniqueFd write_end(input[1]);
  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  const ExecArgs exec(args, hook.env);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return errno_error("fork() for the " + what);
  }
  if (pid == 0) {
    ::dup2(read_end.get(), 0);
    reset_signals_for_exec();
    ::execve(hook.path.c_str(), exec.argv(), exec.envp());
    ::_exit(127);
  }
  read_end.reset();
  // A hook that does not read its stdin must not block us: the state fits a pipe buffer.
  (void)!::write(write_end.get(), state_json.data(), state_json.size());
  write_end.reset();
  const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  pollfd p{pidfd.get(), POLLIN, 0};
  const int timeout_ms = hook.timeout ? *hook.timeout * 1000 : -1;
  if (pidfd.valid() && ::poll(&p, 1, timeout_ms) == 0) {
    ::kill(pid, SIGKILL);
    int ignored = 0;
    ::waitpid(pid, &ignored, 0);
    return Error{ETIMEDOUT, phase, what, "it ran longer than its timeout of " + std::to_string(*hook.timeout) + " s"};
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int code = exit_status_of(status);
  if (code == 127 && WIFEXITED(status)) {
    return Error{ENOENT, phase, what, "the hook could not be executed (missing, or not executable)"};
  }
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    std::string description = sigdescr_np(WTERMSIG(status)) != nullptr ? sigdescr_np(WTERMSIG(status)) : "";
    if (!description.empty()) {
      description[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(description[0])));
    }
    return Error{0, phase,
                 "error running hook (" + what + "): killed by SIG" + (name != nullptr ? name : "?") + ", " +
                     description + " (signal " + std::to_string(WTERMSIG(status)) + ")",
                 WTERMSIG(status) == SIGSYS ? "a seccomp filter refused one of its system calls"
                                            : "the hook failed; see its output above"};
  }
  if (code != 0) {
    return Error{0, phase, "error running hook (" + what + "): exited with " + std::to_string(code),
                 "the hook failed; see its output above"};
  }
  return {};
}

}  // namespace

Result<void> run_hooks(const std::vector<Hook>& hooks, const std::string& phase, const std::string& state_json) {
  for (const auto& hook : hooks) {
    if (auto r = run_hook(hook, phase, state_json); !r) {
      return r;
    }
  }
  return {};
}

std::vector<Error> run_hooks_to_the_end(const std::vector<Hook>& hooks, const std::string& phase,
                                        const std::string& state_json) {
  std::vector<Error> failures;
  for (const auto& hook : hooks) {
    if (auto r = run_hook(hook, phase, state_json); !r) {
      failures.push_back(std::move(r.error()));
    }
  }
  return failures;
}

}  // namespace barco
