// A fake host for the CLI mapping, and a ready-made config for plan tests.
#pragma once

#include "cli/run_command.hpp"

#include <algorithm>
#include <map>

namespace barco::testing {

struct FakeHost {
  std::map<std::string, std::string> env{{"FROM_HOST", "yes"}};
  std::map<std::string, std::string> host_files;
  std::map<std::string, std::string> rootfs_files{
      {"/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n"},
      {"/etc/group", "root:x:0:\nusers:x:100:user\nuser:x:1000:\n"}};
  std::vector<std::string> dirs{"/r", "/srv/data"};
  std::vector<std::string> files{"/etc/hosts"};
  bool tty = false;
  CapMask bounding = 0x1ffffffffffULL & ~cap_bit(24);  // like this host: all but CAP_SYS_RESOURCE
  std::vector<Device> devices{{"/dev/fuse", 'c', 10, 229, 0666}, {"/dev/vda", 'b', 254, 0, 0660}};

  [[nodiscard]] HostView view() const {
    HostView h;
    h.env = [this](const std::string& k) -> std::optional<std::string> {
      auto it = env.find(k);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    h.stdin_is_tty = [this] { return tty; };
    h.read_host_file = [this](const std::string& p) -> std::optional<std::string> {
      auto it = host_files.find(p);
      return it == host_files.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    h.read_rootfs_file = [this](const std::string&, const std::string& p) -> std::optional<std::string> {
      auto it = rootfs_files.find(p);
      return it == rootfs_files.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    h.check_directory = [this](const std::string& p) -> std::string {
      for (const auto& d : dirs) {
        if (d == p) return "";
      }
      return "No such file or directory";
    };
    h.exists = [this](const std::string& p) {
      for (const auto* list : {&dirs, &files}) {
        for (const auto& d : *list) {
          if (d == p) return true;
        }
      }
      return false;
    };
    h.absolute = [](const std::string& p) { return p.front() == '/' ? p : "/" + p; };
    h.new_id = [] { return std::string("0123456789ab"); };
    h.kernel_release = [] { return std::string("6.1.0-test"); };
    h.cap_last_cap = [] { return 40; };
    h.caller_bounding = [this] { return bounding; };
    h.host_devices = [this] { return devices; };
    h.device_at = [this](const std::string& p) -> std::optional<Device> {
      for (const auto& d : devices) {
        if (d.path == p) return d;
      }
      return std::nullopt;
    };
    h.cgroups = [] { return CgroupHost{}; };
    h.online_cpus = [] { return 2; };
    h.memory_nodes = [] { return 1; };
    h.thermal_throttle_paths = [] { return std::vector<std::string>{"/sys/devices/system/cpu/cpu0/thermal_throttle"}; };
    return h;
  }
};

// Parses `barco run <words>` through the real flag definitions.
inline ContainerConfig config_from_words(std::vector<std::string> words, const FakeHost& host = {}) {
  CLI::App app;
  cli::RunFlags flags;
  auto* run = app.add_subcommand("run");
  cli::add_run_flags(*run, flags);
  // The unit tests' containers have no network unless a test asks for one: the default
  // bridge adds parent and child steps that wait for each other.
  const bool network_named = std::any_of(words.begin(), words.end(), [](const std::string& w) {
    return w == "--network" || w == "--net" || w.rfind("--network=", 0) == 0;
  });
  words.insert(words.begin(), {"barco", "run"});
  if (!network_named) {
    words.insert(words.begin() + 2, {"--network", "none"});
  }
  const size_t at = cli::find_command_start(*run, words, 2);
  std::vector<char*> argv;
  for (size_t i = 0; i < at; ++i) {
    argv.push_back(words[i].data());
  }
  app.parse(static_cast<int>(argv.size()), argv.data());
  flags.command = cli::command_from_args(words, at);
  return cli::config_from_flags(flags, host.view());
}

}  // namespace barco::testing
