#include "linux/cgroups.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>

namespace barco {

CgroupDirs::~CgroupDirs() {
  std::for_each(dirs_.rbegin(), dirs_.rend(), [this](const std::string& dir) { remove_cgroup_dir(*sys_, dir); });
}

namespace {

// Kills whatever is still in the cgroup (possible with --pid host, where the container's
// processes do not die with its PID 1).
void kill_remaining(Sys& sys, const std::string& dir) {
  // cgroup v2 (5.14+) kills everything in the cgroup at once.
  if (sys.stat(dir + "/cgroup.kill")) {
    (void)sys.write_file(dir + "/cgroup.kill", "1");
  }
  for (int round = 0; round < 20; ++round) {
    auto procs = sys.read_file(dir + "/cgroup.procs");
    if (!procs || procs->empty()) {
      return;
    }
    std::istringstream in(*procs);
    for (pid_t pid = 0; in >> pid;) {
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// A new v1 cpuset cgroup starts with no CPUs and no memory nodes, and no task may join it
// until both are set: copy them from the parent where they are empty, filling an empty
// parent (one a caller made, such as a pod's cgroup) from its own parent first.
void inherit_cpuset(Sys& sys, const std::filesystem::path& dir) {
  if (!sys.stat((dir / "cpuset.cpus").string())) {
    return;
  }
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    std::vector<std::filesystem::path> empty;  // from `dir` up to the first ancestor that has a value
    std::optional<std::string> value;
    for (auto p = dir; p.has_relative_path() && !value; p = p.parent_path()) {
      auto text = sys.read_file((p / file).string());
      if (!text) {
        break;  // above the hierarchy's root
      }
      if (text->empty() || *text == "\n") {
        empty.push_back(p);
      } else {
        value = *text;
      }
    }
    for (auto it = empty.rbegin(); value && it != empty.rend(); ++it) {
      (void)sys.write_file((*it / file).string(), *value);
    }
  }
}

// A cgroup someone froze (v1 freezer.state, v2 cgroup.freeze) would stop the container at
// its first step, and the start would hang: runc refuses it too.
bool is_frozen(Sys& sys, const std::string& dir) {
  if (auto state = sys.read_file(dir + "/freezer.state")) {
    return state->rfind("FROZEN", 0) == 0 || state->rfind("FREEZING", 0) == 0;
  }
  auto freeze = sys.read_file(dir + "/cgroup.freeze");
  return freeze && freeze->rfind('1', 0) == 0;
}

bool is_empty_cgroup(Sys& sys, const std::string& dir) {
  auto procs = sys.read_file(dir + "/cgroup.procs");
  return procs && procs->empty();
}

// "cpu io memory pids\n": the controllers one by one (the last is followed by a newline).
bool lists_controller(const std::string& list, const std::string& controller) {
  std::istringstream in(list);
  for (std::string name; in >> name;) {
    if (name == controller) {
      return true;
    }
  }
  return false;
}

}  // namespace

void remove_cgroup_dir(Sys& sys, const std::string& dir) {
  // Sub cgroups first (made by exec --cgroup's user, or by the container itself where its
  // cgroupfs is writable): a cgroup with children cannot be removed.
  for (const auto& sub : sys.subdirectories(dir)) {
    remove_cgroup_dir(sys, std::string(dir).append("/").append(sub));
  }
  kill_remaining(sys, dir);
  // A just-emptied cgroup can stay busy for a moment after its last task exits.
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto removed = sys.rmdir(dir);
    if (removed || removed.error().err != EBUSY) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Result<CgroupDirs> CgroupDirs::create(Sys& sys, const std::vector<std::string>& dirs) {
  CgroupDirs out(sys);
  for (const auto& dir : dirs) {
    // Parents (barco/ or --cgroup-parent) are shared by containers and stay.
    std::filesystem::path parent = std::filesystem::path(dir).parent_path();
    std::vector<std::filesystem::path> missing;
    for (auto p = parent; p.has_relative_path() && !sys.stat(p.string()); p = p.parent_path()) {
      missing.insert(missing.begin(), p);
    }
    for (const auto& p : missing) {
      if (auto r = sys.mkdir(p.string(), 0755); !r && r.error().err != EEXIST) {
        return r.error();
      }
      inherit_cpuset(sys, p);
    }
    // An empty cgroup of this name is debris of a barco that died with another state
    // directory (--root): it is reused. One with processes belongs to a live container.
    if (auto r = sys.mkdir(dir, 0755); !r) {
      if (r.error().err != EEXIST || !is_empty_cgroup(sys, dir)) {
        if (r.error().err == EEXIST) {
          r.error().hint = "a running container already uses this cgroup; choose another --name";
        }
        return r.error();
      }
      if (is_frozen(sys, dir)) {
        // Not ours to remove: the error leaves it as it was found.
        return plain_error(dir + ": container's cgroup unexpectedly frozen",
                           "thaw it (THAWED into freezer.state, or 0 into cgroup.freeze) or use another cgroup");
      }
    }
    out.dirs_.push_back(dir);
    inherit_cpuset(sys, dir);
  }
  return out;
}

Result<bool> CgroupDirs::write_limit(Sys& sys, const std::string& file, const std::string& value, bool optional) {
  if (optional && !sys.stat(file)) {
    return false;
  }
  auto r = sys.write_file(file, value);
  if (!r) {
    r.error().call += " <- \"" + value + "\"";
    if (r.error().err == EBUSY && file.find("memory") != std::string::npos) {
      r.error().hint = "the limit is below what the cgroup already uses";
    } else if (r.error().err == EINVAL) {
      r.error().hint = "the kernel refused the value; check the flag's range";
    } else if (r.error().err == EACCES || r.error().err == EPERM) {
      r.error().hint = "barco may not write cgroup files here (not root, or the hierarchy is not delegated)";
    }
    return r.error();
  }
  return true;
}

Result<void> CgroupDirs::enable_controllers(Sys& sys, const std::string& mount, const std::string& leaf,
                                            const std::vector<std::string>& controllers) {
  if (controllers.empty()) {
    return {};
  }
  for (auto dir = std::filesystem::path(mount); dir != std::filesystem::path(leaf);) {
    const auto available = sys.read_file((dir / "cgroup.controllers").string());
    if (!available) {
      return available.error();
    }
    std::string enable;
    for (const auto& c : controllers) {
      if (!lists_controller(*available, c)) {
        auto e = plain_error("cgroup.controllers of \"" + dir.string() + "\" lacks \"" + c + "\"",
                             "the " + c + " controller is not available here (not delegated to this cgroup)");
        return e;
      }
      enable += (enable.empty() ? "+" : " +") + c;
    }
    if (auto r = sys.write_file((dir / "cgroup.subtree_control").string(), enable); !r) {
      if (r.error().err == EBUSY) {
        r.error().hint =
            "cgroup v2's no-internal-process rule: a cgroup with processes cannot give controllers to "
            "its children";
      }
      return r;
    }
    dir /= std::filesystem::path(leaf).lexically_relative(dir).begin()->string();
  }
  return {};
}

uint64_t CgroupDirs::oom_kills(Sys& sys, const std::string& dir) {
  if (auto events = sys.read_file(dir + "/memory.events")) {
    const auto at = events->find("oom_kill ");
    return at == std::string::npos ? 0 : std::strtoull(events->c_str() + at + 9, nullptr, 10);
  }
  auto text = sys.read_file(dir + "/memory.oom_control");
  if (!text) {
    return 0;
  }
  const auto at = text->find("oom_kill ");
  return at == std::string::npos ? 0 : std::strtoull(text->c_str() + at + 9, nullptr, 10);
}

Result<void> CgroupDirs::write_device_rules(Sys& sys, const std::string& dir, const std::vector<DeviceRule>& rules) {
  for (const auto& r : rules) {
    const std::string file = dir + (r.allow ? "/devices.allow" : "/devices.deny");
    if (auto w = sys.write_file(file, device_rule_text(r)); !w) {
      w.error().call += " <- \"" + device_rule_text(r) + "\"";
      return w;
    }
  }
  return {};
}

Result<void> join_cgroups(Sys& sys, const std::vector<std::string>& tasks_files, bool already_in_unified) {
  for (const auto& f : tasks_files) {
    if (already_in_unified && f.ends_with("/cgroup.procs")) {
      continue;
    }
    if (auto r = sys.write_file(f, "0"); !r) {
      return r;
    }
  }
  return {};
}

}  // namespace barco
