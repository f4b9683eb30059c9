#include "linux/cgroups.hpp"

#include "sys/files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

namespace barco {

CgroupDirs::~CgroupDirs() {
  // Deepest first; a just-emptied cgroup can stay busy for a moment after its last task exits.
  std::for_each(dirs_.rbegin(), dirs_.rend(), remove_cgroup_dir);
}

void remove_cgroup_dir(const std::string& dir) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) {
      return;
    }
    if (errno != EBUSY) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Result<CgroupDirs> CgroupDirs::create(const std::vector<std::string>& dirs) {
  CgroupDirs out;
  for (const auto& dir : dirs) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(dir).parent_path(), ec);
    if (ec) {
      return Error{ec.value(), {}, "mkdir(\"" + std::filesystem::path(dir).parent_path().string() + "\")", {}};
    }
    if (::mkdir(dir.c_str(), 0755) < 0) {
      Error e = errno_error("mkdir(\"" + dir + "\")");
      if (e.err == EEXIST) {
        e.hint = "a cgroup of that name exists; another container may be using this id";
      }
      return e;
    }
    out.dirs_.push_back(dir);
  }
  return out;
}

Result<void> CgroupDirs::write_device_rules(const std::string& dir, const std::vector<DeviceRule>& rules) {
  for (const auto& r : rules) {
    const std::string file = dir + (r.allow ? "/devices.allow" : "/devices.deny");
    if (auto w = write_file(file, device_rule_text(r)); !w) {
      w.error().call += " <- \"" + device_rule_text(r) + "\"";
      return w;
    }
  }
  return {};
}

Result<void> join_cgroups(Sys& sys, const std::vector<std::string>& tasks_files) {
  for (const auto& f : tasks_files) {
    if (auto r = sys.write_file(f, "0"); !r) {
      return r;
    }
  }
  return {};
}

}  // namespace barco
