#include "cli/run_command.hpp"

#include "linux/seccomp.hpp"
#include "sys/clock.hpp"
#include "sys/files.hpp"

#include <barco/container_id.hpp>
#include <barco/defaults.hpp>
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

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace barco::cli {
namespace {

void set_shared(std::vector<NamespaceSetting>& namespaces, Namespace type, const std::string& value, const char* flag) {
  if (value.empty() || value == "private" || (type == Namespace::net && value == "none")) {
    return;
  }
  if (value != "host") {
    throw ConfigError(std::string(flag) + " '" + value + "': unknown mode", type == Namespace::net
                                                                                ? "use --network none or --network host"
                                                                                : "use " + std::string(flag) + " host");
  }
  for (auto& ns : namespaces) {
    if (ns.type == type) {
      ns.private_ns = false;
    }
  }
}

std::string checked_rootfs(const RunFlags& flags, const HostView& host) {
  if (flags.rootfs.empty()) {
    throw ConfigError("--rootfs is required",
                      "point it at a directory holding a root filesystem, e.g. ./rootfs/busybox (make rootfs)");
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
    r.cpus = parse_cpus(f.cpus, host.online_cpus());
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

// "0-1" or "0,2-3" (a kernel list file): the highest number + 1, or `fallback`.
int highest_listed_plus_one(const char* path, long fallback) {
  const auto text = read_file(path);
  const auto last = text ? text->find_last_of("0123456789") : std::string::npos;
  if (last == std::string::npos) {
    return static_cast<int>(fallback);
  }
  const auto before = text->find_last_not_of("0123456789", last);
  return std::atoi(text->c_str() + (before == std::string::npos ? 0 : before + 1)) + 1;
}

// Highest online CPU + 1 (a hole in the online list still counts as a CPU number).
int online_cpu_count() {
  return highest_listed_plus_one("/sys/devices/system/cpu/online", ::sysconf(_SC_NPROCESSORS_ONLN));
}

}  // namespace

std::optional<std::string> read_image_file(const std::string& root, const std::string& path) {
  auto r = read_file_in_root(root, path);
  if (!r && r.error().err != ENOENT) {
    throw ConfigError(r.error());  // a FIFO, a device, a huge file: refused, not read
  }
  return r ? std::optional<std::string>(std::move(r.value())) : std::nullopt;
}

HostView real_host() {
  HostView h;
  h.env = [](const std::string& key) -> std::optional<std::string> {
    const char* v = std::getenv(key.c_str());
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  h.stdin_is_tty = [] { return ::isatty(STDIN_FILENO) != 0; };
  h.read_host_file = [](const std::string& path) -> std::optional<std::string> {
    auto r = read_file(path);
    return r ? std::optional<std::string>(std::move(r.value())) : std::nullopt;
  };
  h.read_rootfs_file = [](const std::string& root, const std::string& path) -> std::optional<std::string> {
    return read_image_file(root, path);
  };
  h.check_directory = [](const std::string& path) -> std::string {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) {
      return std::strerror(errno);
    }
    return S_ISDIR(st.st_mode) ? "" : "not a directory";
  };
  h.exists = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  };
  h.absolute = [](const std::string& path) {
    char buf[PATH_MAX];
    return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
  };
  h.new_id = [] { return random_container_id(); };
  h.kernel_release = [] {
    utsname u{};
    return ::uname(&u) == 0 ? std::string(u.release) : std::string();
  };
  h.cap_last_cap = [] {
    auto text = read_file("/proc/sys/kernel/cap_last_cap");
    return text ? std::atoi(text->c_str()) : 40;
  };
  h.caller_bounding = [] {
    CapMask bounding = 0;
    for (int cap = 0; cap < 64; ++cap) {
      if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) {
        bounding |= cap_bit(cap);
      }
    }
    return bounding;
  };
  h.device_at = [](const std::string& path) -> std::optional<Device> {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
      return std::nullopt;
    }
    return Device{path, S_ISBLK(st.st_mode) ? 'b' : 'c', major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777};
  };
  h.host_devices = [device_at = h.device_at] {
    // docker's HostDevices: every node under /dev, except the container's own pts, shm and
    // mqueue instances.
    std::vector<Device> out;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator("/dev", ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      const auto path = it->path().string();
      if (path == "/dev/pts" || path == "/dev/shm" || path == "/dev/mqueue") {
        it.disable_recursion_pending();
        continue;
      }
      // /dev/ptmx is the container devpts's (a link), /dev/console its pty (runc skips both).
      if (!it->is_symlink(ec) && path != "/dev/ptmx" && path != "/dev/console") {
        if (auto d = device_at(path)) {
          out.push_back(*d);
        }
      }
    }
    return out;
  };
  h.cgroups = [] {
    const auto mountinfo = read_file("/proc/self/mountinfo");
    const auto own = read_file("/proc/self/cgroup");
    return parse_cgroup_host(mountinfo ? *mountinfo : "", own ? *own : "");
  };
  h.online_cpus = online_cpu_count;
  h.memory_nodes = [] { return highest_listed_plus_one("/sys/devices/system/node/online", 1); };
  // One path per online CPU, named rather than listed from /sys (a directory scan and a
  // stat per entry on every start): mask_paths skips the ones that do not exist.
  h.thermal_throttle_paths = [] {
    const int cpus = online_cpu_count();
    std::vector<std::string> out;
    out.reserve(static_cast<size_t>(std::max(cpus, 0)));
    for (int cpu = 0; cpu < cpus; ++cpu) {
      out.push_back("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/thermal_throttle");
    }
    return out;
  };
  return h;
}

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
  n.add_option("--network,--net", f.network, "none (a private namespace with lo up) or host");
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

  auto& oci = *run.add_option_group("OCI form (barco run --bundle DIR ID)");
  oci.add_option("-b,--bundle", f.bundle, "Run the bundle's config.json instead of these flags");
  oci.add_option("--pid-file", f.pid_file, "Write the container's pid to this file");
  oci.add_option("--console-socket", f.console_socket, "Send the pty master to this unix socket");
  oci.add_flag("--no-new-keyring", f.no_new_keyring, "Accepted (barco never creates a session keyring)");
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

  c.namespaces = default_namespaces();
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
  c.strict_cgroups = flags.strict_cgroups;
  if (flags.privileged) {
    if (c.has_private(Namespace::user)) {
      throw ConfigError("--privileged with --userns private",
                        "privileged mode is incompatible with user namespaces (as in docker): drop one of the two");
    }
    c = make_privileged(std::move(c), PrivilegedHost{host.caller_bounding(), host.host_devices()});
  }
  return c;
}

PlanHost plan_host(const HostView& host, const std::string& state_root) {
  return PlanHost{state_root, native_seccomp_arch(), KernelVersion::parse(host.kernel_release()), host.cap_last_cap(),
                  host.cgroups()};
}

PlanHost plan_host(const HostView& host, const std::string& state_root, const RunFlags& flags) {
  auto h = plan_host(host, state_root);
  if (flags.cgroups_mode == "disabled") {
    h.cgroups = CgroupHost{};  // as if the host had no cgroup filesystem: nothing is created
  }
  return h;
}

bool wants_overlay(const RunFlags& flags) {
  // With a private user namespace the layer would have to be reachable by the mapped root
  // through barco's root-only state directory, and upper/ needs user xattrs (tmpfs has them
  // only from Linux 6.6): -d then writes to the rootfs itself, and --overlay is refused.
  return flags.overlay || (flags.detach && !flags.no_overlay && flags.userns != "private");
}

StartupLaps::StartupLaps() : last_ns_(monotonic_ns()) {}

void StartupLaps::lap(const char* what) {
  const int64_t now = monotonic_ns();
  laps_.emplace_back(what, now - last_ns_);
  last_ns_ = now;
}

int run_config(ContainerConfig config, const RunFlags& flags, const HostView& host, const std::string& state_root,
               StartupLaps* startup) {
  if (!flags.console_socket.empty()) {
    throw ConfigError("run --console-socket: not supported",
                      "barco run relays the pty itself; an OCI caller uses create --console-socket, then start");
  }
  // The writable layer and the log live on disk under the data root, not in the state
  // root (/run: a tmpfs, so memory, on most hosts).
  const std::string data_dir =
      (flags.data_root.empty() ? std::string(kDefaultDataRoot) : flags.data_root) + "/" + config.id;
  const int64_t log_limit =
      flags.log_max_size.empty() ? kDefaultLogLimit : parse_size(flags.log_max_size, "--log-max-size");
  if (flags.overlay && config.has_private(Namespace::user)) {
    throw ConfigError("--overlay with --userns private is not supported",
                      "drop --overlay (the container then writes to the rootfs directory), or --userns private");
  }
  if (wants_overlay(flags)) {
    if (config.root.path.find_first_of(",:\\") != std::string::npos) {
      throw ConfigError("--overlay: the rootfs path '" + config.root.path + "' contains ',', ':' or '\\'",
                        "overlayfs options cannot carry them; move or link the rootfs to a plain path");
    }
    config.root.overlay_dir = data_dir + "/overlay";
  }
  if (flags.detach) {
    config.process.output_file = data_dir + "/container.log";
    config.freezer = true;
  }
  if (config.seccomp_explicit && config.seccomp) {
    for (const auto& name : unknown_syscall_names(*config.seccomp)) {
      spdlog::warn("seccomp profile {}: '{}' is not a syscall on any architecture libseccomp knows (a typo?)",
                   config.seccomp->source, name);
    }
  }
  const auto where = plan_host(host, state_root, flags);
  if (!config.device_rules.empty() && where.cgroups.mode == CgroupMode::none && !flags.dry_run) {
    spdlog::warn("device access is not restricted: {}", flags.cgroups_mode == "disabled"
                                                            ? "--cgroups disabled"
                                                            : "this host has no cgroup filesystem mounted");
  }
  const auto plan = build_plan(config, where);
  if (startup != nullptr) {
    startup->lap("plan");
  }
  for (const auto& problem : plan.unenforced) {
    if (config.strict_cgroups) {
      throw ConfigError(problem, "--strict-cgroups makes a limit that cannot be enforced an error");
    }
    spdlog::warn("{}", problem);
  }
  if (flags.dry_run) {
    std::fputs(format_plan(plan).c_str(), stdout);
    return 0;
  }
  if (::geteuid() != 0) {
    throw ConfigError("barco run: not running as root",
                      "creating namespaces and mounts needs root: run it with sudo (--dry-run works without)");
  }
  RunOptions options;
  options.log_steps = spdlog::should_log(spdlog::level::debug);
  options.timings = flags.timings;
  if (startup != nullptr) {
    options.startup_ns = startup->laps();
  }
  options.state_root = state_root;
  options.detach = flags.detach;
  options.auto_remove = !flags.detach || flags.auto_remove;
  options.handover.pid_file = flags.pid_file;
  if (!config.root.overlay_dir.empty() || !config.process.output_file.empty()) {
    options.data_dir = data_dir;
  }
  options.log_limit = log_limit;
  return run_container(plan, options);
}

}  // namespace barco::cli
