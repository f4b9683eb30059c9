#include <barco/parse.hpp>
#include <barco/resources.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <sstream>

namespace barco {

namespace {

std::string v2_limit(int64_t value) {
  return value < 0 ? "max" : std::to_string(value);
}

// docker's: without --memory-swap the container may swap as much as its memory limit.
int64_t v1_memory_and_swap(const Resources& r) {
  if (r.memory_swap) {
    return *r.memory_swap;
  }
  return r.memory && *r.memory > 0 ? 2 * *r.memory : -1;
}

// memory.swap.max is swap alone; docker's --memory-swap is memory plus swap.
int64_t v2_swap_alone(const Resources& r) {
  if (!r.memory || *r.memory < 0) {
    return r.memory_swap && *r.memory_swap >= 0 ? *r.memory_swap : -1;
  }
  if (!r.memory_swap) {
    return *r.memory;
  }
  return *r.memory_swap < 0 ? -1 : std::max<int64_t>(0, *r.memory_swap - *r.memory);
}

// The files both versions name alike.
void add_pids_and_cpuset(const Resources& r, std::vector<ResourceWrite>& w) {
  if (r.pids_limit) {
    w.push_back({"pids", "pids.max", v2_limit(*r.pids_limit), "--pids-limit"});
  }
  if (!r.cpuset_cpus.empty()) {
    w.push_back({"cpuset", "cpuset.cpus", r.cpuset_cpus, "--cpuset-cpus"});
  }
  if (!r.cpuset_mems.empty()) {
    w.push_back({"cpuset", "cpuset.mems", r.cpuset_mems, "--cpuset-mems"});
  }
}

}  // namespace

std::vector<ResourceWrite> v1_resource_writes(const Resources& r, bool strict) {
  std::vector<ResourceWrite> w;
  if (r.memory) {
    w.push_back({"memory", "memory.limit_in_bytes", std::to_string(*r.memory), "--memory"});
  }
  if (r.memory || r.memory_swap) {
    // Needs swap accounting in the kernel: optional unless asked for.
    w.push_back({"memory", "memory.memsw.limit_in_bytes", std::to_string(v1_memory_and_swap(r)), "--memory-swap",
                 !r.memory_swap || !strict});
  }
  if (r.disable_oom_killer) {
    w.push_back({"memory", "memory.oom_control", "1", "disableOOMKiller"});
  }
  if (r.memory_swappiness) {
    w.push_back({"memory", "memory.swappiness", std::to_string(*r.memory_swappiness), "swappiness"});
  }
  if (r.memory_reservation) {
    w.push_back(
        {"memory", "memory.soft_limit_in_bytes", std::to_string(*r.memory_reservation), "--memory-reservation"});
  }
  if (r.cpu_quota) {
    w.push_back({"cpu", "cpu.cfs_period_us", std::to_string(r.cpu_quota->period), "--cpu-period"});
    w.push_back({"cpu", "cpu.cfs_quota_us", std::to_string(r.cpu_quota->quota), "--cpu-quota"});
  }
  if (r.cpu_shares) {
    w.push_back({"cpu", "cpu.shares", std::to_string(*r.cpu_shares), "--cpu-shares"});
  } else if (r.cpu_weight) {
    w.push_back({"cpu", "cpu.shares", std::to_string(cpu_weight_to_shares(*r.cpu_weight)), "--cpu-weight"});
  }
  if (r.cpu_rt_period) {
    w.push_back({"cpu", "cpu.rt_period_us", std::to_string(*r.cpu_rt_period), "--cpu-rt-period"});
  }
  if (r.cpu_rt_runtime) {
    w.push_back({"cpu", "cpu.rt_runtime_us", std::to_string(*r.cpu_rt_runtime), "--cpu-rt-runtime"});
  }
  add_pids_and_cpuset(r, w);
  if (r.blkio_weight) {
    // blkio.weight exists only with the BFQ scheduler: a warning, unless --strict-cgroups.
    w.push_back({"blkio", "blkio.weight", std::to_string(*r.blkio_weight), "--blkio-weight", !strict});
  }
  return w;
}

std::vector<ResourceWrite> v2_resource_writes(const Resources& r, bool strict, std::vector<std::string>& unenforced) {
  std::vector<ResourceWrite> w;
  if (r.memory) {
    w.push_back({"memory", "memory.max", v2_limit(*r.memory), "--memory"});
  }
  if (r.memory || r.memory_swap) {
    w.push_back({"memory", "memory.swap.max", v2_limit(v2_swap_alone(r)), "--memory-swap", !r.memory_swap || !strict});
  }
  if (r.disable_oom_killer) {
    unenforced.emplace_back("disableOOMKiller ignored: cgroup v2 has no switch for the OOM killer");
  }
  if (r.memory_swappiness) {
    unenforced.emplace_back("swappiness ignored: cgroup v2 has no per-cgroup swappiness");
  }
  if (r.memory_reservation) {
    w.push_back({"memory", "memory.low", std::to_string(*r.memory_reservation), "--memory-reservation"});
  }
  if (r.cpu_quota) {
    w.push_back(
        {"cpu", "cpu.max", v2_limit(r.cpu_quota->quota) + " " + std::to_string(r.cpu_quota->period), "--cpu-quota"});
  }
  if (r.cpu_weight || r.cpu_shares) {
    w.push_back({"cpu", "cpu.weight",
                 std::to_string(r.cpu_weight ? *r.cpu_weight : cpu_shares_to_weight(*r.cpu_shares)),
                 r.cpu_weight ? "--cpu-weight" : "--cpu-shares"});
  }
  if (r.cpu_rt_period || r.cpu_rt_runtime) {
    unenforced.emplace_back("realtime period and runtime ignored: cgroup v2 has no realtime bandwidth files");
  }
  add_pids_and_cpuset(r, w);
  if (r.blkio_weight) {
    // io.weight takes 1-10000 (default 100); blkio's 10-1000 scale maps onto it linearly.
    w.push_back(
        {"io", "io.weight", "default " + std::to_string(1 + (*r.blkio_weight - 10) * 9999 / 990), "--blkio-weight"});
  }
  for (const auto& [file, value] : r.unified) {
    // "cgroup.*" files belong to no controller: nothing to enable for them.
    const auto controller = file.substr(0, file.find('.'));
    w.push_back({controller == "cgroup" ? "" : controller, file, value, "linux.resources.unified"});
  }
  return w;
}

Resources apply_update(Resources current, const ResourceUpdate& update) {
  const auto& u = update.set;
  auto take = [](auto& field, const auto& given) {
    if (given) {
      field = given;
    }
  };
  take(current.memory, u.memory);
  take(current.memory_swap, u.memory_swap);
  if (u.memory && *u.memory < 0 && !u.memory_swap) {
    current.memory_swap = -1;  // lifting the memory limit lifts the swap one with it, as in runc
  }
  take(current.memory_reservation, u.memory_reservation);
  take(current.memory_swappiness, u.memory_swappiness);
  current.disable_oom_killer = current.disable_oom_killer || u.disable_oom_killer;
  take(current.cpu_rt_period, u.cpu_rt_period);
  take(current.cpu_rt_runtime, u.cpu_rt_runtime);
  take(current.pids_limit, u.pids_limit);
  take(current.blkio_weight, u.blkio_weight);
  for (const auto& [file, value] : u.unified) {
    current.unified[file] = value;
  }
  // Shares and weight are one knob in two scales: the newer one given wins.
  if (u.cpu_shares) {
    current.cpu_shares = u.cpu_shares;
    current.cpu_weight.reset();
  } else if (u.cpu_weight) {
    current.cpu_weight = u.cpu_weight;
    current.cpu_shares.reset();
  }
  if (!u.cpuset_cpus.empty()) {
    current.cpuset_cpus = u.cpuset_cpus;
  }
  if (!u.cpuset_mems.empty()) {
    current.cpuset_mems = u.cpuset_mems;
  }
  if (update.cpu_quota || update.cpu_period) {
    auto cpu = current.cpu_quota.value_or(CpuQuota{});
    cpu.quota = update.cpu_quota.value_or(cpu.quota);
    cpu.period = update.cpu_period.value_or(cpu.period);
    current.cpu_quota = cpu;
  }
  return current;
}

void order_memory_writes(std::vector<ResourceWrite>& writes, int64_t current_limit) {
  auto find = [&](const char* file) {
    return std::find_if(writes.begin(), writes.end(), [&](const ResourceWrite& w) { return w.file == file; });
  };
  const auto limit = find("memory.limit_in_bytes");
  const auto swap = find("memory.memsw.limit_in_bytes");
  if (limit == writes.end() || swap == writes.end()) {
    return;
  }
  const int64_t next = std::stoll(limit->value);
  const bool raising = next < 0 || (current_limit >= 0 && next > current_limit);
  if (raising != (swap < limit)) {
    std::iter_swap(limit, swap);
  }
}

namespace {

// A number file ("123\n"); "max" is the largest value, as runc reports an absent limit.
uint64_t number(const std::optional<std::string>& text) {
  if (!text || text->empty()) {
    return 0;
  }
  if (text->rfind("max", 0) == 0) {
    return std::numeric_limits<uint64_t>::max();
  }
  return std::strtoull(text->c_str(), nullptr, 10);
}

// "key value" lines (memory.stat, cpu.stat, memory.events, cpuacct.stat).
std::map<std::string, uint64_t> keyed(const std::optional<std::string>& text) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(text ? *text : "");
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    out[key] = value;
  }
  return out;
}

nlohmann::json cpu_stats(const CgroupFileReader& read) {
  nlohmann::json cpu;
  if (auto stat = read("cpu.stat"); stat && stat->find("usage_usec") != std::string::npos) {
    auto v = keyed(stat);  // cgroup v2, microseconds; runc reports nanoseconds
    cpu["usage"] = {
        {"total", v["usage_usec"] * 1000}, {"user", v["user_usec"] * 1000}, {"kernel", v["system_usec"] * 1000}};
    cpu["throttling"] = {{"periods", v["nr_periods"]},
                         {"throttled_periods", v["nr_throttled"]},
                         {"throttled_time", v["throttled_usec"] * 1000}};
    return cpu;
  }
  constexpr uint64_t kNanosPerTick = 1'000'000'000 / 100;  // cpuacct.stat counts USER_HZ ticks
  auto ticks = keyed(read("cpuacct.stat"));
  std::vector<uint64_t> percpu;
  std::istringstream in(read("cpuacct.usage_percpu").value_or(""));
  for (uint64_t ns = 0; in >> ns;) {
    percpu.push_back(ns);
  }
  cpu["usage"] = {{"total", number(read("cpuacct.usage"))},
                  {"percpu", percpu},
                  {"user", ticks["user"] * kNanosPerTick},
                  {"kernel", ticks["system"] * kNanosPerTick}};
  auto throttling = keyed(read("cpu.stat"));
  cpu["throttling"] = {{"periods", throttling["nr_periods"]},
                       {"throttled_periods", throttling["nr_throttled"]},
                       {"throttled_time", throttling["throttled_time"]}};
  return cpu;
}

nlohmann::json memory_stats(const CgroupFileReader& read) {
  nlohmann::json memory;
  auto raw = keyed(read("memory.stat"));
  memory["raw"] = raw;
  if (auto current = read("memory.current")) {  // cgroup v2
    const uint64_t usage = number(current);
    memory["cache"] = raw["file"];
    memory["usage"] = {{"usage", usage},
                       {"limit", number(read("memory.max"))},
                       {"max", number(read("memory.peak"))},
                       {"failcnt", keyed(read("memory.events"))["max"]}};
    // v1's memsw counts memory and swap together; runc reports v2's the same way.
    memory["swap"] = {{"usage", usage + number(read("memory.swap.current"))},
                      {"limit", number(read("memory.swap.max"))}};
    return memory;
  }
  memory["cache"] = raw["cache"];
  memory["usage"] = {{"usage", number(read("memory.usage_in_bytes"))},
                     {"limit", number(read("memory.limit_in_bytes"))},
                     {"max", number(read("memory.max_usage_in_bytes"))},
                     {"failcnt", number(read("memory.failcnt"))}};
  memory["swap"] = {{"usage", number(read("memory.memsw.usage_in_bytes"))},
                    {"limit", number(read("memory.memsw.limit_in_bytes"))},
                    {"max", number(read("memory.memsw.max_usage_in_bytes"))},
                    {"failcnt", number(read("memory.memsw.failcnt"))}};
  return memory;
}

}  // namespace

nlohmann::json cgroup_stats(const CgroupFileReader& read) {
  const uint64_t pids_limit = number(read("pids.max"));
  return {{"cpu", cpu_stats(read)},
          {"memory", memory_stats(read)},
          {"pids",
           {{"current", number(read("pids.current"))},
            {"limit", pids_limit == std::numeric_limits<uint64_t>::max() ? 0 : pids_limit}}},
          {"blkio", nlohmann::json::object()},
          {"hugetlb", nlohmann::json::object()}};
}

}  // namespace barco
