#include "cli/cgroup_command.hpp"

#include <barco/files.hpp>
#include <barco/oci.hpp>
#include <barco/parse.hpp>
#include <barco/runtime.hpp>

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>

namespace barco::cli {
namespace {

std::string read_resources_file(const std::string& path) {
  if (path == "-") {
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  }
  auto text = read_file(path);
  if (!text) {
    throw ConfigError("update -r " + path + ": " + text.error().message(), "give a linux.resources JSON file");
  }
  return *text;
}

// Flags over the -r file: a flag given on the command line wins.
ResourceUpdate update_from_flags(const UpdateFlags& f) {
  ResourceUpdate u;
  if (!f.resources_file.empty()) {
    std::vector<std::string> warnings;
    u = parse_oci_resources(read_resources_file(f.resources_file), warnings);
    for (const auto& w : warnings) {
      spdlog::warn("{}", w);
    }
  }
  auto& r = u.set;
  auto size = [](const std::string& text, const char* flag, std::optional<int64_t>& field) {
    if (!text.empty()) {
      field = parse_size(text, flag, true);
    }
  };
  auto integer = [](const std::string& text, const char* flag, int64_t min, int64_t max, auto& field) {
    if (!text.empty()) {
      field = parse_int_in(text, flag, min, max);
    }
  };
  size(f.memory, "--memory", r.memory);
  size(f.memory_reservation, "--memory-reservation", r.memory_reservation);
  size(f.memory_swap, "--memory-swap", r.memory_swap);
  integer(f.cpu_period, "--cpu-period", 1, int64_t{1} << 40, u.cpu_period);
  integer(f.cpu_quota, "--cpu-quota", -1, int64_t{1} << 40, u.cpu_quota);
  if (!f.cpus.empty()) {
    u.cpu_period = u.cpu_period.value_or(100000);
    u.cpu_quota = std::llround(parse_cpus(f.cpus, real_host().online_cpus()) * static_cast<double>(*u.cpu_period));
  }
  integer(f.cpu_shares, "--cpu-shares", 2, 262144, r.cpu_shares);
  integer(f.cpu_rt_period, "--cpu-rt-period", 1, int64_t{1} << 40, r.cpu_rt_period);
  integer(f.cpu_rt_runtime, "--cpu-rt-runtime", -1, int64_t{1} << 40, r.cpu_rt_runtime);
  integer(f.pids_limit, "--pids-limit", -1, int64_t{1} << 31, r.pids_limit);
  if (r.pids_limit && *r.pids_limit == 0) {
    r.pids_limit.reset();  // runc: 0 leaves the limit as it is
  }
  integer(f.blkio_weight, "--blkio-weight", 10, 1000, r.blkio_weight);
  if (!f.cpuset_cpus.empty()) {
    r.cpuset_cpus = parse_cpu_list(f.cpuset_cpus, "--cpuset-cpus", real_host().online_cpus());
  }
  if (!f.cpuset_mems.empty()) {
    r.cpuset_mems = parse_cpu_list(f.cpuset_mems, "--cpuset-mems", 1 << 16);
  }
  if (!f.kernel_memory.empty() || !f.kernel_memory_tcp.empty()) {
    spdlog::warn("--kernel-memory ignored: kernel memory limits are gone from Linux 6.x's cgroup v1");
  }
  if (!f.l3_cache_schema.empty() || !f.mem_bw_schema.empty()) {
    throw ConfigError("update: --l3-cache-schema and --mem-bw-schema are Intel RDT (resctrl) settings",
                      "barco does not manage resctrl groups");
  }
  return u;
}

}  // namespace

void add_update_flags(CLI::App& app, UpdateFlags& f) {
  app.add_option("-r,--resources", f.resources_file, "A linux.resources JSON object (\"-\": stdin)");
  app.add_option("--memory,-m", f.memory, "Memory limit (64m, 1g; -1: none)");
  app.add_option("--memory-reservation", f.memory_reservation, "Memory soft limit");
  app.add_option("--memory-swap", f.memory_swap, "Memory plus swap (-1: no swap limit)");
  app.add_option("--kernel-memory", f.kernel_memory, "Ignored (gone from Linux 6.x)");
  app.add_option("--kernel-memory-tcp", f.kernel_memory_tcp, "Ignored (gone from Linux 6.x)");
  app.add_option("--cpu-period", f.cpu_period, "CFS period in microseconds");
  app.add_option("--cpu-quota", f.cpu_quota, "CFS quota in microseconds per period (-1: none)");
  app.add_option("--cpus", f.cpus, "CPU quota in CPUs (0.5 = half of one CPU)");
  app.add_option("--cpu-share,--cpu-shares", f.cpu_shares, "CPU shares (relative weight, 2-262144)");
  app.add_option("--cpu-rt-period", f.cpu_rt_period, "Realtime period in microseconds (cgroup v1)");
  app.add_option("--cpu-rt-runtime", f.cpu_rt_runtime, "Realtime runtime in microseconds (cgroup v1)");
  app.add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs the container may use (0-3,5)");
  app.add_option("--cpuset-mems", f.cpuset_mems, "Memory nodes the container may use");
  app.add_option("--pids-limit", f.pids_limit, "Maximum number of processes (-1: none)");
  app.add_option("--blkio-weight", f.blkio_weight, "Block I/O weight (10-1000)");
  app.add_option("--l3-cache-schema", f.l3_cache_schema, "Refused: Intel RDT is not managed by barco");
  app.add_option("--mem-bw-schema", f.mem_bw_schema, "Refused: Intel RDT is not managed by barco");
  app.add_option("id", f.id, "Container id")->required();
}

void add_events_flags(CLI::App& app, EventsFlags& f) {
  app.add_option("--interval", f.interval, "Time between statistics (5s, 100ms)")->capture_default_str();
  app.add_flag("--stats", f.stats, "Print the statistics once and exit");
  app.add_option("id", f.id, "Container id")->required();
}

int run_update(const UpdateFlags& f, const std::string& root) {
  const auto update = update_from_flags(f);
  if (update.empty()) {
    throw ConfigError("update " + f.id + ": nothing to update", "give a limit flag or -r FILE");
  }
  auto unenforced = update_container(root, f.id, update);
  if (!unenforced) {
    report_error(unenforced.error());
    return 1;
  }
  for (const auto& w : *unenforced) {
    spdlog::warn("{}", w);
  }
  return 0;
}

int run_events(const EventsFlags& f, const std::string& root) {
  WatchOptions options;
  options.interval = std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration(f.interval, "--interval"));
  options.interval = std::max(options.interval, std::chrono::milliseconds(1));
  options.once = f.stats;
  auto r = watch_container(root, f.id, options, [](const nlohmann::ordered_json& event) {
    std::printf("%s\n", event.dump().c_str());
    std::fflush(stdout);
  });
  if (!r) {
    report_error(r.error());
    return 1;
  }
  return 0;
}

}  // namespace barco::cli
