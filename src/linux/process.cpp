#include "linux/process.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>

namespace barco {

Result<void> set_rlimits(Sys& sys, const std::vector<Rlimit>& limits) {
  for (const auto& l : limits) {
    if (auto r = sys.setrlimit(l.resource, l.soft, l.hard); !r) {
      if (r.error().err == EPERM) {
        r.error().hint =
            "a hard limit above barco's own needs CAP_SYS_RESOURCE (missing from this host's bounding set?) and, "
            "for nofile, at most /proc/sys/fs/nr_open";
      }
      return r;
    }
  }
  return {};
}

Result<void> change_dir(Sys& sys, const std::string& cwd) {
  auto dir = sys.make_path_in_root("/", cwd, false);
  if (!dir) {
    if (dir.error().err == ELOOP || dir.error().err == EXDEV) {
      dir.error().hint =
          "the working directory must be a plain path inside the container, not a /proc magic link "
          "(CVE-2024-21626)";
    }
    return dir.error();
  }
  if (auto r = sys.chdir(*dir); !r) {
    return r;
  }
  auto now = sys.getcwd();
  if (!now) {
    return now.error();
  }
  if (now->empty() || now->front() != '/') {
    return plain_error("getcwd() = \"" + *now + "\"", "the working directory is outside the container's root");
  }
  return {};
}

Result<void> set_user(Sys& sys, const User& user, bool keep_caps) {
  if (keep_caps) {
    if (auto r = sys.set_keep_caps(); !r) {
      return r;
    }
  }
  if (auto r = sys.setgroups(std::vector<gid_t>(user.additional_gids.begin(), user.additional_gids.end())); !r) {
    return r;
  }
  if (auto r = sys.setresgid(user.gid); !r) {
    return r;
  }
  return sys.setresuid(user.uid);
}

Result<void> replace_caller_terminal(Sys& sys, const std::array<int, 3>& pipes) {
  for (int fd = 0; fd <= 2; ++fd) {
    if (pipes[fd] >= 0) {
      if (auto r = sys.dup2(pipes[fd], fd); !r) {
        return r;
      }
    }
  }
  return {};
}

Result<void> close_host_fds(Sys& sys, const std::vector<int>& keep) {
  return sys.close_fds_except(keep);
}

Result<void> check_preserved_fds(int count) {
  if (count < 0) {
    return plain_error("--preserve-fds " + std::to_string(count), "a count of fds, from 0");
  }
  for (int fd = 3; fd < 3 + count; ++fd) {
    struct stat st {};
    if (::fstat(fd, &st) < 0) {
      return Error{errno,
                   {},
                   "--preserve-fds " + std::to_string(count) + ": fstat(" + std::to_string(fd) + ")",
                   "fds 3 to " + std::to_string(2 + count) + " must be open in barco's caller"};
    }
    // What the caller passed survived its execve of barco; barco's own fds are all close-on-exec.
    if ((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0) {
      return plain_error("--preserve-fds " + std::to_string(count) + ": fd " + std::to_string(fd) +
                             " is not the caller's (barco opened it)",
                         "fds 3 to " + std::to_string(2 + count) + " must be open in barco's caller");
    }
    if (S_ISDIR(st.st_mode)) {
      return plain_error(
          "--preserve-fds " + std::to_string(count) + ": fd " + std::to_string(fd) + " is a directory of the host",
          "a process holding a host directory can walk out of the container's root through it "
          "(CVE-2024-21626); pass files, pipes or sockets");
    }
  }
  return {};
}

Result<void> detach_stdin(Sys& sys) {
  auto null = sys.open_device("/dev/null", makedev(1, 3), O_RDONLY);
  if (!null) {
    null.error().hint =
        "/dev/null in the container is missing or not the null device (char 1:3): the container removed or "
        "replaced it, and barco opens nothing else in its place; restore it, or pass -i";
    return null.error();
  }
  return sys.dup2(null->get(), 0);
}

Result<void> redirect_output(Sys& sys, int log_fd) {
  if (auto r = sys.dup2(log_fd, 1); !r) {
    return r;
  }
  return sys.dup2(log_fd, 2);
}

Result<void> write_sysctl(Sys& sys, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [key, value] : values) {
    std::string relative = "sys/" + key;
    std::replace(relative.begin() + 4, relative.end(), '.', '/');
    if (auto r = sys.write_proc_file(relative, value); !r) {
      return r;
    }
  }
  return {};
}

}  // namespace barco
