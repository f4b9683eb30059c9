// The values people type after -e, -u, -v, --tmpfs, --ulimit, --name, --device,
// --security-opt, --cap-add, kill -s, --memory, events --interval, exec --cgroup (whose
// result is applied to a container's cgroup directories and must stay below them), -p (whose
// ports end up in nftables rules: only digits may get there), --add-host, --dns and the bridge's
// subnet. The first byte
// picks the parser; every input must either parse or throw ConfigError, nothing else.
#include <barco/capabilities.hpp>
#include <barco/cgroups.hpp>
#include <barco/container_id.hpp>
#include <barco/network.hpp>
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
    switch (data[0] % 18) {
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
      case 13: {
        for (const auto& p : barco::parse_publish(text)) {
          const auto rule = barco::nft_port_rules("c", 0x0a000002, {p});
          if (p.host_port == 0 || p.container_port == 0 || rule.find(';') != std::string::npos ||
              rule.find('\n') != rule.size() - 1) {
            __builtin_trap();  // a port 0, or a rule that is more than one rule
          }
        }
        break;
      }
      case 14: {
        const auto e = barco::parse_add_host(text);
        if (barco::hosts_file("h", std::nullopt, {e}).find(e.name + "\n") == std::string::npos ||
            e.name.find_first_of(" \t\n#") != std::string::npos) {
          __builtin_trap();  // an entry that is not one line of /etc/hosts
        }
        break;
      }
      case 15: {
        const auto s = barco::parse_subnet(text);
        if (!s.contains(s.gateway()) || s.broadcast() <= s.gateway()) {
          __builtin_trap();
        }
        break;
      }
      case 16: {
        const auto a = barco::parse_ipv4(text);
        if (a && barco::parse_ipv4(barco::ipv4_string(*a)) != a) {
          __builtin_trap();  // what is printed reads back as the same address
        }
        break;
      }
      default: (void)barco::parse_id(text); break;
    }
  } catch (const barco::ConfigError&) {
  }
  return 0;
}
