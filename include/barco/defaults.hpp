// Docker-equivalent defaults, in one place: the mounts, device nodes, environment and
// namespaces of a container nobody configured further. make_privileged() and the lab
// compare against exactly these values.
#pragma once

#include <barco/config.hpp>

#include <string>
#include <vector>

namespace barco {

inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

[[nodiscard]] std::vector<Mount> default_mounts();
[[nodiscard]] std::vector<Device> default_devices();
[[nodiscard]] std::vector<NamespaceSetting> default_namespaces();

// PATH, HOSTNAME, HOME and (with a terminal) TERM: docker's base environment.
[[nodiscard]] std::vector<std::string> default_env(const std::string& hostname, const std::string& home, bool terminal);

// docker's masked and read-only paths (thermal_throttle paths of each CPU are added from
// the host by the CLI, since they depend on the machine).
[[nodiscard]] std::vector<std::string> default_masked_paths();
[[nodiscard]] std::vector<std::string> default_readonly_paths();

// The default seccomp profile, profiles/default.json, built into the binary.
[[nodiscard]] const char* builtin_seccomp_profile();
// The same, parsed at build time (tools/profile_codegen): what every run uses.
[[nodiscard]] const SeccompProfile& builtin_seccomp_profile_parsed();

// --userns private when /etc/subuid has no range for root: 65536 ids from here, far above
// what useradd hands out (SUB_UID_MIN 100000 to SUB_UID_MAX 600100000 in login.defs), so the
// first user it adds does not get the container's ids for its own rootless containers.
inline constexpr uint32_t kFallbackUsernsStart = 1'000'000'000;
inline constexpr uint32_t kUsernsSize = 65536;

}  // namespace barco
