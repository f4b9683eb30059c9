// update and events: runc's verbs on a running container's cgroups.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace barco::cli {

// runc's flag names, and docker's --cpus and --cpu-shares beside them.
struct UpdateFlags {
  std::string id;
  std::string resources_file;  // -r: a linux.resources JSON object, "-" for stdin
  std::string memory, memory_reservation, memory_swap, kernel_memory, kernel_memory_tcp;
  std::string cpu_period, cpu_quota, cpu_shares, cpu_rt_period, cpu_rt_runtime, cpus;
  std::string cpuset_cpus, cpuset_mems, pids_limit, blkio_weight;
  std::string l3_cache_schema, mem_bw_schema;
};

struct EventsFlags {
  std::string id;
  std::string interval = "5s";
  bool stats = false;
};

void add_update_flags(CLI::App& app, UpdateFlags& f);
void add_events_flags(CLI::App& app, EventsFlags& f);
[[nodiscard]] int run_update(const UpdateFlags& f, const std::string& root);
[[nodiscard]] int run_events(const EventsFlags& f, const std::string& root);

}  // namespace barco::cli
