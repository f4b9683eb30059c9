#include "sys/exec.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace barco {
namespace {

std::vector<char*> pointers(std::vector<std::string>& items) {
  std::vector<char*> out;
  out.reserve(items.size() + 1);
  for (auto& s : items) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

ExecArgs::ExecArgs(std::vector<std::string> argv, std::vector<std::string> env)
    : argv_(std::move(argv)), env_(std::move(env)), argv_ptrs_(pointers(argv_)), env_ptrs_(pointers(env_)) {}

Result<std::string> find_executable(const std::string& program, const std::string& path_env) {
  if (program.find('/') != std::string::npos) {
    return program;
  }
  size_t start = 0;
  while (start <= path_env.size()) {
    const size_t end = std::min(path_env.find(':', start), path_env.size());
    const std::string dir = path_env.substr(start, end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (is_executable_file(candidate)) {
      return candidate;
    }
    start = end + 1;
  }
  errno = ENOENT;
  return Error{ENOENT,
               {},
               "execve(\"" + program + "\")",
               "no \"" + program + "\" in the container's PATH (" + path_env + "); is it in the rootfs?"};
}

Error execute(const std::string& path, const ExecArgs& args) {
  ::execve(path.c_str(), args.argv(), args.envp());
  Error e = errno_error("execve(\"" + path + "\")");
  switch (e.err) {
    case ENOENT: e.hint = "\"" + path + "\" or its interpreter (#! line) does not exist in the rootfs"; break;
    case EACCES: e.hint = "\"" + path + "\" is not executable (chmod +x) or sits on a noexec mount"; break;
    case ENOEXEC:
      e.hint = "\"" + path + "\" is not a program this kernel can run (wrong architecture, or a script without #!)";
      break;
    default: break;
  }
  return e;
}

int exit_code_for_exec_error(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR: return 127;
    case EACCES:
    case ENOEXEC:
    case EISDIR:
    case EPERM: return 126;
    default: return 125;
  }
}

}  // namespace barco
