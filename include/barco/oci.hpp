// The OCI runtime-spec (v1.x) side of barco: config.json is a second reader of the same
// ContainerConfig the docker-style flags fill, and a writer of it (`barco spec`, and the
// copy each container keeps for `exec`). Also the state JSON, the features JSON and the
// mount-option strings. Pure: no syscalls; errors name the JSON path.
#pragma once

#include <barco/config.hpp>
#include <barco/resources.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace barco {

inline constexpr const char* kOciVersion = "1.2.0";

struct OciContext {
  std::string bundle;  // absolute bundle directory: root.path is relative to it
  std::string id;      // the container id given on the command line
};

struct OciConfig {
  ContainerConfig config;
  // Fields barco accepts but does not apply, each with its JSON path and the reason:
  // printed as warnings, never dropped silently.
  std::vector<std::string> warnings;
};

// Throws ConfigError("config.json: $.process.args: ...") for what barco cannot run as asked.
[[nodiscard]] OciConfig parse_oci_config(std::string_view json_text, const OciContext& context);
// The `process` object alone (`barco exec --process FILE`).
[[nodiscard]] Process parse_oci_process(const nlohmann::json& process, const std::string& where,
                                        std::vector<std::string>& warnings);

// `update -r FILE`: a linux.resources object. Its device rules are not updated (a warning),
// as in runc. Throws ConfigError naming the JSON path.
[[nodiscard]] ResourceUpdate parse_oci_resources(std::string_view json_text, std::vector<std::string>& warnings);
// linux.resources' limits (not the device rules), as parse_oci_resources reads them.
[[nodiscard]] nlohmann::json oci_resources_json(const Resources& resources);

// full: everything (barco spec, round trips). exec_context: what `barco exec` and `delete`
// need (process, root, hostname, namespaces, id maps, cgroupsPath, hooks), written at every
// start: mounts, devices, masks and limits are a container's setup, not its processes'.
enum class OciDetail { full, exec_context };
[[nodiscard]] nlohmann::json oci_config_json(const ContainerConfig& config, OciDetail detail = OciDetail::full);

// OCI mount options ("nosuid", "rbind", "ro", "mode=755") -> flags, data and the read-only
// remount a bind needs. Unknown words become filesystem data, as runc does.
struct MountOptions {
  unsigned long flags = 0;
  std::string data;
  uint64_t recursive_attr_set = 0;  // MOUNT_ATTR_* of rro, rnosuid, ...
  uint64_t recursive_attr_clear = 0;
  std::vector<std::string> ignored;  // propagation words barco does not apply per mount
  std::vector<std::string> unknown;  // bind options barco does not know: refused, never dropped
};
[[nodiscard]] MountOptions parse_mount_options(const std::vector<std::string>& options, bool bind);
[[nodiscard]] std::vector<std::string> mount_options_of(const Mount& mount);

// `barco spec`: docker's defaults as an OCI config running `sh` from ./rootfs. rootless:
// a user namespace mapping root to `uid`/`gid`, no network namespace changes.
// cgroup_namespace: as runc's spec, only on a pure cgroup v2 host (on v1 and hybrid hosts
// the container then sees its own cgroups bound at their host paths).
[[nodiscard]] nlohmann::json default_oci_spec(bool rootless, uint32_t uid, uint32_t gid, int cap_last_cap,
                                              bool cgroup_namespace = true);

struct OciState {
  std::string id;
  std::string status;  // creating | created | running | stopped
  int pid = 0;
  std::string bundle;
  std::string created;
  nlohmann::json annotations = nlohmann::json::object();
};
[[nodiscard]] nlohmann::json oci_state_json(const OciState& state);

// runtime-spec's ContainerProcessState, sent to a seccomp agent with the listener fd (the
// only fd, named "seccompFd"): the process the filter is on, the config's listenerMetadata
// and the container's state.
[[nodiscard]] nlohmann::json oci_process_state_json(int pid, const std::string& metadata, const OciState& state);

// `barco features`: what this build supports, in the runtime-spec's features schema.
[[nodiscard]] nlohmann::json oci_features_json();

}  // namespace barco
