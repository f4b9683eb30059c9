// A container as the lifecycle commands see it: its record (StateInfo, kept under
// <state root>/<id>/state.json) and the status derived from the record and from whether the
// processes it names are still alive.
#pragma once

#include <barco/config.hpp>

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace barco {

// docker's words; OCI says "stopped" for exited and has no "paused" in its state.
enum class ContainerStatus { creating, created, running, paused, exited };

[[nodiscard]] const char* status_name(ContainerStatus s);
// The name as written in state.json; an unknown word reads as exited.
[[nodiscard]] ContainerStatus parse_status(const std::string& name);

struct StateInfo {
  std::string id;
  std::string rootfs;
  std::vector<std::string> command;
  ContainerStatus status = ContainerStatus::creating;
  pid_t pid = 0;  // the container's init, as seen from the host
  unsigned long long pid_start_time = 0;
  pid_t barco_pid = 0;                      // the foreground barco, or the detached container's monitor
  unsigned long long barco_start_time = 0;  // /proc/<pid>/stat field 22, to detect pid reuse
  std::string created;                      // RFC 3339, UTC
  std::vector<std::string> cgroups;         // removed when the record is found stale
  bool detached = false;                    // kept after the exit, until rm
  bool auto_remove = true;                  // run --rm: the monitor removes the record at the exit
  std::optional<int> exit_code;             // docker's: the code, or 128+N
  bool oom_killed = false;
  std::string finished;          // RFC 3339, set with exit_code
  std::string bundle;            // OCI bundle directory
  bool oci = false;              // created by `barco create`: no monitor; the OCI caller reaps the init
  std::string data_dir;          // the writable layer and the log (<data root>/<id>), removed with the record
  Resources resources;           // the limits now in force: `update` merges into them
  std::string address;           // --network bridge: the leased address
  bool published_ports = false;  // -p: rules tagged with the id are in barco's nft table
};

struct ContainerView {
  StateInfo info;
  std::string dir;
  ContainerStatus status = ContainerStatus::exited;
  std::string note;  // why the status differs from the record ("the monitor was killed")
};

// What the record and the processes say, combined (pure given the liveness answers).
[[nodiscard]] ContainerView derive_view(StateInfo info, std::string dir, bool monitor_alive, bool init_alive);
// OCI's words: creating | created | running | stopped, and runc's paused.
[[nodiscard]] std::string oci_status(const ContainerView& v);
[[nodiscard]] std::string oci_status_name(ContainerStatus status);

// state.json. Reading keeps only what is safe to act on: cgroups under /sys/fs/cgroup/, a
// data directory that is absolute, without "..", and ends in the id.
[[nodiscard]] nlohmann::json to_json(const StateInfo& s);
[[nodiscard]] StateInfo state_from_json(const nlohmann::json& j);

}  // namespace barco
