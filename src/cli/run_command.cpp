#include "cli/run_command.hpp"

#include <barco/container_id.hpp>
#include <barco/defaults.hpp>
#include <barco/files.hpp>
#include <barco/network.hpp>
#include <barco/privileged.hpp>
#include <barco/runtime.hpp>
#include <barco/user_db.hpp>

#include <climits>
#include <spdlog/spdlog.h>

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace barco::cli {
namespace {

void set_shared(std::vector<NamespaceSetting>& namespaces, Namespace type, const std::string& value, const char* flag) {
  if (value.empty() || value == "private" ||
      (type == Namespace::net && (value == "none" || value == "bridge" || value.rfind("container:", 0) == 0))) {
    return;
  }
  if (value != "host") {
    throw ConfigError(std::string(flag) + " '" + value + "': unknown mode",
                      type == Namespace::net ? "use --network bridge, none, host or container:ID"
                                             : "use " + std::string(flag) + " host");
  }
  for (auto& ns : namespaces) {
    if (ns.type == type) {
      ns.private_ns = false;
    }
  }
}

// docker's modes and files; --dns and friends only where the container has a network of its
// own to describe (a container:ID shares the other's files, as in docker).
NetworkConfig network_config(const RunFlags& flags) {
  NetworkConfig n;
  n.write_name_files = true;
  const std::string& mode = flags.network;
  if (mode == "bridge") {
    n.mode = NetworkMode::bridge;
  } else if (mode == "none") {
    n.mode = NetworkMode::none;
  } else if (mode == "host") {
    n.mode = NetworkMode::host;
  } else if (mode.rfind("container:", 0) == 0 && mode.size() > 10) {
    n.mode = NetworkMode::container;
    n.container = mode.substr(10);
    validate_container_id(n.container);
  } else {
    throw ConfigError("--network '" + mode + "': unknown mode", "use --network bridge, none, host or container:ID");
  }
  for (const auto& p : flags.publish) {
    const auto ports = parse_publish(p);
    n.publish.insert(n.publish.end(), ports.begin(), ports.end());
  }
  if (!n.publish.empty() && n.mode != NetworkMode::bridge) {
    throw ConfigError("-p with --network " + mode + ": only a bridged container has ports to publish",
                      n.mode == NetworkMode::host ? "with --network host the container's ports are the host's already"
                                                  : "drop -p, or use --network bridge");
  }
  for (const auto& h : flags.add_hosts) {
    n.add_hosts.push_back(parse_add_host(h));
  }
  for (const auto& d : flags.dns) {
    if (!parse_ipv4(d)) {
      throw ConfigError("--dns '" + d + "': not an IPv4 address", "e.g. --dns 9.9.9.9");
    }
  }
  n.dns = flags.dns;
  n.dns_search = flags.dns_search;
  if (n.mode == NetworkMode::container &&
      (!n.add_hosts.empty() || !n.dns.empty() || !n.dns_search.empty() || !flags.hostname.empty())) {
    throw ConfigError("--network container:" + n.container + " with --add-host, --dns, --dns-search or --hostname",
                      "the container shares the other's network, and with it its name files and hostname");
  }
  return n;
}

std::string checked_rootfs(const RunFlags& flags, const HostView& host) {
  if (flags.rootfs.empty()) {
    throw ConfigError("--rootfs is required",
                      "point it at a directory holding a root filesystem, e.g. ./rootfs/busybox (make rootfs); "
                      "or, as runc, `barco run ID` in a bundle directory (a config.json)");
  }
  std::string path = host.absolute(flags.rootfs);
  if (const auto why = host.check_directory(path); !why.empty()) {
    throw ConfigError(
        "--rootfs '" + flags.rootfs + "': " + why,
        "build the busybox rootfs with `make rootfs`, or unpack an image (e.g. an Alpine minirootfs) there");
  }
  if (path == "/") {
    throw ConfigError("--rootfs '/': the host's root cannot be a container's root", "use a separate directory");
  }
  return path;
}

std::vector<std::string> collect_env(const RunFlags& flags, const HostView& host) {
  std::vector<std::string> out;
  for (const auto& file : flags.env_files) {
    const auto content = host.read_host_file(file);
    if (!content) {
      throw ConfigError("--env-file '" + file + "': cannot be read", "check the path and its permissions");
    }
    const auto entries = parse_env_file(*content, host.env);
    out.insert(out.end(), entries.begin(), entries.end());
  }
  for (const auto& e : flags.env) {
    if (auto entry = parse_env_entry(e, host.env)) {
      out.push_back(std::move(*entry));
    }
  }
  return out;
}

std::vector<IdMapping> userns_range(const HostView& host, const std::string& file) {
  const auto content = host.read_host_file(file).value_or("");
  if (const auto range = find_subid_range(content, "root")) {
    return {*range};
  }
  const auto fallback = fallback_subid_range(content);
  spdlog::warn(
      "--userns private: {} has no range for root; using {}:{}, which no range there overlaps (add "
      "\"root:START:65536\" to /etc/subuid and /etc/subgid to choose)",
      file, fallback.host_id, fallback.size);
  return {fallback};
}

Resources resources_from_flags(const RunFlags& f, const HostView& host) {
  Resources r;
  constexpr int64_t kMinMemory = int64_t{6} * 1024 * 1024;  // docker's minimum
  if (!f.memory.empty()) {
    r.memory = parse_size(f.memory, "--memory");
    if (*r.memory < kMinMemory) {
      throw ConfigError("--memory '" + f.memory + "': below the minimum of 6m", "a container needs at least 6 MiB");
    }
  }
  if (!f.memory_swap.empty()) {
    r.memory_swap = parse_size(f.memory_swap, "--memory-swap", true);
    if (!r.memory) {
      throw ConfigError("--memory-swap without --memory", "set --memory too: --memory-swap is memory plus swap");
    }
    if (*r.memory_swap != -1 && *r.memory_swap < *r.memory) {
      throw ConfigError("--memory-swap '" + f.memory_swap + "': smaller than --memory",
                        "--memory-swap is the total of memory and swap, so it is at least --memory");
    }
  }
  if (!f.memory_reservation.empty()) {
    r.memory_reservation = parse_size(f.memory_reservation, "--memory-reservation");
  }
  if (!f.cpus.empty()) {
    constexpr int64_t kPeriod = 100000;
    r.cpu_quota = CpuQuota{std::llround(parse_cpus(f.cpus, host.online_cpus()) * kPeriod), kPeriod};
  }
  if (!f.cpu_shares.empty()) {
    r.cpu_shares = parse_int_in(f.cpu_shares, "--cpu-shares", 2, 262144);
  }
  if (!f.cpu_weight.empty()) {
    r.cpu_weight = parse_int_in(f.cpu_weight, "--cpu-weight", 1, 10000);
  }
  if (!f.pids_limit.empty()) {
    r.pids_limit = f.pids_limit == "-1" ? -1 : parse_int_in(f.pids_limit, "--pids-limit", 1, int64_t{1} << 31);
  }
  if (!f.cpuset_cpus.empty()) {
    r.cpuset_cpus = parse_cpu_list(f.cpuset_cpus, "--cpuset-cpus", host.online_cpus());
  }
  if (!f.cpuset_mems.empty()) {
    r.cpuset_mems = parse_cpu_list(f.cpuset_mems, "--cpuset-mems", host.memory_nodes());
  }
  if (!f.blkio_weight.empty()) {
    r.blkio_weight = parse_int_in(f.blkio_weight, "--blkio-weight", 10, 1000);
  }
  return r;
}

Device device_from_spec(const DeviceSpec& spec, const HostView& host) {
  auto d = host.device_at(spec.host_path);
  if (!d) {
    throw ConfigError("--device '" + spec.host_path + "': not a character or block device on this host",
                      "name a node under /dev, e.g. --device /dev/fuse");
  }
  d->path = spec.container_path;
  return *d;
}

void apply_security(ContainerConfig& c, const RunFlags& flags, const HostView& host) {
  const auto opts = parse_security_options(flags.security_opts);
  CapMask caps = 0;
  CapMask added = 0;
  try {
    caps = apply_cap_flags(docker_default_caps(), flags.cap_add, flags.cap_drop);
    added = cap_mask_of(flags.cap_add);
  } catch (const ConfigError& e) {
    throw ConfigError("--cap-add/--cap-drop: " + e.error().call, e.error().hint);
  }
  // A process can only hand out capabilities it may hold itself.
  const CapMask own = host.caller_bounding();
  if ((added & ~own) != 0) {
    throw ConfigError(
        "--cap-add: barco itself does not hold " + capability_names(added & ~own),
        "its capability bounding set lacks it (see CapBnd in /proc/self/status), so no container it starts "
        "can have it");
  }
  caps &= own;
  c.process.capabilities = capabilities_for(caps, added, c.process.user.uid);
  c.process.no_new_privileges = opts.no_new_privileges;
  if (!opts.systempaths_unconfined) {
    c.masked_paths = default_masked_paths();
    const auto thermal = host.thermal_throttle_paths();
    c.masked_paths.insert(c.masked_paths.end(), thermal.begin(), thermal.end());
    c.readonly_paths = default_readonly_paths();
  }
  if (opts.seccomp == "unconfined") {
    c.seccomp_explicit = true;
    return;
  }
  if (opts.seccomp) {
    const auto text = host.read_host_file(*opts.seccomp);
    if (!text) {
      throw ConfigError("--security-opt seccomp=" + *opts.seccomp + ": cannot be read",
                        "check the path and its permissions");
    }
    c.seccomp = parse_seccomp_profile(*text, *opts.seccomp);
    c.seccomp_explicit = true;
  } else {
    c.seccomp = builtin_seccomp_profile_parsed();
  }
}

}  // namespace

void add_run_flags(CLI::App& run, RunFlags& f) {
  run.footer(
      "Usage: barco run [OPTIONS] --rootfs DIR [--] COMMAND [ARG...]\nEverything from COMMAND on is passed to the "
      "container, flags included.");
  // Option groups: CLI11 checks each new option against every option of its own group, so
  // six groups of ten cost a fifth of one group of sixty (a start is short), and --help
  // reads better.
  auto& c = *run.add_option_group("Container");
  c.add_option("--rootfs", f.rootfs, "Directory holding the container's root filesystem");
  c.add_option("--name", f.name, "Container id (default: a random 12-hex id)");
  c.add_option("--hostname", f.hostname, "Hostname inside the container (default: the id)");
  c.add_flag("-d,--detach", f.detach, "Run in the background: print the id; see barco ps, logs, exec, stop, rm");
  c.add_flag("--rm", f.auto_remove, "Remove the container when it exits (always so without -d)");
  c.add_flag("--overlay", f.overlay, "Copy-on-write rootfs: writes go to a layer removed with the container");
  c.add_flag("--no-overlay", f.no_overlay, "With -d: write to the rootfs directory itself");
  c.add_option("--log-max-size", f.log_max_size,
               "With -d: the log's size limit; later output is dropped (default 64m)");
  c.add_flag("--read-only", f.read_only, "Mount the rootfs read-only");
  c.add_option("-v,--volume", f.volumes, "Bind mount HOST:CONTAINER[:ro|rw]");
  c.add_option("--tmpfs", f.tmpfs, "Mount a tmpfs: PATH[:OPTIONS]");
  c.add_flag("--init", f.init, "Run barco's minimal init as PID 1 (reaps zombies, forwards signals)");
  c.add_flag("--dry-run", f.dry_run, "Print the plan and exit without touching anything");
  c.add_flag("--timings", f.timings, "After the run, print how long each step took (parent and child) to stderr");

  auto& p = *run.add_option_group("Process");
  p.add_option("-e,--env", f.env, "Set an environment variable: K=V, or K to pass the caller's value");
  p.add_option("--env-file", f.env_files, "Read K=V lines from a file");
  p.add_option("-w,--workdir", f.workdir, "Working directory inside the container (created if missing)");
  p.add_option("-u,--user", f.user, "UID[:GID] or NAME[:GROUP] from the rootfs's /etc/passwd");
  p.add_flag("-t,--tty", f.tty, "Allocate a pty (default when stdin is a terminal)");
  p.add_flag("-T,--no-tty", f.no_tty, "Never allocate a pty");
  p.add_flag("-i,--interactive", f.interactive, "Keep stdin open (default when stdin is a terminal)");
  p.add_option("--ulimit", f.ulimits, "Resource limit NAME=SOFT[:HARD]");

  auto& n = *run.add_option_group("Namespaces");
  n.add_option("--network,--net", f.network,
               "bridge (default: a veth on barco0, NAT out), none (lo only), host, or container:ID (share its)");
  n.add_option("-p,--publish", f.publish,
               "Publish a port (bridge): [IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp], ranges too");
  n.add_option("--add-host", f.add_hosts, "Add NAME:IP to the container's /etc/hosts");
  n.add_option("--dns", f.dns, "Nameserver for the container's /etc/resolv.conf (instead of the host's)");
  n.add_option("--dns-search", f.dns_search, "Search domain for the container's /etc/resolv.conf");
  n.add_option("--pid", f.pid, "host: share the host's pid namespace");
  n.add_option("--ipc", f.ipc, "host: share the host's ipc namespace");
  n.add_option("--uts", f.uts, "host: share the host's hostname");
  n.add_option("--userns", f.userns, "host (default) or private: map container ids to an unprivileged host range");

  auto& sec = *run.add_option_group("Security");
  sec.add_option("--cap-add", f.cap_add, "Add a capability (SYS_ADMIN, CAP_NET_ADMIN, ALL, ...)");
  sec.add_option("--cap-drop", f.cap_drop, "Drop a capability (or ALL)");
  sec.add_option("--security-opt", f.security_opts,
                 "no-new-privileges, seccomp=FILE|unconfined, systempaths=unconfined");
  sec.add_option("--device", f.devices, "Add a host device: HOST[:CONTAINER][:PERMISSIONS]");
  sec.add_flag(
      "--privileged", f.privileged,
      "Turn off docker's protections: all capabilities, no seccomp, no masked paths, /sys writable, host devices");

  auto& r = *run.add_option_group("Resources");
  r.add_option("-m,--memory", f.memory, "Memory limit (64m, 1g, ...)");
  r.add_option("--memory-swap", f.memory_swap, "Memory + swap limit (-1: unlimited swap)");
  r.add_option("--memory-reservation", f.memory_reservation, "Memory soft limit");
  r.add_option("--cpus", f.cpus, "CPU quota in CPUs (0.5 = half of one CPU)");
  r.add_option("-c,--cpu-shares", f.cpu_shares, "Relative CPU weight, docker's scale (2-262144, default 1024)");
  r.add_option("--cpu-weight", f.cpu_weight, "Relative CPU weight, cgroup v2's scale (1-10000, default 100)");
  r.add_option("--pids-limit", f.pids_limit, "Maximum number of processes (-1: unlimited)");
  r.add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs the container may run on (0-1,3)");
  r.add_option("--cpuset-mems", f.cpuset_mems, "Memory nodes the container may use");
  r.add_option("--blkio-weight", f.blkio_weight, "Relative block I/O weight (10-1000)");
  r.add_option("--cgroup-parent", f.cgroup_parent, "Parent cgroup, below barco's own (default: barco)");
  r.add_flag("--strict-cgroups", f.strict_cgroups, "Fail instead of warning when a limit cannot be enforced");
  r.add_option("--cgroups", f.cgroups_mode, "enabled (default) or disabled: create no cgroups at all")
      ->check(CLI::IsMember({"enabled", "disabled"}));

  auto& oci = *run.add_option_group("OCI form (barco run [--bundle DIR] ID; the bundle defaults to ., as runc's)");
  oci.add_option("-b,--bundle", f.bundle, "Run the bundle's config.json instead of these flags");
  oci.add_option("--pid-file", f.pid_file, "Write the container's pid to this file");
  oci.add_option("--console-socket", f.console_socket, "With -d: send the pty master to this unix socket");
  oci.add_flag("--no-new-keyring", f.no_new_keyring, "Accepted (barco never creates a session keyring)");
  oci.add_flag("--keep", f.keep, "Keep the stopped container's record until delete");
  oci.add_flag("--no-pivot", f.no_pivot, "Accepted with a warning: barco always uses pivot_root");
  oci.add_option("--preserve-fds", f.preserve_fds,
                 "Pass the caller's fds 3 to 3+N-1 to the command (files, pipes, sockets; never a directory)");
}

namespace {

// True when `arg` (one word starting with '-') consumes the next word as its value.
bool takes_separate_value(const CLI::App& run, const std::string& arg) {
  if (arg.rfind("--", 0) == 0) {
    if (arg.find('=') != std::string::npos) {
      return false;
    }
    const auto* opt = run.get_option_no_throw(arg);
    return opt != nullptr && opt->get_expected_max() > 0;
  }
  // A cluster of short options: "-it" (flags) or "-eK=V" (value attached).
  const auto* opt = run.get_option_no_throw(arg.substr(0, 2));
  return opt != nullptr && opt->get_expected_max() > 0 && arg.size() == 2;
}

}  // namespace

size_t find_command_start(const CLI::App& run, const std::vector<std::string>& args, size_t first) {
  for (size_t i = first; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--" || a.empty() || a.front() != '-' || a == "-") {
      return i;
    }
    if (takes_separate_value(run, a)) {
      ++i;
    }
  }
  return args.size();
}

std::vector<std::string> command_from_args(const std::vector<std::string>& args, size_t start) {
  std::vector<std::string> cmd(args.begin() + static_cast<std::ptrdiff_t>(std::min(start, args.size())), args.end());
  if (!cmd.empty() && cmd.front() == "--") {
    cmd.erase(cmd.begin());
  }
  if (cmd.empty()) {
    throw ConfigError("run: no command given", "for example: barco run --rootfs ./rootfs/busybox -- sh");
  }
  return cmd;
}

ContainerConfig config_from_flags(const RunFlags& flags, const HostView& host) {
  ContainerConfig c;
  c.id = flags.name.empty() ? host.new_id() : flags.name;
  validate_container_id(c.id);
  c.root.path = checked_rootfs(flags, host);
  c.root.readonly = flags.read_only;
  c.process.preserve_fds = flags.preserve_fds;

  c.namespaces = default_namespaces();
  c.network = network_config(flags);
  set_shared(c.namespaces, Namespace::net, flags.network, "--network");
  set_shared(c.namespaces, Namespace::pid, flags.pid, "--pid");
  set_shared(c.namespaces, Namespace::ipc, flags.ipc, "--ipc");
  set_shared(c.namespaces, Namespace::uts, flags.uts, "--uts");
  if (flags.userns == "private") {
    for (auto& ns : c.namespaces) {
      if (ns.type == Namespace::user) {
        ns.private_ns = true;
      }
    }
    c.uid_mappings = userns_range(host, "/etc/subuid");
    c.gid_mappings = userns_range(host, "/etc/subgid");
  } else if (flags.userns != "host" && !flags.userns.empty()) {
    throw ConfigError("--userns '" + flags.userns + "': unknown mode", "use --userns host or --userns private");
  }

  c.hostname = flags.hostname.empty() ? c.id : flags.hostname;
  if (c.hostname.size() > 64) {
    throw ConfigError("--hostname '" + c.hostname + "': longer than 64 characters", "the kernel limit is 64");
  }
  if (!flags.hostname.empty() && !c.has_private(Namespace::uts)) {
    throw ConfigError("--hostname with --uts host",
                      "a shared UTS namespace keeps the host's name; drop one of the two");
  }

  if (flags.detach && flags.interactive) {
    throw ConfigError("-i with -d: a detached container has no stdin to keep open",
                      "barco has no attach; use barco exec -it ID sh to get a shell in it");
  }
  // Detached: a pty only when asked for (-t), and its output goes to the log.
  const bool tty_in = !flags.detach && host.stdin_is_tty();
  c.process.terminal = !flags.no_tty && (flags.tty || tty_in);
  c.process.stdin_open = flags.interactive || tty_in;
  c.process.args = flags.command;
  c.process.cwd = flags.workdir.empty() ? "/" : flags.workdir;
  if (c.process.cwd.front() != '/') {
    throw ConfigError("--workdir '" + flags.workdir + "': not an absolute path", "for example -w /tmp");
  }

  std::string home = "/root";
  if (!flags.user.empty()) {
    const auto spec = parse_user_spec(flags.user);
    const auto passwd = host.read_rootfs_file(c.root.path, "/etc/passwd").value_or("");
    const auto group = host.read_rootfs_file(c.root.path, "/etc/group").value_or("");
    auto resolved = resolve_user(spec, passwd, group);
    c.process.user = std::move(resolved.user);
    home = resolved.home;
  } else {
    const auto passwd = host.read_rootfs_file(c.root.path, "/etc/passwd").value_or("");
    home = resolve_user(UserSpec{"0", std::nullopt}, passwd, "").home;
    if (home == "/" && passwd.empty()) {
      home = "/root";
    }
  }
  const std::string env_hostname = c.has_private(Namespace::uts) ? c.hostname : "";
  auto base = default_env(env_hostname, home, c.process.terminal);
  if (env_hostname.empty()) {
    base.erase(
        std::remove_if(base.begin(), base.end(), [](const std::string& e) { return e.rfind("HOSTNAME=", 0) == 0; }),
        base.end());
  }
  c.process.env = merge_env(base, collect_env(flags, host));
  for (const auto& u : flags.ulimits) {
    c.process.rlimits.push_back(parse_ulimit(u));
  }

  apply_security(c, flags, host);
  c.mounts = default_mounts();
  for (const auto& v : flags.volumes) {
    auto m = parse_volume(v);
    if (!host.exists(m.source)) {
      throw ConfigError("--volume '" + v + "': the host path " + m.source + " does not exist",
                        "create it first, or fix the path");
    }
    c.mounts.push_back(std::move(m));
  }
  for (const auto& t : flags.tmpfs) {
    c.mounts.push_back(parse_tmpfs(t));
  }
  c.devices = default_devices();
  c.device_rules = default_device_rules();
  for (const auto& d : flags.devices) {
    const auto spec = parse_device_spec(d);
    c.devices.push_back(device_from_spec(spec, host));
    const auto& dev = c.devices.back();
    c.device_rules.push_back({true, dev.type, dev.major, dev.minor, spec.permissions});
  }
  c.init = flags.init;
  c.resources = resources_from_flags(flags, host);
  c.cgroup_parent = flags.cgroup_parent.empty() ? "barco" : flags.cgroup_parent;
  if (c.cgroup_parent.front() == '/' || c.cgroup_parent.find("..") != std::string::npos) {
    throw ConfigError("--cgroup-parent '" + c.cgroup_parent + "': must be a relative path without ..",
                      "it is created below barco's own cgroup, e.g. --cgroup-parent ci/jobs");
  }
  if (flags.privileged) {
    if (c.has_private(Namespace::user)) {
      throw ConfigError("--privileged with --userns private",
                        "privileged mode is incompatible with user namespaces (as in docker): drop one of the two");
    }
    c = make_privileged(std::move(c), PrivilegedHost{host.caller_bounding(), host.host_devices()});
  }
  return c;
}

bool wants_overlay(const RunFlags& flags) {
  // With a private user namespace the layer would have to be reachable by the mapped root
  // through barco's root-only state directory, and upper/ needs user xattrs (tmpfs has them
  // only from Linux 6.6): -d then writes to the rootfs itself, and --overlay is refused.
  return flags.overlay || (flags.detach && !flags.no_overlay && flags.userns != "private");
}

int run_config(const ContainerConfig& config, const RunFlags& flags, const std::string& state_root,
               StartupLaps* startup) {
  if (!flags.console_socket.empty()) {
    throw ConfigError("run --console-socket: not supported",
                      "barco run relays the pty itself; an OCI caller uses create --console-socket, then start");
  }
  if (flags.overlay && config.has_private(Namespace::user)) {
    throw ConfigError("--overlay with --userns private is not supported",
                      "drop --overlay (the container then writes to the rootfs directory), or --userns private");
  }
  LaunchRequest request;
  request.state_root = state_root;
  request.data_root = flags.data_root.empty() ? std::string(kDefaultDataRoot) : flags.data_root;
  request.overlay = wants_overlay(flags);
  if (request.overlay && config.root.path.find_first_of(",:\\") != std::string::npos) {
    throw ConfigError("--overlay: the rootfs path '" + config.root.path + "' contains ',', ':' or '\\'",
                      "overlayfs options cannot carry them; move or link the rootfs to a plain path");
  }
  request.detach = flags.detach;
  request.auto_remove = !flags.detach || flags.auto_remove;
  request.strict_cgroups = flags.strict_cgroups;
  request.cgroups_disabled = flags.cgroups_mode == "disabled";
  request.dry_run = flags.dry_run;
  request.timings = flags.timings;
  request.log_limit = flags.log_max_size.empty() ? kDefaultLogLimit : parse_size(flags.log_max_size, "--log-max-size");
  request.handover.pid_file = flags.pid_file;
  request.startup = startup;
  return launch(config, request);
}

}  // namespace barco::cli
