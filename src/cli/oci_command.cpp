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

#include <algorithm>
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

// create and run -d have no command status to pass on: their failures exit 1, as runc's
// (callers and runc's tests check it), not docker's 125.
int runc_failure(int status) {
  return status == kExitBarcoError ? 1 : status;
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

// runc's flag that barco decides against: --no-pivot is accepted (callers pass it for
// ramfs roots) but barco pivots anyway, since a chroot is escapable by a process that keeps
// a directory fd.
void warn_about_no_pivot(bool no_pivot) {
  if (no_pivot) {
    spdlog::warn(
        "--no-pivot ignored: barco always uses pivot_root (a chroot can be escaped through a kept "
        "directory fd)");
  }
}

// OCI create: set up, wait on the exec FIFO for start; the caller reaps the container.
LaunchRequest create_request(const std::string& root, const std::string& bundle, const std::string& pid_file,
                             const std::string& console_socket) {
  LaunchRequest request;
  request.state_root = root;
  request.oci_create = true;
  request.auto_remove = false;
  request.handover = {true, pid_file, console_socket};
  request.bundle = absolute_bundle(bundle);
  return request;
}

// runc run -d: create, then start; the record stays (stopped once it exits) until delete.
int run_bundle_detached(const RunFlags& flags, const ContainerConfig& config, const std::string& root) {
  auto request = create_request(root, flags.bundle, flags.pid_file, flags.console_socket);
  request.dry_run = flags.dry_run;
  if (const int rc = launch(config, request); rc != 0 || flags.dry_run) {
    return runc_failure(rc);
  }
  if (auto started = start_container(root, config.id); !started) {
    report_error(started.error());
    (void)delete_container(root, config.id, true);  // as runc: a run that failed leaves nothing
    return 1;
  }
  return 0;
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
  app.add_option("--preserve-fds", f.preserve_fds,
                 "Pass the caller's fds 3 to 3+N-1 to the command (files, pipes, sockets; never a directory)");
  app.add_option("id", f.id, "Container id")->required();
}

void add_id_flags(CLI::App& app, IdFlags& f) {
  app.add_option("id", f.id, "Container id")->required();
}

namespace {

void add_criu_flags(CLI::App& app, CriuOptions& o, std::string& ignored, const std::vector<const char*>& unused) {
  app.add_option("--image-path", o.image_path, "Where CRIU's images go (and barco's record)")->capture_default_str();
  app.add_option("--work-path", o.work_path, "Where CRIU writes its log (default: the image path)");
  app.add_flag("--tcp-established", o.tcp_established, "Take established TCP connections along");
  app.add_flag("--ext-unix-sk", o.ext_unix_sk, "Allow unix sockets connected outside the container");
  app.add_flag("--shell-job", o.shell_job, "Allow a process of a shell's session");
  app.add_flag("--file-locks", o.file_locks, "Take file locks along");
  for (const char* name : unused) {
    app.add_option(name, ignored, "runc's option, accepted and not used");
  }
  app.allow_extras();  // runc's other switches (--lazy-pages, --auto-dedup, ...)
}

}  // namespace

void add_checkpoint_flags(CLI::App& app, CriuFlags& f) {
  add_criu_flags(app, f.checkpoint.criu, f.ignored,
                 {"--parent-path", "--page-server", "--manage-cgroups-mode", "--empty-ns", "--status-fd"});
  app.add_flag("--leave-running", f.checkpoint.leave_running, "Keep the container running afterwards");
  app.add_option("id", f.id, "Container id")->required();
}

void add_restore_flags(CLI::App& app, CriuFlags& f) {
  add_criu_flags(app, f.restore.criu, f.ignored,
                 {"--manage-cgroups-mode", "--empty-ns", "--lsm-profile", "--lsm-mount-context"});
  app.add_option("--console-socket", f.restore.console_socket,
                 "A container with a terminal gets a new pty: its master goes to this unix socket");
  app.add_option("-b,--bundle", f.restore.bundle, "The bundle the container was created from")->capture_default_str();
  app.add_flag("-d,--detach", f.restore.detach, "Return once it runs; it stays until delete");
  app.add_option("--pid-file", f.restore.pid_file, "Write the restored init's pid here");
  app.add_option("id", f.id, "Container id")->required();
}

int run_checkpoint(CriuFlags& f, const std::string& root, const std::string& criu) {
  f.checkpoint.criu.criu = criu;
  return exit_status(checkpoint_container(root, f.id, f.checkpoint));
}

int run_restore(CriuFlags& f, const std::string& root, const std::string& criu) {
  f.restore.criu.criu = criu;
  auto status = restore_container(root, f.id, f.restore);
  if (!status) {
    report_error(status.error());
    return 1;
  }
  return *status;
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
  const bool pure_v2 = ::access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  const auto spec = default_oci_spec(f.rootless, ::getuid(), ::getgid(), last_cap, pure_v2);
  if (auto r = write_file_atomic(path, spec.dump(2) + "\n"); !r) {
    report_error(r.error());
    return 1;
  }
  return 0;
}

int run_create(const CreateFlags& f, const std::string& root, bool systemd_cgroup) {
  validate_container_id(f.id);
  warn_about_no_pivot(f.no_pivot);
  auto config = bundle_config(f.bundle, f.id, systemd_cgroup);
  config.process.preserve_fds = f.preserve_fds;
  return runc_failure(launch(config, create_request(root, f.bundle, f.pid_file, f.console_socket)));
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
  if (f.force && !find_container(root, f.id)) {
    validate_container_id(f.id);
    (void)remove_container(root, f.id, true);  // debris: a directory without a readable record
    return 0;                                  // as runc: delete --force of a container not there is done
  }
  return exit_status(delete_container(root, f.id, f.force));
}

void add_list_flags(CLI::App& app, ListFlags& f) {
  app.add_flag("-q,--quiet", f.quiet, "Print only the container ids");
  app.add_option("-f,--format", f.format, "table or json")->check(CLI::IsMember({"table", "json"}));
}

int run_list(const ListFlags& f, const std::string& root) {
  auto containers = list_containers(root);
  std::sort(containers.begin(), containers.end(),
            [](const ContainerView& a, const ContainerView& b) { return a.info.id < b.info.id; });
  if (f.quiet) {
    for (const auto& v : containers) {
      std::printf("%s\n", v.info.id.c_str());
    }
    return 0;
  }
  auto pid_of = [](const ContainerView& v) { return v.status == ContainerStatus::exited ? 0 : v.info.pid; };
  if (f.format == "json") {
    // In runc's field order: tests and scripts match the line as text.
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& v : containers) {
      out.push_back({{"ociVersion", kOciVersion},
                     {"id", v.info.id},
                     {"pid", pid_of(v)},
                     {"status", oci_status(v)},
                     {"bundle", v.info.bundle},
                     {"rootfs", v.info.rootfs},
                     {"created", v.info.created},
                     {"owner", "root"}});
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
  for (const auto& v : containers) {
    std::printf("%-20s %-8d %-10s %-40s %-30s %s\n", v.info.id.c_str(), pid_of(v), oci_status(v).c_str(),
                v.info.bundle.c_str(), v.info.created.c_str(), "root");
  }
  return 0;
}

int run_features() {
  std::printf("%s\n", oci_features_json().dump(2).c_str());
  return 0;
}

int run_bundle(const RunFlags& flags, const std::string& id, const std::string& root, bool systemd_cgroup) {
  validate_container_id(id);
  warn_about_no_pivot(flags.no_pivot);
  auto config = bundle_config(flags.bundle, id, systemd_cgroup);
  config.process.preserve_fds = flags.preserve_fds;
  if (flags.detach) {
    return run_bundle_detached(flags, config, root);
  }
  if (!flags.console_socket.empty()) {
    throw ConfigError(
        "run --console-socket without -d: not supported",
        "in the foreground barco relays the pty itself; add -d, or use create --console-socket and start");
  }
  LaunchRequest request;
  request.state_root = root;
  request.dry_run = flags.dry_run;
  request.timings = flags.timings;
  request.auto_remove = !flags.keep;
  request.bundle = absolute_bundle(flags.bundle);
  request.handover.pid_file = flags.pid_file;
  return launch(config, request);
}

}  // namespace barco::cli
