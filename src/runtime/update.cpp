// The cgroups of a container that exists: `update` changes its limits, `events` watches its
// statistics and OOM kills. Both work on the directories its record lists, whatever the
// host's layout: a file is written in, or read from, the directory that has it.
#include "linux/cgroups.hpp"
#include "runtime/containers.hpp"
#include "runtime/state.hpp"

#include <barco/files.hpp>
#include <barco/resources.hpp>
#include <barco/runtime.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

namespace barco {
namespace {

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

// A pure cgroup v2 container has one directory, and it is a cgroup2 one.
bool is_unified(const std::vector<std::string>& dirs) {
  return !dirs.empty() &&
         std::all_of(dirs.begin(), dirs.end(), [](const std::string& d) { return exists(d + "/cgroup.controllers"); });
}

std::string dir_with(const std::vector<std::string>& dirs, const std::string& file) {
  const auto it = std::find_if(dirs.begin(), dirs.end(), [&](const std::string& d) { return exists(d + "/" + file); });
  return it == dirs.end() ? std::string() : *it;
}

// cgroup v2 hands a controller to a cgroup only through its ancestors' subtree_control:
// one the container was created without (no pids limit then) is enabled on first use.
Result<void> enable_v2_controller(Sys& sys, const std::string& dir, const std::string& controller) {
  auto mount = std::filesystem::path(dir);
  while (mount.has_relative_path() && exists((mount.parent_path() / "cgroup.controllers").string())) {
    mount = mount.parent_path();
  }
  return CgroupDirs::enable_controllers(sys, mount.string(), dir, {controller});
}

// memory.max below what the cgroup holds does not fail on v2: the kernel OOM-kills instead.
Result<void> check_memory_fits(const std::string& dir, const Resources& next, const std::string& id) {
  if (!next.memory || *next.memory <= 0) {
    return {};
  }
  auto current = read_file(dir + "/memory.current");
  if (current && std::stoll(*current) > *next.memory) {
    return plain_error("update " + id + ": memory limit " + std::to_string(*next.memory) +
                           " is below the container's current usage " + std::to_string(std::stoll(*current)),
                       "free memory inside the container first, or choose a higher limit");
  }
  return {};
}

Result<void> write_resource(Sys& sys, const std::vector<std::string>& dirs, bool unified, const ResourceWrite& w,
                            const std::string& id) {
  auto dir = dir_with(dirs, w.file);
  if (dir.empty() && unified) {
    if (auto r = enable_v2_controller(sys, dirs.front(), w.controller); !r) {
      return r;
    }
    dir = dir_with(dirs, w.file);
  }
  if (dir.empty()) {
    if (w.optional) {
      spdlog::warn("{} not applied: the container's cgroups have no {}", w.flag, w.file);
      return {};
    }
    return plain_error("update " + id + ": " + w.flag + ": the container's cgroups have no " + w.file,
                       "the " + w.controller + " controller is not mounted (or not delegated) on this host");
  }
  if (auto r = CgroupDirs::write_limit(sys, dir + "/" + w.file, w.value, false); !r) {
    r.error().step = "update " + id + " (" + w.flag + ")";
    if (r.error().err == EINVAL && w.file.starts_with("cpu.cfs_")) {
      r.error().hint = "the quota must be at least 1000 us and within what the parent cgroup allows";
    }
    return r.error();
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> update_container(const std::string& root, const std::string& id,
                                                  const ResourceUpdate& update) {
  auto v = find_container(root, id);
  if (!v) {
    return v.error();
  }
  if (v->status == ContainerStatus::exited || v->status == ContainerStatus::creating) {
    return Error{EINVAL, "update", id, "container '" + id + "' is " + status_name(v->status)};
  }
  const auto& dirs = v->info.cgroups;
  if (dirs.empty()) {
    return plain_error("update " + id + ": the container has no cgroups", "this host has no cgroup filesystem");
  }
  const Resources next = apply_update(v->info.resources, update);
  const bool unified = is_unified(dirs);
  if (!unified && !update.set.unified.empty()) {
    return plain_error("update " + id +
                           ": linux.resources.unified: invalid configuration: the container's "
                           "cgroups are v1",
                       "use the v1 fields of linux.resources (memory, cpu, pids, blockIO)");
  }
  std::vector<std::string> unenforced;
  auto writes = unified ? v2_resource_writes(next, false, unenforced) : v1_resource_writes(next, false);
  if (unified) {
    if (auto r = check_memory_fits(dirs.front(), next, id); !r) {
      return r.error();
    }
  } else {
    order_memory_writes(writes, v->info.resources.memory.value_or(-1));
  }
  // The freezer is not among the writes: a paused container stays paused.
  RealSys sys;
  for (size_t i = 0; i < writes.size(); ++i) {
    auto r = write_resource(sys, dirs, unified, writes[i], id);
    const bool quota_next = i + 1 < writes.size() && writes[i + 1].file == "cpu.cfs_quota_us";
    if (!r && r.error().err == EINVAL && writes[i].file == "cpu.cfs_period_us" && quota_next) {
      // A shorter period under the old quota can exceed what the parent cgroup allows: the
      // new quota goes first then (as runc does).
      r = write_resource(sys, dirs, unified, writes[i + 1], id);
      if (r) {
        r = write_resource(sys, dirs, unified, writes[i], id);
        ++i;
      }
    }
    if (!r) {
      return r.error();
    }
  }
  if (auto r = update_state(v->dir, [&](StateInfo& s) { s.resources = next; }); !r) {
    return r.error();
  }
  return unenforced;
}

Result<nlohmann::json> container_stats(const std::string& root, const std::string& id) {
  auto v = find_container(root, id);
  if (!v) {
    return v.error();
  }
  const auto& dirs = v->info.cgroups;
  return cgroup_stats([&dirs](const std::string& file) -> std::optional<std::string> {
    const auto dir = dir_with(dirs, file);
    if (dir.empty()) {
      return std::nullopt;
    }
    auto text = read_file(dir + "/" + file);
    return text ? std::optional<std::string>(*text) : std::nullopt;
  });
}

Result<void> watch_container(const std::string& root, const std::string& id, const WatchOptions& options,
                             const std::function<void(const nlohmann::ordered_json&)>& emit) {
  auto v = find_container(root, id);
  if (!v) {
    return v.error();
  }
  if (v->status == ContainerStatus::exited) {
    return Error{ESRCH, "events", id, "container '" + id + "' is not running (stopped)"};
  }
  auto event = [&id](const char* type) { return nlohmann::ordered_json{{"type", type}, {"id", id}}; };
  auto stats = [&]() -> Result<void> {
    auto data = container_stats(root, id);
    if (!data) {
      return data.error();
    }
    auto e = event("stats");
    e["data"] = *data;
    emit(e);
    return {};
  };
  if (options.once) {
    return stats();
  }
  RealSys sys;
  const auto memory_dir = [&] {
    auto dir = dir_with(v->info.cgroups, "memory.events");
    return dir.empty() ? dir_with(v->info.cgroups, "memory.oom_control") : dir;
  }();
  uint64_t ooms = memory_dir.empty() ? 0 : CgroupDirs::oom_kills(sys, memory_dir);
  // OOM kills are noticed within a tick; statistics come every interval.
  const auto tick = std::min(options.interval, std::chrono::milliseconds(100));
  auto next_stats = std::chrono::steady_clock::now();
  for (;;) {
    auto now = find_container(root, id);
    if (!now || now->status == ContainerStatus::exited) {
      return {};
    }
    if (!memory_dir.empty()) {
      const auto count = CgroupDirs::oom_kills(sys, memory_dir);
      if (count > ooms) {
        emit(event("oom"));
      }
      ooms = count;
    }
    if (std::chrono::steady_clock::now() >= next_stats) {
      (void)stats();  // the container may be going away right now: the next round notices
      next_stats += options.interval;
    }
    std::this_thread::sleep_for(tick);
  }
}

}  // namespace barco
