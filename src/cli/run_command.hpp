// `barco run`: the docker-style flags and their mapping onto ContainerConfig. The mapping is
// a pure function of the flags and a view of the host (environment, files, terminal), so
// unit tests drive it with a fake host.
#pragma once

#include <barco/config.hpp>
#include <barco/parse.hpp>
#include <barco/plan.hpp>
#include <barco/result.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace barco::cli {

// --timings: laps of barco's own start-up, from main() to the plan.
class StartupLaps {
 public:
  StartupLaps();  // the clock starts here: construct it first thing in main()
  void lap(const char* what);
  [[nodiscard]] const std::vector<std::pair<std::string, int64_t>>& laps() const { return laps_; }

 private:
  int64_t last_ns_;
  std::vector<std::pair<std::string, int64_t>> laps_;
};

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
  std::string network = "none";
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
  std::vector<std::string> command;
};

// A file of the image (/etc/passwd, /etc/group): nullopt when absent, ConfigError when it is
// a FIFO, a device or too large.
[[nodiscard]] std::optional<std::string> read_image_file(const std::string& root, const std::string& path);

// What the mapping needs to know about the machine it runs on.
struct HostView {
  EnvLookup env;
  std::function<bool()> stdin_is_tty;
  // Contents of a host file (--env-file, /etc/subuid); nullopt when it cannot be read.
  std::function<std::optional<std::string>(const std::string&)> read_host_file;
  // Contents of a file inside the rootfs, resolved inside it; nullopt when absent. Throws
  // ConfigError for a file barco refuses to read (not regular, larger than 4 MiB).
  std::function<std::optional<std::string>(const std::string& rootfs, const std::string&)> read_rootfs_file;
  // "" when `path` is an existing directory, else the reason (strerror or "not a directory").
  std::function<std::string(const std::string&)> check_directory;
  std::function<bool(const std::string&)> exists;
  std::function<std::string(const std::string&)> absolute;  // realpath-like, no failure
  std::function<std::string()> new_id;
  std::function<std::string()> kernel_release;  // uname -r
  std::function<int()> cap_last_cap;            // /proc/sys/kernel/cap_last_cap
  std::function<CapMask()> caller_bounding;     // barco's own CapBnd
  std::function<std::vector<Device>()> host_devices;
  // The node at `path` as a Device, or nullopt when it is not a char/block device.
  std::function<std::optional<Device>(const std::string&)> device_at;
  std::function<std::vector<std::string>()> thermal_throttle_paths;  // docker masks these too
  std::function<CgroupHost()> cgroups;                               // this machine's cgroup layout
  std::function<int()> online_cpus;                                  // highest online CPU + 1
  std::function<int()> memory_nodes;                                 // NUMA nodes
};

[[nodiscard]] HostView real_host();

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

[[nodiscard]] PlanHost plan_host(const HostView& host, const std::string& state_root);
// With --cgroups disabled the plan sees no cgroups at all.
[[nodiscard]] PlanHost plan_host(const HostView& host, const std::string& state_root, const RunFlags& flags);

// Builds the plan for `config` and prints it (--dry-run) or runs it; returns barco's exit
// status. Throws ConfigError for what the flags got wrong. `startup` (for --timings) gets
// the plan's lap and is handed to the runtime.
[[nodiscard]] int run_config(ContainerConfig config, const RunFlags& flags, const HostView& host,
                             const std::string& state_root, StartupLaps* startup = nullptr);

// --overlay, or -d without --no-overlay.
[[nodiscard]] bool wants_overlay(const RunFlags& flags);

}  // namespace barco::cli
