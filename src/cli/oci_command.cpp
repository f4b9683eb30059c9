#include "cli/oci_command.hpp"

#include <barco/container_id.hpp>
#include <barco/files.hpp>
#include <barco/oci.hpp>
#include <barco/parse.hpp>
#include <barco/runtime.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>

namespace barco::cli {
namespace {

// 0, or 1 with the error reported (runc's codes for the OCI verbs).
int exit_status(const Result<void>& r) {
  if (r) {
    return 0;
  }
  report_error(r.error());
  return 1;
}

std::string absolute_bundle(const std::string& bundle) {
  std::error_code ec;
  auto path = std::filesystem::weakly_canonical(std::filesystem::absolute(bundle, ec), ec);
  return path.empty() ? bundle : path.string();
}

// The bundle's config.json as a ContainerConfig, with every warning printed.
ContainerConfig bundle_config(const std::string& bundle_arg, const std::string& id, bool systemd_cgroup) {
  const auto bundle = absolute_bundle(bundle_arg);
  std::error_code ec;
  if (!std::filesystem::is_directory(bundle, ec)) {
    throw ConfigError("bundle '" + bundle_arg + "': not a directory", "--bundle names a directory with a config.json");
  }
  auto text = read_file(bundle + "/config.json");
  if (!text) {
    throw ConfigError("bundle '" + bundle_arg + "': no config.json (" + text.error().message() + ")",
                      "barco spec writes one; put the root filesystem in rootfs/ next to it");
  }
  auto parsed = parse_oci_config(*text, OciContext{bundle, id});
  for (const auto& w : parsed.warnings) {
    spdlog::warn("{}", w);
  }
  auto& c = parsed.config;
  if (!std::filesystem::is_directory(c.root.path, ec)) {
    throw ConfigError("config.json: $.root.path: " + c.root.path + " is not a directory",
                      "the root filesystem must exist before create");
  }
  if (systemd_cgroup) {
    c.cgroups_path = systemd_cgroups_path(c.cgroups_path);
  }
  return std::move(parsed.config);
}

}  // namespace

std::string systemd_cgroups_path(const std::string& path) {
  if (path.empty() || path.front() == '/') {
    return path;
  }
  const auto parts = split(path, ':');
  if (parts.size() != 3 || parts[0].empty() || parts[2].empty()) {
    throw ConfigError("cgroupsPath '" + path + "': with --systemd-cgroup expected slice:prefix:name",
                      "e.g. machine.slice:libpod:ID");
  }
  // barco writes cgroupfs itself; the path is the one systemd would have used.
  return "/" + parts[0] + "/" + (parts[1].empty() ? "" : parts[1] + "-") + parts[2] + ".scope";
}

void add_spec_flags(CLI::App& app, SpecFlags& f) {
  app.add_option("-b,--bundle", f.bundle, "Directory to write config.json into")->capture_default_str();
  app.add_flag("--rootless", f.rootless, "A spec for an unprivileged user: user namespace, no cgroup limits");
}

void add_create_flags(CLI::App& app, CreateFlags& f) {
  app.add_option("-b,--bundle", f.bundle, "The bundle: config.json and the root filesystem")->capture_default_str();
  app.add_option("--pid-file", f.pid_file, "Write the container's pid to this file");
  app.add_option("--console-socket", f.console_socket, "Send the pty master to this unix socket (process.terminal)");
  app.add_flag("--no-new-keyring", f.no_new_keyring, "Accepted: barco never creates a session keyring");
  app.add_flag("--no-pivot", f.no_pivot, "Refused: barco always uses pivot_root");
  app.add_option("--preserve-fds", f.preserve_fds, "Refused unless 0: barco passes no extra fds");
  app.add_option("id", f.id, "Container id")->required();
}

void add_id_flags(CLI::App& app, IdFlags& f) {
  app.add_option("id", f.id, "Container id")->required();
}

void add_delete_flags(CLI::App& app, DeleteFlags& f) {
  app.add_flag("-f,--force", f.force, "Kill a running container first");
  app.add_option("id", f.id, "Container id")->required();
}

int run_spec(const SpecFlags& f) {
  const std::string path = f.bundle + "/config.json";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    throw ConfigError("spec: " + path + " exists already", "remove it, or use --bundle DIR");
  }
  const auto cap_last_cap = read_file("/proc/sys/kernel/cap_last_cap");
  const int last_cap = cap_last_cap ? std::stoi(*cap_last_cap) : 40;
  const auto spec = default_oci_spec(f.rootless, ::getuid(), ::getgid(), last_cap);
  if (auto r = write_file_atomic(path, spec.dump(2) + "\n"); !r) {
    report_error(r.error());
    return 1;
  }
  return 0;
}

int run_create(const CreateFlags& f, const std::string& root, bool systemd_cgroup) {
  validate_container_id(f.id);
  if (f.no_pivot) {
    throw ConfigError("--no-pivot: barco always uses pivot_root", "a rootfs on a ramfs cannot be pivoted: copy it");
  }
  if (f.preserve_fds != 0) {
    throw ConfigError("--preserve-fds " + std::to_string(f.preserve_fds) + ": not supported",
                      "barco closes every fd above 2 before the command (CVE-2024-21626)");
  }
  const auto config = bundle_config(f.bundle, f.id, systemd_cgroup);
  LaunchRequest request;
  request.state_root = root;
  request.oci_create = true;
  request.auto_remove = false;
  request.handover = {true, f.pid_file, f.console_socket};
  request.bundle = absolute_bundle(f.bundle);
  return launch(config, request);
}

int run_start(const IdFlags& f, const std::string& root) {
  return exit_status(start_container(root, f.id));
}

int run_state(const IdFlags& f, const std::string& root) {
  auto state = container_state_json(root, f.id);
  if (!state) {
    report_error(state.error());
    return 1;
  }
  std::printf("%s\n", nlohmann::json::parse(*state).dump(2).c_str());
  return 0;
}

int run_delete(const DeleteFlags& f, const std::string& root) {
  return exit_status(delete_container(root, f.id, f.force));
}

int run_features() {
  std::printf("%s\n", oci_features_json().dump(2).c_str());
  return 0;
}

int run_bundle(const RunFlags& flags, const std::string& id, const std::string& root, bool systemd_cgroup) {
  validate_container_id(id);
  if (!flags.console_socket.empty()) {
    throw ConfigError("run --bundle --console-socket: not supported",
                      "barco run relays the pty itself; use create --console-socket, then start");
  }
  const auto config = bundle_config(flags.bundle, id, systemd_cgroup);
  LaunchRequest request;
  request.state_root = root;
  request.dry_run = flags.dry_run;
  request.timings = flags.timings;
  request.bundle = absolute_bundle(flags.bundle);
  request.handover.pid_file = flags.pid_file;
  return launch(config, request);
}

}  // namespace barco::cli
