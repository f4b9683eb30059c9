#include "cli/oci_command.hpp"

#include "runtime/containers.hpp"
#include "runtime/hooks.hpp"
#include "sys/files.hpp"

#include <barco/container_id.hpp>
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
  c.freezer = true;
  return std::move(parsed.config);
}

Hooks stored_hooks(const ContainerView& v) {
  auto text = read_file(v.dir + "/config.json");
  if (!text) {
    return {};
  }
  try {
    return parse_oci_config(*text, OciContext{v.info.bundle, v.info.id}).config.hooks;
  } catch (const ConfigError&) {
    return {};
  }
}

std::string state_text(const ContainerView& v, const std::string& status) {
  return oci_state_json(
             OciState{v.info.id, status, v.info.pid, v.info.bundle, v.info.created, nlohmann::json::object()})
      .dump();
}

// Opens the exec FIFO for reading, which lets the waiting container go on; fails when the
// container died meanwhile instead of blocking forever.
Result<void> release_container(const ContainerView& v) {
  const std::string fifo_path = v.dir + "/exec.fifo";
  const UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo.valid()) {
    return Error{errno, "start", "open(\"" + fifo_path + "\")", "container '" + v.info.id + "' was started already"};
  }
  auto init = open_init(v);
  if (!init) {
    return init.error();
  }
  std::array<pollfd, 2> fds{{{fifo.get(), POLLIN, 0}, {init->get(), POLLIN, 0}}};
  if (::poll(fds.data(), fds.size(), 10'000) <= 0 || (fds[0].revents & POLLIN) == 0) {
    return plain_error("start " + v.info.id, "the container did not reach its start point (it exited, or is stuck)");
  }
  char byte = 0;
  if (::read(fifo.get(), &byte, 1) != 1) {
    return errno_error("read(\"" + fifo_path + "\")");
  }
  ::unlink(fifo_path.c_str());
  return {};
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
  if (::geteuid() != 0) {
    throw ConfigError("barco create: not running as root", "creating namespaces and mounts needs root");
  }
  auto config = bundle_config(f.bundle, f.id, systemd_cgroup);
  config.exec_fifo = root + "/" + f.id + "/exec.fifo";
  const auto host = real_host();
  const auto plan = build_plan(config, plan_host(host, root));
  for (const auto& problem : plan.unenforced) {
    spdlog::warn("{}", problem);
  }
  RunOptions options;
  options.state_root = root;
  options.log_steps = spdlog::should_log(spdlog::level::debug);
  options.auto_remove = false;
  options.handover = {true, f.pid_file, f.console_socket};
  options.bundle = absolute_bundle(f.bundle);
  return run_container(plan, options);
}

int run_start(const IdFlags& f, const std::string& root) {
  auto v = find_container(root, f.id);
  if (!v) {
    report_error(v.error());
    return 1;
  }
  if (v->status != "created") {
    report_error(Error{0, "start", f.id, "the container is " + v->status + ", not created"});
    return 1;
  }
  if (auto r = release_container(*v); !r) {
    report_error(r.error());
    return 1;
  }
  (void)update_state(v->dir, [](StateInfo& s) { s.status = "running"; });
  const auto hooks = stored_hooks(*v);
  if (auto r = run_hooks(hooks.poststart, "poststart", state_text(*v, "running")); !r) {
    spdlog::warn("{}", r.error().message());
  }
  return 0;
}

int run_state(const IdFlags& f, const std::string& root) {
  auto v = find_container(root, f.id);
  if (!v) {
    report_error(v.error());
    return 1;
  }
  auto state = nlohmann::json::parse(state_text(*v, oci_status(*v)));
  std::printf("%s\n", state.dump(2).c_str());
  return 0;
}

int run_delete(const DeleteFlags& f, const std::string& root) {
  auto v = find_container(root, f.id);
  if (!v) {
    report_error(v.error());
    return 1;
  }
  if (v->status == "running" && !f.force) {
    report_error(Error{EBUSY, "delete", f.id, "the container is running: kill it first, or use delete --force"});
    return 1;
  }
  const auto hooks = stored_hooks(*v);
  if (auto r = remove_container(root, f.id, true); !r) {
    report_error(r.error());
    return 1;
  }
  if (auto r = run_hooks(hooks.poststop, "poststop", state_text(*v, "stopped")); !r) {
    spdlog::warn("{}", r.error().message());
  }
  return 0;
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
  auto config = bundle_config(flags.bundle, id, systemd_cgroup);
  const auto host = real_host();
  const auto plan = build_plan(config, plan_host(host, root));
  if (flags.dry_run) {
    std::fputs(format_plan(plan).c_str(), stdout);
    return 0;
  }
  if (::geteuid() != 0) {
    throw ConfigError("barco run: not running as root", "creating namespaces and mounts needs root");
  }
  for (const auto& problem : plan.unenforced) {
    spdlog::warn("{}", problem);
  }
  RunOptions options;
  options.state_root = root;
  options.log_steps = spdlog::should_log(spdlog::level::debug);
  options.timings = flags.timings;
  options.bundle = absolute_bundle(flags.bundle);
  options.handover.pid_file = flags.pid_file;
  return run_container(plan, options);
}

}  // namespace barco::cli
