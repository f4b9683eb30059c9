// The lifecycle of detached containers, docker's words: ps, logs, stop, kill, rm, pause,
// resume, exec. They read the records under the state root (runtime/containers) and act on
// the processes they name; exec joins a running container (build_exec_plan).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace barco::cli {

struct PsFlags {
  bool all = false;
  std::string format = "table";      // table | json
  std::vector<std::string> id;       // OCI form: `ps ID` lists the container's processes
  std::vector<std::string> ps_args;  // runc's `ps ID [ps options]`: given to ps(1), default -ef
};
struct LogsFlags {
  bool follow = false;
  std::string id;
};
struct StopFlags {
  int timeout = 10;
  std::vector<std::string> ids;
};
struct KillFlags {
  std::string signal = "KILL";
  std::vector<std::string> args;  // ID [SIGNAL] (the OCI form puts the signal second)
  bool all = false;
};
struct RmFlags {
  bool force = false;
  std::vector<std::string> ids;
};
struct PauseFlags {
  std::vector<std::string> ids;
};
struct ExecFlags {
  bool tty = false;
  bool interactive = false;
  bool detach = false;
  std::string user;
  std::string workdir;
  std::vector<uint32_t> additional_gids;  // runc's --additional-gids
  std::vector<std::string> env;
  std::vector<std::string> env_files;
  std::string process_file;  // OCI: the process as JSON
  std::string pid_file;
  std::string console_socket;
  bool dry_run = false;
  bool ignore_paused = false;
  int preserve_fds = 0;              // runc's: the caller's fds 3..3+N-1 reach the process
  std::vector<std::string> cgroups;  // runc's --cgroup [CONTROLLER:]PATH
  std::string id;
  std::vector<std::string> command;  // the words after the id (docker's rule, as for run)
};

void add_ps_flags(CLI::App& app, PsFlags& f);
void add_logs_flags(CLI::App& app, LogsFlags& f);
void add_stop_flags(CLI::App& app, StopFlags& f);
void add_kill_flags(CLI::App& app, KillFlags& f);
void add_rm_flags(CLI::App& app, RmFlags& f);
void add_pause_flags(CLI::App& app, PauseFlags& f);
void add_exec_flags(CLI::App& app, ExecFlags& f);

[[nodiscard]] int run_ps(const PsFlags& f, const std::string& root);
[[nodiscard]] int run_logs(const LogsFlags& f, const std::string& root);
[[nodiscard]] int run_stop(const StopFlags& f, const std::string& root);
[[nodiscard]] int run_kill(const KillFlags& f, const std::string& root);
[[nodiscard]] int run_rm(const RmFlags& f, const std::string& root);
[[nodiscard]] int run_pause(const PauseFlags& f, const std::string& root, bool freeze);
[[nodiscard]] int run_exec(const ExecFlags& f, const std::string& root);

}  // namespace barco::cli
