#include "cli/run_command.hpp"

#include "sys/files.hpp"

#include <barco/container_id.hpp>
#include <barco/defaults.hpp>
#include <barco/user_db.hpp>

#include <climits>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

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
  const auto content = host.read_host_file(file);
  const auto range = content ? find_subid_range(*content, "root") : std::nullopt;
  return {range.value_or(kDefaultUsernsRange)};
}

}  // namespace

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
    auto r = read_file_in_root(root, path);
    return r ? std::optional<std::string>(std::move(r.value())) : std::nullopt;
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
  return h;
}

void add_run_flags(CLI::App& run, RunFlags& f) {
  run.footer(
      "Usage: barco run [OPTIONS] --rootfs DIR [--] COMMAND [ARG...]\nEverything from COMMAND on is passed to the "
      "container, flags included.");
  run.add_option("--rootfs", f.rootfs, "Directory holding the container's root filesystem")->required();
  run.add_option("--name", f.name, "Container id (default: a random 12-hex id)");
  run.add_option("--hostname", f.hostname, "Hostname inside the container (default: the id)");
  run.add_option("-e,--env", f.env, "Set an environment variable: K=V, or K to pass the caller's value");
  run.add_option("--env-file", f.env_files, "Read K=V lines from a file");
  run.add_option("-w,--workdir", f.workdir, "Working directory inside the container (created if missing)");
  run.add_option("-u,--user", f.user, "UID[:GID] or NAME[:GROUP] from the rootfs's /etc/passwd");
  run.add_flag("-t,--tty", f.tty, "Allocate a pty (default when stdin is a terminal)");
  run.add_flag("-T,--no-tty", f.no_tty, "Never allocate a pty");
  run.add_flag("-i,--interactive", f.interactive, "Keep stdin open (default when stdin is a terminal)");
  run.add_option("-v,--volume", f.volumes, "Bind mount HOST:CONTAINER[:ro|rw]");
  run.add_option("--tmpfs", f.tmpfs, "Mount a tmpfs: PATH[:OPTIONS]");
  run.add_flag("--read-only", f.read_only, "Mount the rootfs read-only");
  run.add_option("--network,--net", f.network, "none (a private namespace with lo up) or host");
  run.add_option("--pid", f.pid, "host: share the host's pid namespace");
  run.add_option("--ipc", f.ipc, "host: share the host's ipc namespace");
  run.add_option("--uts", f.uts, "host: share the host's hostname");
  run.add_option("--userns", f.userns, "host (default) or private: map container ids to an unprivileged host range");
  run.add_option("--ulimit", f.ulimits, "Resource limit NAME=SOFT[:HARD]");
  run.add_flag("--init", f.init, "Run barco's minimal init as PID 1 (reaps zombies, forwards signals)");
  run.add_flag("--dry-run", f.dry_run, "Print the plan and exit without touching anything");
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

  const bool tty_in = host.stdin_is_tty();
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
  c.init = flags.init;
  return c;
}

}  // namespace barco::cli
