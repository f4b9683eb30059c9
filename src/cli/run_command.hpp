// `barco run`: the docker-style flags and their mapping onto ContainerConfig. The mapping is
// a pure function of the flags and a view of the host (environment, files, terminal), so
// unit tests drive it with a fake host.
#pragma once

#include <barco/config.hpp>
#include <barco/host.hpp>
#include <barco/parse.hpp>
#include <barco/plan.hpp>
#include <barco/result.hpp>
#include <barco/runtime.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace barco::cli {

struct RunFlags {
  std::string rootfs;
  std::string name;
  std::string hostname;
  std::vector<std::string> env;
  std::vector<std::string> env_files;
  std::string workdir;
  std::string user;
  bool tty = false;
  bool no_tty = false;
  bool interactive = false;
  std::vector<std::string> volumes;
  std::vector<std::string> tmpfs;
  bool read_only = false;
  std::string network = "bridge";
  std::vector<std::string> publish;
  std::vector<std::string> add_hosts;
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  std::string pid;
  std::string ipc;
  std::string uts;
  std::string userns = "host";
  std::vector<std::string> ulimits;
  bool init = false;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::vector<std::string> security_opts;
  std::vector<std::string> devices;
  bool privileged = false;
  std::string memory, memory_swap, memory_reservation, cpus, cpu_shares, cpu_weight, pids_limit;
  std::string cpuset_cpus, cpuset_mems, blkio_weight, cgroup_parent;
  bool strict_cgroups = false;
  std::string cgroups_mode = "enabled";
  bool dry_run = false;
  bool timings = false;
  bool detach = false;       // -d: a monitor keeps the container; the record stays until rm
  bool auto_remove = false;  // --rm (foreground runs always remove their record)
  bool overlay = false;      // --overlay (default with -d)
  std::string log_max_size;  // run -d: the log's limit (default 64m)
  std::string data_root;     // the global --data-root, set by main
  bool no_overlay = false;
  // OCI form: run --bundle DIR ID
  std::string bundle;
  std::string pid_file;
  std::string console_socket;
  bool no_new_keyring = false;
  bool keep = false;      // --keep: the record of a foreground run stays (stopped) until delete
  bool no_pivot = false;  // accepted with a warning: barco always pivots
  int preserve_fds = 0;
  std::vector<std::string> command;
};

void add_run_flags(CLI::App& run, RunFlags& flags);

// docker's rule: the command starts at the first word that is neither a flag nor a flag's
// value, or after "--"; everything from there belongs to the command, flags included.
// Returns the index of that word in `args` (args.size() when there is none), scanning
// from `first`; CLI11 then parses only the words before it.
[[nodiscard]] size_t find_command_start(const CLI::App& run, const std::vector<std::string>& args, size_t first);
// The command from `start` on, without a leading "--"; throws when it is empty.
[[nodiscard]] std::vector<std::string> command_from_args(const std::vector<std::string>& args, size_t start);

// Throws ConfigError on bad values.
[[nodiscard]] ContainerConfig config_from_flags(const RunFlags& flags, const HostView& host);

// Builds the plan for `config` and prints it (--dry-run) or runs it; returns barco's exit
// status. Throws ConfigError for what the flags got wrong. `startup` (for --timings) gets
// the plan's lap and is handed to the runtime.
[[nodiscard]] int run_config(const ContainerConfig& config, const RunFlags& flags, const std::string& state_root,
                             StartupLaps* startup = nullptr);

// --overlay, or -d without --no-overlay.
[[nodiscard]] bool wants_overlay(const RunFlags& flags);

}  // namespace barco::cli
