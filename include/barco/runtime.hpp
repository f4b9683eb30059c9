// The runtime: what the CLI (and any other caller) asks of barco. It owns the lifecycle of
// containers: launching one (run, run --bundle, create), exec, the OCI start, kill, pause,
// resume, the process list, and removal. The parent walks the plan's parent steps, the
// child its own; any early return kills and reaps the child and removes the state record.
#pragma once

#include <barco/config.hpp>
#include <barco/container.hpp>
#include <barco/doctor.hpp>
#include <barco/host.hpp>
#include <barco/plan.hpp>
#include <barco/resources.hpp>
#include <barco/result.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace barco {

inline constexpr const char* kDefaultStateRoot = "/run/barco";
// Where `run -d` and `--overlay` keep a container's writable layer and log: on disk, not in
// /run's tmpfs (memory), and removed with the container.
inline constexpr const char* kDefaultDataRoot = "/var/lib/barco";
// run -d: the log's size limit (--log-max-size); output beyond it is dropped with a notice.
inline constexpr int64_t kDefaultLogLimit = int64_t{64} << 20;

// How an OCI caller (podman's conmon) takes the process over: barco returns once it runs,
// the caller reaps it (so it gets no PDEATHSIG), learns its pid from a file and gets the
// pty master over a unix socket instead of barco relaying it.
struct Handover {
  bool detach = false;
  std::string pid_file;
  std::string console_socket;
};

// Exit status conventions (docker's).
inline constexpr int kExitBarcoError = 125;
// runc's status when runc itself fails: what `barco exec` exits with for a container made by
// the OCI verbs (create, run --bundle) and for an id that does not exist.
inline constexpr int kExitRuncError = 255;
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

// --timings: laps of barco's own start-up, from main() to the plan.
class StartupLaps {
 public:
  StartupLaps();  // the clock starts here: construct it first thing in main()
  void lap(const char* what);
  [[nodiscard]] const std::vector<std::pair<std::string, int64_t>>& laps() const { return laps_; }

 private:
  int64_t last_ns_;
  std::vector<std::pair<std::string, int64_t>> laps_;
};

// ---- Launching: run, run -d, run --bundle and create share one path ----

struct LaunchRequest {
  std::string state_root = kDefaultStateRoot;
  std::string data_root = kDefaultDataRoot;
  bool detach = false;            // run -d: a monitor keeps the record; the log under the data root
  bool overlay = false;           // a copy-on-write layer under the data root
  bool oci_create = false;        // OCI create: set up, then wait on the exec FIFO for start
  bool auto_remove = true;        // the record goes at the exit (run --rm; always without -d)
  bool strict_cgroups = false;    // a limit the host cannot enforce is an error
  bool cgroups_disabled = false;  // --cgroups disabled: the plan sees no cgroup filesystem
  bool dry_run = false;           // print the plan instead
  bool timings = false;
  int64_t log_limit = kDefaultLogLimit;
  std::string bundle;  // OCI: for the state and the hooks
  Handover handover;
  StartupLaps* startup = nullptr;  // --timings: gets the plan's lap
};

// Where the request puts a container's files (overlay, log, FIFO) and how it runs.
[[nodiscard]] Placement placement_for(const std::string& id, const LaunchRequest& request);

// Plans `config` for this machine, warns about what it cannot enforce, then prints the plan
// (dry run) or runs it. Returns barco's exit status; errors are reported.
[[nodiscard]] int launch(const ContainerConfig& config, const LaunchRequest& request);

// This machine, for the flags-to-config mapping.
[[nodiscard]] HostView real_host();

// This machine, for `barco doctor` (diagnose() in doctor.hpp judges the facts).
[[nodiscard]] DoctorFacts probe_doctor_facts();

// ---- The lifecycle of containers under a state root ----

[[nodiscard]] std::vector<ContainerView> list_containers(const std::string& root);
Result<ContainerView> find_container(const std::string& root, const std::string& id);
// `all`: every process of the container's cgroup too (runc's kill --all).
Result<void> kill_container(const std::string& root, const std::string& id, int signal, bool all = false);
// SIGTERM, then SIGKILL after `timeout_s` seconds.
Result<void> stop_container(const std::string& root, const std::string& id, int timeout_s);
// Removes cgroups, overlay layer, log and record. A running container needs `force`, which
// kills it first.
Result<void> remove_container(const std::string& root, const std::string& id, bool force);
// The cgroup freezer (v1 freezer.state, v2 cgroup.freeze) of a running container.
Result<void> pause_container(const std::string& root, const std::string& id);
Result<void> resume_container(const std::string& root, const std::string& id);

// runc checkpoint and restore, through the `criu` program (or runc's --criu PATH), for OCI
// containers (create, run --bundle). barco checks the container and `criu check` first, so
// the user reads why a host cannot. The image directory also keeps barco's record files.
struct CriuOptions {
  std::string criu = "criu";
  std::string image_path = "checkpoint";  // runc's default, relative to the working directory
  std::string work_path;                  // CRIU's log and work files; the image directory when empty
  bool tcp_established = false;
  bool ext_unix_sk = false;
  bool shell_job = false;
  bool file_locks = false;
};
struct CheckpointOptions {
  CriuOptions criu;
  bool leave_running = false;  // otherwise the container is gone afterwards, as with runc
};
struct RestoreOptions {
  CriuOptions criu;
  std::string bundle = ".";
  bool detach = false;  // -d: return once it runs; otherwise wait for it and remove it
  std::string pid_file;
  std::string console_socket;  // a container with a terminal gets a new pty; its master goes here
};
Result<void> checkpoint_container(const std::string& root, const std::string& id, const CheckpointOptions& options);
// The container's exit status (0 with detach).
Result<int> restore_container(const std::string& root, const std::string& id, const RestoreOptions& options);

// runc update: merges `update` into the container's limits, writes them all into its
// cgroups (a paused container stays paused) and records them; returns the limits this host
// cannot enforce. On cgroup v2 a memory limit below the current usage is refused (the
// kernel would OOM-kill rather than fail the write); on v1 the kernel's EBUSY is explained.
Result<std::vector<std::string>> update_container(const std::string& root, const std::string& id,
                                                  const ResourceUpdate& update);

// runc events: {"type":"stats","id":ID,"data":{...}} every `interval` and {"type":"oom",...}
// when the OOM killer acts in the container, until it is gone; `once`: one stats event.
struct WatchOptions {
  std::chrono::milliseconds interval{5000};
  bool once = false;
};
Result<void> watch_container(const std::string& root, const std::string& id, const WatchOptions& options,
                             const std::function<void(const nlohmann::ordered_json&)>& emit);
// The "data" of a stats event: cpu, memory, pids (runc's field names).
Result<nlohmann::json> container_stats(const std::string& root, const std::string& id);

struct ContainerProcess {
  pid_t pid = 0;
  std::string command;  // /proc/PID/cmdline, spaces between the words
};
// The processes of the container's first cgroup (its init alone without one).
Result<std::vector<ContainerProcess>> container_processes(const std::string& root, const std::string& id);

// ps(1) on the host with `args` (runc's `ps ID`): its whole output, to be filtered by pid.
Result<std::string> host_ps_output(const std::vector<std::string>& args);
// The log of a detached container.
[[nodiscard]] std::string log_path(const ContainerView& v);

// OCI: let a created container run its command (opens its exec FIFO), then the poststart
// hooks; the state JSON; delete (with the poststop hooks).
Result<void> start_container(const std::string& root, const std::string& id);
Result<std::string> container_state_json(const std::string& root, const std::string& id);
Result<void> delete_container(const std::string& root, const std::string& id, bool force);

// Records (and cgroups) of containers whose barco died; returns their ids.
std::vector<std::string> remove_stale_records(const std::string& root);

// ---- exec ----

struct ExecRequest {
  // The process to start, from the container's stored configuration and its init's pid
  // (a `-u NAME` is looked up in the container's own /etc/passwd). May throw ConfigError.
  std::function<Process(const ContainerConfig& stored, pid_t init)> process;
  bool detach = false;  // exec -d: hand the process over (pid file, pty) instead of supervising
  std::string pid_file;
  std::string console_socket;
  bool dry_run = false;
  bool ignore_paused = false;        // a paused container's new process waits, frozen, until resume
  std::vector<std::string> cgroups;  // runc's --cgroup: sub cgroups of the container's to join
};
[[nodiscard]] int exec_container(const std::string& root, const std::string& id, const ExecRequest& request);

// `barco version`, in runc's layout: the release, the git commit it was built from, the
// OCI runtime-spec version it implements, the libseccomp it runs with, and the build.
struct VersionInfo {
  std::string version;
  std::string commit;
  std::string spec;
  std::string libseccomp;
  std::string build;  // "MinSizeRel, static, x86_64"
  // The runc whose CLI barco's OCI verbs follow. The first line says it: callers parse
  // "runc version X.Y.Z" (and the "commit:" and "spec:" lines) out of `--version`.
  std::string runc = "1.1.5";
};
[[nodiscard]] VersionInfo version_info();
[[nodiscard]] std::string version_text(const VersionInfo& info);

// RFC 3339 in UTC, as records, hooks' state and --log lines write the time.
[[nodiscard]] std::string now_rfc3339();

// Commands whose child enters a container while it is still a copy of barco (CVE-2019-5736)
// re-execute from a view of barco's binary that cannot be written, before anything else.
Result<void> reexec_sealed(char** argv);

}  // namespace barco
