#include "cli/lifecycle_command.hpp"

#include "cli/run_command.hpp"

#include <barco/files.hpp>
#include <barco/oci.hpp>
#include <barco/parse.hpp>
#include <barco/plan.hpp>
#include <barco/runtime.hpp>
#include <barco/unique_fd.hpp>
#include <barco/user_db.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

namespace barco::cli {
namespace {

void print_error(const Error& e) {
  report_error(e);
}

// Runs `action` for each id; the exit status is 1 when any failed (docker's rule).
template <typename Action>
int for_each_id(const std::vector<std::string>& ids, Action action) {
  int status = 0;
  for (const auto& id : ids) {
    if (auto r = action(id); !r) {
      print_error(r.error());
      status = 1;
    }
  }
  return status;
}

std::string quoted_command(const std::vector<std::string>& command) {
  std::string out;
  for (const auto& word : command) {
    out += (out.empty() ? "" : " ") + word;
  }
  return out.size() > 28 ? "\"" + out.substr(0, 25) + "...\"" : "\"" + out + "\"";
}

std::string status_text(const ContainerView& v) {
  if (v.status == ContainerStatus::exited && v.info.exit_code) {
    return "exited (" + std::to_string(*v.info.exit_code) + (v.info.oom_killed ? ", oom" : "") + ")";
  }
  return status_name(v.status);
}

nlohmann::json view_json(const ContainerView& v) {
  nlohmann::json j = {{"id", v.info.id},
                      {"command", v.info.command},
                      {"status", status_name(v.status)},
                      {"pid", v.status == ContainerStatus::exited ? 0 : v.info.pid},
                      {"created", v.info.created},
                      {"rootfs", v.info.rootfs},
                      {"detached", v.info.detached}};
  if (v.info.exit_code) {
    j["exit_code"] = *v.info.exit_code;
    j["finished"] = v.info.finished;
    j["oom_killed"] = v.info.oom_killed;
  }
  if (!v.note.empty()) {
    j["note"] = v.note;
  }
  return j;
}

// OCI `ps ID`: the container's processes, from its first cgroup.
// runc's `ps ID`: ps(1)'s header and the lines of the container's processes, found by the
// PID column.
int print_ps_lines(const std::string& output, const std::vector<pid_t>& pids) {
  const auto all = split(output, '\n');
  if (all.empty()) {
    return 0;
  }
  std::istringstream header(all.front());
  int pid_column = -1;
  int column = 0;
  for (std::string word; header >> word; ++column) {
    if (word == "PID") {
      pid_column = column;
    }
  }
  if (pid_column < 0) {
    print_error(
        plain_error("ps: no PID column in \"" + all.front() + "\"", "keep the PID column, e.g. -ef or -o pid,cmd"));
    return 1;
  }
  std::printf("%s\n", all.front().c_str());
  for (size_t i = 1; i < all.size(); ++i) {
    std::istringstream line(all[i]);
    std::string word;
    for (int c = 0; c <= pid_column && line >> word; ++c) {
    }
    if (std::find(pids.begin(), pids.end(), std::atoi(word.c_str())) != pids.end()) {
      std::printf("%s\n", all[i].c_str());
    }
  }
  return 0;
}

int list_processes(const std::string& root, const std::string& id, bool json, const std::vector<std::string>& ps_args) {
  auto processes = container_processes(root, id);
  if (!processes) {
    print_error(processes.error());
    return 1;
  }
  std::vector<pid_t> pids;
  for (const auto& p : *processes) {
    pids.push_back(p.pid);
  }
  if (json) {
    std::printf("%s\n", nlohmann::json(pids).dump().c_str());
    return 0;
  }
  auto output = host_ps_output(ps_args.empty() ? std::vector<std::string>{"-ef"} : ps_args);
  if (!output) {
    print_error(output.error());
    return 1;
  }
  return print_ps_lines(*output, pids);
}

// The user for `exec -u`, from the container's own /etc/passwd (resolved inside its root).
ResolvedUser exec_user(const std::string& spec, pid_t init) {
  const std::string root = "/proc/" + std::to_string(init) + "/root";
  const auto passwd = read_image_file(root, "/etc/passwd");
  const auto group = read_image_file(root, "/etc/group");
  return resolve_user(parse_user_spec(spec), passwd.value_or(""), group.value_or(""));
}

Process exec_process(const ExecFlags& f, const ContainerConfig& stored, pid_t init) {
  Process p = stored.process;
  std::vector<std::string> warnings;
  if (!f.process_file.empty()) {
    auto text = read_file(f.process_file);
    if (!text) {
      throw ConfigError(text.error());
    }
    const auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded()) {
      throw ConfigError("--process " + f.process_file + ": not JSON", "an OCI process object, as in config.json");
    }
    p = parse_oci_process(j, "$", warnings);
    for (const auto& w : warnings) {
      spdlog::warn("--process {}: {}", f.process_file, w);
    }
    return p;
  }
  p.args = f.command;
  if (!p.args.empty() && p.args.front() == "--") {
    p.args.erase(p.args.begin());
  }
  if (p.args.empty()) {
    throw ConfigError("barco exec " + f.id + ": no command", "barco exec [-it] ID COMMAND [ARG...]");
  }
  p.terminal = f.tty;
  p.stdin_open = f.interactive;
  p.builtin = BuiltinProgram::none;
  if (!f.workdir.empty()) {
    if (f.workdir.front() != '/') {
      throw ConfigError("--workdir '" + f.workdir + "': not an absolute path", "for example -w /tmp");
    }
    p.cwd = f.workdir;
  }
  std::vector<std::string> extra;
  if (!f.user.empty()) {
    auto resolved = exec_user(f.user, init);
    p.user = resolved.user;
    // docker: the new user's caps are the container's, kept only where a non-root keeps them.
    p.capabilities = capabilities_for(p.capabilities.bounding & p.capabilities.permitted, 0, p.user.uid);
    p.capabilities.bounding = stored.process.capabilities.bounding;
    extra.push_back("HOME=" + resolved.home);
  }
  p.user.additional_gids.insert(p.user.additional_gids.end(), f.additional_gids.begin(), f.additional_gids.end());
  const auto lookup = [](const std::string& key) -> std::optional<std::string> {
    const char* v = std::getenv(key.c_str());
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  for (const auto& file : f.env_files) {
    auto text = read_file(file);
    if (!text) {
      throw ConfigError(text.error());
    }
    for (auto& e : parse_env_file(*text, lookup)) {
      extra.push_back(std::move(e));
    }
  }
  for (const auto& e : f.env) {
    if (auto entry = parse_env_entry(e, lookup)) {
      extra.push_back(std::move(*entry));
    }
  }
  p.env = merge_env(p.env, extra);
  return p;
}

}  // namespace

void add_ps_flags(CLI::App& app, PsFlags& f) {
  app.add_flag("-a,--all", f.all, "Also list exited containers");
  app.add_option("-f,--format", f.format, "table or json")->check(CLI::IsMember({"table", "json"}));
  app.add_option("id", f.id, "OCI form: list the processes of this container");
}

void add_logs_flags(CLI::App& app, LogsFlags& f) {
  app.add_flag("-f,--follow", f.follow, "Keep printing new output until the container exits");
  app.add_option("id", f.id, "Container id")->required();
}

void add_stop_flags(CLI::App& app, StopFlags& f) {
  app.add_option("-t,--time", f.timeout, "Seconds to wait after SIGTERM before SIGKILL")->capture_default_str();
  app.add_option("ids", f.ids, "Container ids")->required();
}

void add_kill_flags(CLI::App& app, KillFlags& f) {
  app.add_option("-s,--signal", f.signal, "Signal to send (docker form; default KILL)");
  app.add_flag("-a,--all", f.all, "OCI form: signal every process of the container's cgroup, not only its init");
  app.add_option("args", f.args, "ID [SIGNAL] (the OCI form; default TERM there)")->required();
}

void add_rm_flags(CLI::App& app, RmFlags& f) {
  app.add_flag("-f,--force", f.force, "Kill a running container first");
  app.add_option("ids", f.ids, "Container ids")->required();
}

void add_pause_flags(CLI::App& app, PauseFlags& f) {
  app.add_option("ids", f.ids, "Container ids")->required();
}

void add_exec_flags(CLI::App& app, ExecFlags& f) {
  app.add_flag("-t,--tty", f.tty, "Allocate a pty from the container's devpts");
  app.add_flag("-i,--interactive", f.interactive, "Keep stdin open");
  app.add_flag("-d,--detach", f.detach, "Start the process and return (OCI callers reap it)");
  app.add_option("-u,--user", f.user, "UID[:GID] or NAME[:GROUP] from the container's /etc/passwd");
  app.add_option("-w,--workdir,--cwd", f.workdir, "Working directory inside the container");
  app.add_option("-g,--additional-gids", f.additional_gids, "Supplementary group ids (runc's form; repeatable)");
  app.add_option("-e,--env", f.env, "Set an environment variable: K=V, or K to pass the caller's value");
  app.add_option("--env-file", f.env_files, "Read K=V lines from a file");
  app.add_option("-p,--process", f.process_file, "OCI form: the process to run, as JSON");
  app.add_option("--pid-file", f.pid_file, "Write the new process's pid to this file");
  app.add_option("--console-socket", f.console_socket, "Send the pty master to this unix socket");
  app.add_flag("--dry-run", f.dry_run, "Print the plan and exit");
  app.add_flag("--ignore-paused", f.ignore_paused, "Exec into a paused container (the process waits until resume)");
  app.add_option("--preserve-fds", f.preserve_fds,
                 "Pass the caller's fds 3 to 3+N-1 to the process (files, pipes, sockets; never a directory)");
  app.add_option("--cgroup", f.cgroups,
                 "Join a sub cgroup of the container's: [CONTROLLER[,CONTROLLER]:]PATH (repeatable)");
  app.add_option("id", f.id, "Container id; everything after it is the command")->required();
}

int run_ps(const PsFlags& f, const std::string& root) {
  if (!f.id.empty()) {
    return list_processes(root, f.id.front(), f.format == "json", f.ps_args);
  }
  const auto containers = list_containers(root);
  if (f.format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : containers) {
      if (f.all || v.status != ContainerStatus::exited) {
        out.push_back(view_json(v));
      }
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%-14s %-30s %-21s %-16s %s\n", "CONTAINER ID", "COMMAND", "CREATED", "STATUS", "PID");
  for (const auto& v : containers) {
    if (!f.all && v.status == ContainerStatus::exited) {
      continue;
    }
    const std::string pid = v.status == ContainerStatus::exited ? "-" : std::to_string(v.info.pid);
    std::printf("%-14s %-30s %-21s %-16s %s\n", v.info.id.c_str(), quoted_command(v.info.command).c_str(),
                v.info.created.c_str(), status_text(v).c_str(), pid.c_str());
    if (!v.note.empty()) {
      std::printf("  note: %s\n", v.note.c_str());
    }
  }
  return 0;
}

int run_logs(const LogsFlags& f, const std::string& root) {
  auto v = find_container(root, f.id);
  if (!v) {
    print_error(v.error());
    return 1;
  }
  const std::string path = log_path(*v);
  const UniqueFd log(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!log.valid()) {
    print_error(Error{errno, {}, "open(\"" + path + "\")", "only detached containers (run -d) have a log"});
    return 1;
  }
  std::array<char, 65536> buf{};
  for (;;) {
    const ssize_t n = ::read(log.get(), buf.data(), buf.size());
    if (n > 0) {
      if (std::fwrite(buf.data(), 1, static_cast<size_t>(n), stdout) != static_cast<size_t>(n)) {
        return 1;
      }
      continue;
    }
    if (!f.follow) {
      return 0;
    }
    std::fflush(stdout);
    auto now = find_container(root, f.id);
    if (!now || now->status == ContainerStatus::exited) {
      // One last read: output written right before the exit.
      while (::read(log.get(), buf.data(), buf.size()) > 0) {
      }
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int run_stop(const StopFlags& f, const std::string& root) {
  return for_each_id(f.ids, [&](const std::string& id) -> Result<void> {
    auto r = stop_container(root, id, f.timeout);
    if (r) {
      std::printf("%s\n", id.c_str());
    }
    return r;
  });
}

int run_kill(const KillFlags& f, const std::string& root) {
  const auto& id = f.args.front();
  auto v = find_container(root, id);
  if (!v) {
    print_error(v.error());
    return 1;
  }
  // docker's kill defaults to KILL, the OCI one (runc, conmon) to TERM.
  std::string name = f.args.size() > 1 ? f.args[1] : (v->info.oci ? "TERM" : f.signal);
  // Signal 0 (runc's `kill ID 0`) sends nothing: it asks whether the container runs.
  const int signal = name == "0" ? 0 : parse_signal(name, "kill");
  if (auto r = kill_container(root, id, signal, f.all); !r) {
    print_error(r.error());
    return 1;
  }
  return 0;
}

int run_rm(const RmFlags& f, const std::string& root) {
  return for_each_id(f.ids, [&](const std::string& id) -> Result<void> {
    auto r = remove_container(root, id, f.force);
    if (r) {
      std::printf("%s\n", id.c_str());
    }
    return r;
  });
}

int run_pause(const PauseFlags& f, const std::string& root, bool freeze) {
  return for_each_id(
      f.ids, [&](const std::string& id) { return freeze ? pause_container(root, id) : resume_container(root, id); });
}

int run_exec(const ExecFlags& f, const std::string& root) {
  ExecRequest request;
  request.process = [&f](const ContainerConfig& stored, pid_t init) {
    auto p = exec_process(f, stored, init);
    p.preserve_fds = f.preserve_fds;
    return p;
  };
  request.detach = f.detach;
  request.pid_file = f.pid_file;
  request.console_socket = f.console_socket;
  request.dry_run = f.dry_run;
  request.ignore_paused = f.ignore_paused;
  request.cgroups = f.cgroups;
  return exec_container(root, f.id, request);
}

}  // namespace barco::cli
