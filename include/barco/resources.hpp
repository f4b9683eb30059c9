// Resource limits -> the cgroup files that enforce them, for cgroup v1 (one hierarchy per
// controller) and v2 (one directory), and `update`'s merge of new limits into a container's.
// Pure: the plan builder places these writes in the directories it creates; `update` finds
// them in the directories a running container already has.
#pragma once

#include <barco/config.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace barco {

// One cgroup file to write, before the container's directory is known.
struct ResourceWrite {
  std::string controller;  // v1: the hierarchy's controller; v2: the controller to enable
  std::string file;        // "memory.limit_in_bytes"
  std::string value;
  std::string flag;       // the flag it comes from, for messages
  bool optional = false;  // a missing file (no swap accounting, no BFQ) is a warning, not an error
  bool operator==(const ResourceWrite&) const = default;
};

// In the order runc writes them (the rt and CFS periods before their runtimes and quotas).
// `strict` (--strict-cgroups) makes swap and blkio.weight files required.
[[nodiscard]] std::vector<ResourceWrite> v1_resource_writes(const Resources& r, bool strict);
// Limits v2 has no file for (swappiness, the OOM-killer switch, realtime) land in `unenforced`.
[[nodiscard]] std::vector<ResourceWrite> v2_resource_writes(const Resources& r, bool strict,
                                                            std::vector<std::string>& unenforced);

// `update`: the fields given replace the container's; the CFS quota and period may come
// alone (the other keeps its value: -1 and 100000 when the container had none).
struct ResourceUpdate {
  Resources set;  // every field but cpu_quota
  std::optional<int64_t> cpu_quota;
  std::optional<int64_t> cpu_period;
  [[nodiscard]] bool empty() const { return !set.any() && !cpu_quota && !cpu_period; }
};
[[nodiscard]] Resources apply_update(Resources current, const ResourceUpdate& update);

// cgroup v1 keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every moment:
// raising both must write the swap limit first, lowering them the memory limit first.
// `current_limit` is the container's memory limit now (-1: none).
void order_memory_writes(std::vector<ResourceWrite>& writes, int64_t current_limit);

// runc's statistics of a container's cgroups ("cpu", "memory", "pids"), from cgroup v2 files
// where `read` finds them, else v1's. `read` returns a file's contents by name, or nullopt.
using CgroupFileReader = std::function<std::optional<std::string>(const std::string& file)>;
[[nodiscard]] nlohmann::json cgroup_stats(const CgroupFileReader& read);

}  // namespace barco
