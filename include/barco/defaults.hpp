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

// The mapping used by --userns private when /etc/subuid has no range for root.
inline constexpr IdMapping kDefaultUsernsRange{0, 100000, 65536};

}  // namespace barco
