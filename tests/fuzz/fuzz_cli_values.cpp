// The values people type after -e, -u, -v, --tmpfs, --ulimit, --name, --device,
// --security-opt, --cap-add, kill -s, --memory, events --interval and exec --cgroup (whose
// result is applied to a container's cgroup directories and must stay below them). The first byte
// picks the parser; every input must either parse or throw ConfigError, nothing else.
#include <barco/capabilities.hpp>
#include <barco/cgroups.hpp>
#include <barco/container_id.hpp>
#include <barco/parse.hpp>
#include <barco/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const barco::EnvLookup lookup = [](const std::string& k) -> std::optional<std::string> {
    return k == "HOME" ? std::optional<std::string>("/root") : std::nullopt;
  };
  try {
    switch (data[0] % 14) {
      case 0: (void)barco::parse_env_entry(text, lookup); break;
      case 1: (void)barco::parse_user_spec(text); break;
      case 2: (void)barco::parse_volume(text); break;
      case 3: (void)barco::parse_tmpfs(text); break;
      case 4: (void)barco::parse_ulimit(text); break;
      case 5: barco::validate_container_id(text); break;
      case 6: (void)barco::parse_device_spec(text); break;
      case 7: (void)barco::parse_security_options({std::string(text)}); break;
      case 8: (void)barco::parse_capability(text); break;
      case 9: (void)barco::parse_signal(text, "kill"); break;
      case 10: (void)barco::parse_duration(text, "--interval"); break;
      case 11: (void)barco::parse_size(text, "--memory", true); break;
      case 12: {
        const auto sub = barco::parse_sub_cgroup(std::string(text));
        const std::vector<std::string> dirs{"/sys/fs/cgroup/memory/c", "/sys/fs/cgroup/unified/c"};
        for (const auto& dir : barco::sub_cgroup_dirs(
                 dirs, {sub}, [](const std::string& d) { return d.find("/unified/") != std::string::npos; })) {
          const bool dotdot = dir.find("/../") != std::string::npos || dir.ends_with("/..");
          if (dotdot || dir.rfind("/sys/fs/cgroup/", 0) != 0) {
            __builtin_trap();  // a sub cgroup outside the container's
          }
        }
        break;
      }
      default: (void)barco::parse_id(text); break;
    }
  } catch (const barco::ConfigError&) {
  }
  return 0;
}
