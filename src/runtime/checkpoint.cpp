#include "runtime/checkpoint.hpp"

#include "linux/terminal.hpp"
#include "runtime/containers.hpp"
#include "runtime/parent.hpp"
#include "runtime/state.hpp"

#include <barco/files.hpp>
#include <barco/oci.hpp>
#include <barco/parse.hpp>

#include <climits>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace barco {
namespace {

// barco's own files inside CRIU's image directory: the record, the exec context and the
// init's stdio, which restore needs and CRIU does not keep.
constexpr const char* kSavedDir = "/barco";

const char* verb_name(CriuVerb verb) {
  return verb == CriuVerb::checkpoint ? "checkpoint" : "restore";
}

Result<void> check_container(CriuVerb verb, const std::string& id, const std::optional<ContainerView>& existing) {
  if (verb == CriuVerb::restore) {
    if (existing) {
      return Error{EEXIST, "restore", "container '" + id + "' exists",
                   "restore makes a new container: barco delete it first, or choose another id"};
    }
    return {};
  }
  if (!existing) {
    return Error{ENOENT, "checkpoint", "no container '" + id + "'", "barco list shows them"};
  }
  if (existing->status != ContainerStatus::running && existing->status != ContainerStatus::paused) {
    return Error{EINVAL, "checkpoint", "container '" + id + "' is " + status_name(existing->status),
                 "only a running container can be checkpointed"};
  }
  if (!existing->info.oci) {
    return Error{EINVAL, "checkpoint", "container '" + id + "' was made by barco run",
                 "checkpoint takes OCI containers (create, run --bundle): a barco run container's monitor is its "
                 "parent, and CRIU would leave it behind"};
  }
  return {};
}

std::string work_dir(const CriuOptions& o) {
  return o.work_path.empty() ? o.image_path : o.work_path;
}

void add_criu_switches(const CriuOptions& o, std::vector<std::string>& args) {
  args.emplace_back("--manage-cgroups");
  for (const auto& [on, name] :
       {std::pair{o.tcp_established, "--tcp-established"}, std::pair{o.ext_unix_sk, "--ext-unix-sk"},
        std::pair{o.shell_job, "--shell-job"}, std::pair{o.file_locks, "--file-locks"}}) {
    if (on) {
      args.emplace_back(name);
    }
  }
}

std::string absolute(const std::string& path) {
  std::error_code ec;
  const auto p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

// CRIU runs in another working directory's terms: --images-dir and --work-dir are made
// absolute, as runc's relative defaults are meant from the caller's.
void with_absolute_paths(CriuOptions& o) {
  o.image_path = absolute(o.image_path);
  o.work_path = o.work_path.empty() ? "" : absolute(o.work_path);
}

std::optional<ContainerView> existing_container(const std::string& root, const std::string& id) {
  if (auto v = find_container(root, id)) {
    return *v;
  }
  return std::nullopt;
}

Result<void> make_dir(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return Error{ec.value(), {}, "mkdir -p " + path, {}};
  }
  return {};
}

StdioLinks stdio_of(pid_t pid) {
  StdioLinks links;
  for (int fd = 0; fd < 3; ++fd) {
    char target[PATH_MAX];
    const auto link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    links[static_cast<size_t>(fd)] = n > 0 ? std::string(target, static_cast<size_t>(n)) : "";
  }
  return links;
}

// CRIU cannot dump an fd of a file outside the container's mounts (the host's /dev/null,
// a log file): said before CRIU is asked, with what would work instead.
Result<void> check_stdio(const StdioLinks& stdio) {
  for (size_t fd = 0; fd < stdio.size(); ++fd) {
    const auto& link = stdio[fd];
    if (!link.empty() && link.rfind("pipe:", 0) != 0) {
      return Error{EINVAL, "checkpoint", "the container's fd " + std::to_string(fd) + " is " + link,
                   "CRIU takes pipes for stdio (conmon's and containerd's shim give them): a file of the host is "
                   "outside the container's mounts"};
    }
  }
  return {};
}

// CRIU finds an fd's file through the mount it was opened on (/proc/PID/fdinfo's mnt_id),
// which must be one of the container's.
bool opened_in_own_mounts(pid_t pid, int fd) {
  const auto base = "/proc/" + std::to_string(pid);
  const auto fdinfo = read_file(base + "/fdinfo/" + std::to_string(fd));
  const auto mountinfo = read_file(base + "/mountinfo");
  if (!fdinfo || !mountinfo) {
    return true;  // CRIU will say what it cannot find
  }
  const auto at = fdinfo->find("mnt_id:");
  if (at == std::string::npos) {
    return true;
  }
  std::istringstream field(fdinfo->substr(at + 7));
  std::string id;
  field >> id;
  const auto lines = split(*mountinfo, '\n');
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(id + " ", 0) == 0; });
}

// The pty slave the init's stdin is: its device and devpts instance name it for CRIU.
Result<std::string> terminal_of(pid_t pid) {
  struct stat st {};
  const auto fd0 = "/proc/" + std::to_string(pid) + "/fd/0";
  if (::stat(fd0.c_str(), &st) != 0) {
    return errno_error("stat " + fd0);
  }
  if (!S_ISCHR(st.st_mode)) {
    return Error{EINVAL, "checkpoint", "the container has a terminal, but its fd 0 is not one", {}};
  }
  if (!opened_in_own_mounts(pid, 0)) {
    return Error{EINVAL, "checkpoint", "the container's terminal was opened outside its mounts",
                 "a container restored with a terminal got its pty from barco, which CRIU cannot take along again "
                 "yet"};
  }
  return tty_key(st.st_rdev, st.st_dev);
}

Result<void> save_record(const ContainerView& v, const std::string& saved, const std::string& tty) {
  if (auto r = make_dir(saved); !r) {
    return r;
  }
  for (const char* name : {"/state.json", "/config.json", "/seccomp.bpf"}) {
    auto text = read_file(v.dir + name);
    if (!text) {
      if (std::string(name) == "/seccomp.bpf") {
        continue;  // a container without a filter
      }
      return text.error();
    }
    if (auto r = write_file_atomic(saved + name, *text); !r) {
      return r;
    }
  }
  if (auto r = write_file_atomic(saved + "/tty", tty); !r) {
    return r;
  }
  return write_file_atomic(saved + "/stdio.json", nlohmann::json(stdio_of(v.info.pid)).dump() + "\n");
}

Result<ContainerConfig> saved_config(const std::string& saved, const std::string& bundle, const std::string& id) {
  auto text = read_file(saved + "/config.json");
  if (!text) {
    return Error{ENOENT,
                 {},
                 saved + "/config.json",
                 "not a barco checkpoint: barco checkpoint writes its record next to CRIU's images"};
  }
  try {
    return parse_oci_config(*text, OciContext{bundle, id}).config;
  } catch (const ConfigError& e) {
    return e.error();
  }
}

Error criu_failed(const Error& e, CriuVerb verb, const std::string& log) {
  const auto text = read_file(log);
  return Error{e.err, verb_name(verb), e.call + (text ? ": " + criu_errors(*text) : std::string()),
               "CRIU's whole log: " + log};
}

}  // namespace

Result<void> check_criu_can_run(Sys& sys, CriuVerb verb, const std::string& id,
                                const std::optional<ContainerView>& existing, const std::string& criu) {
  if (auto r = check_container(verb, id, existing); !r) {
    return r;
  }
  if (auto r = sys.check_criu(criu); !r) {
    // CRIU knows best why this kernel is out of its reach: its own words are the message.
    auto hint = r.error().hint.empty()
                    ? "CRIU cannot work with this kernel; a CRIU release that knows it is needed (docs/lifecycle.md)"
                    : r.error().hint;
    return Error{0, verb_name(verb), "criu check: " + r.error().call, std::move(hint)};
  }
  return {};
}

std::vector<ExternalMount> external_mounts(const ContainerConfig& config) {
  std::vector<ExternalMount> out;
  for (const auto& m : config.mounts) {
    if ((m.flags & MS_BIND) != 0) {
      out.push_back({m.destination, m.source});
    }
  }
  return out;
}

std::string tty_key(dev_t rdev, dev_t dev) {
  char key[64];
  std::snprintf(key, sizeof key, "tty[%llx:%llx]", static_cast<unsigned long long>(rdev),
                static_cast<unsigned long long>(dev));
  return key;
}

std::vector<std::string> criu_dump_args(const CheckpointOptions& options, pid_t pid,
                                        const std::vector<ExternalMount>& mounts, const std::string& tty) {
  const auto& o = options.criu;
  std::vector<std::string> args{o.criu,         "dump",       "--tree",     std::to_string(pid),
                                "--images-dir", o.image_path, "--work-dir", work_dir(o),
                                "--log-file",   "dump.log",   "-v4"};
  add_criu_switches(o, args);
  if (options.leave_running) {
    args.emplace_back("--leave-running");
  }
  for (const auto& m : mounts) {
    args.insert(args.end(), {"--external", "mnt[" + m.destination + "]:" + m.destination});
  }
  if (!tty.empty() && !o.shell_job) {
    args.emplace_back("--shell-job");
  }
  return args;
}

std::vector<std::string> criu_restore_args(const RestoreOptions& options, const std::string& root_mount,
                                           const std::string& pid_file, const std::vector<ExternalMount>& mounts,
                                           const StdioLinks& stdio, const ExternalTty& tty) {
  const auto& o = options.criu;
  std::vector<std::string> args{o.criu,
                                "restore",
                                "--images-dir",
                                o.image_path,
                                "--work-dir",
                                work_dir(o),
                                "--log-file",
                                "restore.log",
                                "-v4",
                                "--root",
                                root_mount,
                                "--pidfile",
                                pid_file,
                                "--restore-detached",
                                "--restore-sibling"};
  add_criu_switches(o, args);
  for (const auto& m : mounts) {
    args.insert(args.end(), {"--external", "mnt[" + m.destination + "]:" + m.source});
  }
  for (size_t fd = 0; fd < stdio.size(); ++fd) {
    if (stdio[fd].rfind("pipe:", 0) == 0) {
      args.insert(args.end(), {"--inherit-fd", "fd[" + std::to_string(fd) + "]:" + stdio[fd]});
    }
  }
  if (!tty.key.empty()) {
    args.insert(args.end(), {"--inherit-fd", "fd[" + std::to_string(tty.slave_fd) + "]:" + tty.key});
  }
  return args;
}

std::string criu_errors(const std::string& log) {
  std::vector<std::string> errors;
  for (const auto& line : split(log, '\n')) {
    if (line.find("Error (") != std::string::npos) {
      errors.push_back(line.substr(line.find("Error (")));
    }
  }
  if (errors.size() > 3) {
    errors.erase(errors.begin(), errors.end() - 3);
  }
  std::string out;
  for (const auto& e : errors) {
    out += (out.empty() ? "" : "; ") + e;
  }
  return out.empty() ? "no error in its log" : out;
}

namespace {

Result<void> checkpoint_steps(const std::string& root, const std::string& id, const CheckpointOptions& options) {
  const auto existing = existing_container(root, id);
  RealSys sys;
  if (auto r = check_criu_can_run(sys, CriuVerb::checkpoint, id, existing, options.criu.criu); !r) {
    return r;
  }
  const auto& v = *existing;
  const auto config = saved_config(v.dir, v.info.bundle, id);
  if (!config) {
    return config.error();
  }
  std::string tty;
  if (config->process.terminal) {
    auto key = terminal_of(v.info.pid);
    if (!key) {
      return key.error();
    }
    tty = *key;
  } else if (auto r = check_stdio(stdio_of(v.info.pid)); !r) {
    return r;
  }
  CheckpointOptions o = options;
  with_absolute_paths(o.criu);
  if (auto r = make_dir(work_dir(o.criu)); !r) {
    return r;
  }
  if (auto r = save_record(v, o.criu.image_path + kSavedDir, tty); !r) {
    return r;
  }
  auto mounts = external_mounts(*config);
  if (!tty.empty()) {
    mounts.push_back({"/dev/console", "/dev/console"});  // barco binds the pty slave there
  }
  if (auto r = sys.run_criu(criu_dump_args(o, v.info.pid, mounts, tty)); !r) {
    return criu_failed(r.error(), CriuVerb::checkpoint, work_dir(o.criu) + "/dump.log");
  }
  if (options.leave_running) {
    return {};
  }
  return delete_container(root, id, true);  // CRIU has ended its processes, as runc's checkpoint does
}

}  // namespace

Result<void> checkpoint_container(const std::string& root, const std::string& id, const CheckpointOptions& options) {
  auto r = checkpoint_steps(root, id, options);
  if (!r && r.error().step.empty()) {
    r.error().step = "checkpoint";
  }
  return r;
}

namespace {

// CRIU restores the container's mount tree on top of `--root`: a bind of the rootfs, taken
// away again once the restored process holds its own.
class RootForCriu {
 public:
  static Result<RootForCriu> bind(const std::string& rootfs, const std::string& at) {
    if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST) {
      return errno_error("mkdir " + at);
    }
    if (::mount(rootfs.c_str(), at.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      return errno_error("mount(\"" + rootfs + "\" -> \"" + at + "\", MS_BIND|MS_REC)");
    }
    return RootForCriu(at);
  }
  RootForCriu(RootForCriu&& other) noexcept : at_(std::move(other.at_)) { other.at_.clear(); }
  RootForCriu(const RootForCriu&) = delete;
  RootForCriu& operator=(const RootForCriu&) = delete;
  RootForCriu& operator=(RootForCriu&&) = delete;
  ~RootForCriu() {
    if (!at_.empty()) {
      ::umount2(at_.c_str(), MNT_DETACH);
      ::rmdir(at_.c_str());
    }
  }
  [[nodiscard]] const std::string& path() const { return at_; }

 private:
  explicit RootForCriu(std::string at) : at_(std::move(at)) {}
  std::string at_;
};

// CRIU puts the process back into the cgroups it was dumped from; barco made those (with
// the device filter, which CRIU does not restore on v2) only if they are the same.
Result<void> check_in_cgroups(pid_t pid, const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    const auto procs = read_file(dir + "/cgroup.procs");
    const auto pids = procs ? split(*procs, '\n') : std::vector<std::string>{};
    if (std::find(pids.begin(), pids.end(), std::to_string(pid)) == pids.end()) {
      return Error{EINVAL, "restore", "CRIU did not put the container into " + dir,
                   "restore it under the id and cgroupsPath it was checkpointed with"};
    }
  }
  return {};
}

Result<StdioLinks> saved_stdio(const std::string& saved) {
  auto text = read_file(saved + "/stdio.json");
  if (!text) {
    return text.error();
  }
  try {
    return nlohmann::json::parse(*text).get<StdioLinks>();
  } catch (const nlohmann::json::exception& e) {
    return Error{EINVAL, {}, saved + "/stdio.json", e.what()};
  }
}

Result<StateInfo> saved_state(const std::string& saved) {
  auto text = read_file(saved + "/state.json");
  if (!text) {
    return text.error();
  }
  try {
    return state_from_json(nlohmann::json::parse(*text));
  } catch (const nlohmann::json::exception& e) {
    return Error{EINVAL, {}, saved + "/state.json", e.what()};
  }
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A new pty for a container that had a terminal: its master goes to the console socket, its
// slave (not close-on-exec: CRIU inherits it) takes the dumped one's place.
Result<UniqueFd> new_terminal(const RestoreOptions& o, const std::string& key, ExternalTty& tty) {
  if (key.empty()) {
    return UniqueFd{};
  }
  if (o.console_socket.empty()) {
    return Error{EINVAL, "restore", "the container had a terminal", "restore it with --console-socket"};
  }
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master.valid() || ::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) {
    return errno_error("posix_openpt(/dev/ptmx)");
  }
  char name[64];
  if (::ptsname_r(master.get(), name, sizeof name) != 0) {
    return errno_error("ptsname_r");
  }
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY));
  if (!slave.valid()) {
    return errno_error(std::string("open ") + name);
  }
  if (auto r = send_console(o.console_socket, master.get()); !r) {
    return r.error();
  }
  tty = ExternalTty{key, slave.get(), name};
  return slave;
}

Result<pid_t> restore_into(RealSys& sys, StateRecord& record, const RestoreOptions& o,
                           const std::vector<ExternalMount>& mounts, const StdioLinks& stdio,
                           const std::string& tty_key) {
  auto root_mount = RootForCriu::bind(record.info().rootfs, record.dir() + "/criu-root");
  if (!root_mount) {
    return root_mount.error();
  }
  ExternalTty tty;
  auto slave = new_terminal(o, tty_key, tty);
  if (!slave) {
    return slave.error();
  }
  auto all_mounts = mounts;
  if (!tty.key.empty()) {
    all_mounts.push_back({"/dev/console", tty.slave_path});
  }
  const auto pid_file = record.dir() + "/criu.pid";
  if (auto r = sys.run_criu(criu_restore_args(o, root_mount->path(), pid_file, all_mounts, stdio, tty)); !r) {
    return criu_failed(r.error(), CriuVerb::restore, work_dir(o.criu) + "/restore.log");
  }
  const auto text = read_file(pid_file);
  if (!text) {
    return text.error();
  }
  return static_cast<pid_t>(std::stol(*text));
}

// What checkpoint left next to CRIU's images.
struct Saved {
  StateInfo info;
  ContainerConfig config;
  StdioLinks stdio;
  std::string tty;
};

Result<Saved> read_saved(const std::string& saved, const std::string& bundle, const std::string& id) {
  auto info = saved_state(saved);
  auto config = saved_config(saved, bundle, id);
  auto stdio = saved_stdio(saved);
  for (const Error* e :
       {info ? nullptr : &info.error(), config ? nullptr : &config.error(), stdio ? nullptr : &stdio.error()}) {
    if (e != nullptr) {
      return *e;
    }
  }
  const auto tty = read_file(saved + "/tty");
  return Saved{*info, *config, *stdio, tty ? *tty : ""};
}

// The record restore makes: the checkpointed one's, under the new id, with the cgroups the
// plan names and the exec context `barco exec` joins with.
Result<StateRecord> new_record(Sys& sys, const std::string& root, const std::string& id, const Saved& saved,
                               const std::string& saved_dir, const std::string& bundle, const op::CreateCgroups* cg) {
  StateInfo fresh = saved.info;
  fresh.id = id;
  fresh.status = ContainerStatus::creating;
  fresh.bundle = bundle;
  fresh.cgroups = cg != nullptr ? cg->dirs : std::vector<std::string>{};
  fresh.exit_code.reset();
  auto record = StateRecord::reserve(sys, root, fresh);
  if (!record) {
    return record.error();
  }
  for (const char* name : {"/config.json", "/seccomp.bpf"}) {
    if (auto text = read_file(saved_dir + name)) {
      if (auto r = write_file_atomic(record->dir() + name, *text); !r) {
        return r.error();
      }
    }
  }
  return record;
}

Result<int> restore_steps(const std::string& root, const std::string& id, const RestoreOptions& options) {
  RealSys sys;
  if (auto r = check_criu_can_run(sys, CriuVerb::restore, id, existing_container(root, id), options.criu.criu); !r) {
    return r.error();
  }
  RestoreOptions o = options;
  with_absolute_paths(o.criu);
  const auto saved_dir = o.criu.image_path + kSavedDir;
  const auto bundle = absolute(o.bundle);
  auto saved = read_saved(saved_dir, bundle, id);
  if (!saved) {
    return saved.error();
  }
  LaunchRequest request;
  request.state_root = root;
  request.oci_create = true;
  request.bundle = bundle;
  const auto plan = plan_for(saved->config, request);
  const auto* cgroups = plan.find<op::CreateCgroups>();
  auto record = new_record(sys, root, id, *saved, saved_dir, bundle, cgroups);
  if (!record) {
    return record.error();
  }
  std::optional<CgroupDirs> dirs;
  if (cgroups != nullptr) {
    auto made = make_container_cgroups(sys, *cgroups);
    if (!made) {
      return made.error();
    }
    dirs.emplace(std::move(*made));
  }
  auto pid = restore_into(sys, *record, o, external_mounts(saved->config), saved->stdio, saved->tty);
  if (!pid) {
    return pid.error();
  }
  if (auto r = check_in_cgroups(*pid, record->info().cgroups); !r) {
    ::kill(*pid, SIGKILL);
    wait_for(*pid);
    return r.error();
  }
  if (auto r = record->mark_running(*pid); !r) {
    return r.error();
  }
  if (dirs) {
    dirs->release();
  }
  record->keep();
  if (!o.pid_file.empty()) {
    if (auto r = write_file_atomic(o.pid_file, std::to_string(*pid)); !r) {
      return r.error();
    }
  }
  if (o.detach) {
    return 0;
  }
  const int status = wait_for(*pid);
  (void)delete_container(root, id, true);
  return status;
}

}  // namespace

Result<int> restore_container(const std::string& root, const std::string& id, const RestoreOptions& options) {
  auto r = restore_steps(root, id, options);
  if (!r && r.error().step.empty()) {
    r.error().step = "restore";
  }
  return r;
}

}  // namespace barco
