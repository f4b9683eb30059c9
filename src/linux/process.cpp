#include "linux/process.hpp"

#include <fcntl.h>

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

Result<void> close_fds(Sys& sys, int keep_fd) {
  return sys.close_range_except(keep_fd);
}

Result<void> detach_stdin(Sys& sys) {
  auto null = sys.open_file("/dev/null", O_RDONLY);
  if (!null) {
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
    std::string path = "/proc/sys/" + key;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    if (auto r = sys.write_file(path, value); !r) {
      r.error().hint = "linux.sysctl: only namespaced keys (net.*, kernel.shm*, kernel.msg*, fs.mqueue.*) can be set";
      return r;
    }
  }
  return {};
}

Result<void> set_oom_score_adj(Sys& sys, int value) {
  return sys.write_file("/proc/self/oom_score_adj", std::to_string(value));
}

}  // namespace barco
