// execve with the command looked up in the *container's* PATH (glibc's execvpe would use
// barco's own environment), and the reason it failed turned into docker's exit codes.
#pragma once

#include <barco/result.hpp>

#include <string>
#include <vector>

namespace barco {

// Prepared before clone: the child only indexes into these arrays.
class ExecArgs {
 public:
  ExecArgs(std::vector<std::string> argv, std::vector<std::string> env);
  ExecArgs(const ExecArgs&) = delete;
  ExecArgs& operator=(const ExecArgs&) = delete;
  [[nodiscard]] char* const* argv() const { return argv_ptrs_.data(); }
  [[nodiscard]] char* const* envp() const { return env_ptrs_.data(); }
  [[nodiscard]] const std::string& program() const { return argv_.front(); }

 private:
  std::vector<std::string> argv_;
  std::vector<std::string> env_;
  std::vector<char*> argv_ptrs_;
  std::vector<char*> env_ptrs_;
};

// "sh" -> "/bin/sh" by searching `path_env`; a name with a '/' is returned as is.
Result<std::string> find_executable(const std::string& program, const std::string& path_env);

// Only returns on failure.
Error execute(const std::string& path, const ExecArgs& args);

// 127 for "not found", 126 for "found but cannot be run", 125 otherwise (docker's rule).
[[nodiscard]] int exit_code_for_exec_error(int err);

}  // namespace barco
