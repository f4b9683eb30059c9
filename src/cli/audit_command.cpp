#include "cli/audit_command.hpp"

#include <barco/unique_fd.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;  // NOLINT(readability-redundant-declaration): posix_spawn takes it

namespace barco::cli {
namespace {

bool stdout_wants_color() {
  return ::isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
}

// Runs `argv` with its stdout captured (stdin and stderr inherited); returns the output
// and sets `status` to its exit status.
std::string capture_output(const std::vector<std::string>& argv, int& status) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    throw ConfigError(std::string("lab: pipe2(): ") + std::strerror(errno), {});
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv.front().c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  write_end = UniqueFd();
  if (rc != 0) {
    throw ConfigError("lab: posix_spawn(" + argv.front() + "): " + std::strerror(rc), {});
  }
  std::string out;
  char buf[8192];
  ssize_t n = 0;
  while ((n = ::read(read_end.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    out.append(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)));
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return out;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

}  // namespace

void add_audit_flags(CLI::App& audit, AuditFlags& flags) {
  add_run_flags(audit, flags.run);
  audit.footer(
      "Usage: barco audit [RUN OPTIONS] --rootfs DIR [--json]\nRuns barco's audit as the container's command: the "
      "same options as `barco run` shape the container it inspects.");
  audit.add_flag("--json", flags.json, "Print the checks as JSON");
}

void add_lab_flags(CLI::App& compare, LabFlags& flags) {
  compare.add_option("--rootfs", flags.rootfs, "Directory holding the root filesystem")->required();
  compare.add_flag("--json", flags.json, "Print the three audits as JSON");
}

std::vector<audit::NamespaceFact> host_namespaces() {
  std::vector<audit::NamespaceFact> out;
  for (const char* name : {"mnt", "pid", "net", "uts", "ipc", "cgroup", "user", "time"}) {
    struct stat st {};
    const uint64_t inode = ::stat((std::string("/proc/self/ns/") + name).c_str(), &st) == 0 ? st.st_ino : 0;
    out.push_back({name, 0, inode});
  }
  return out;
}

ContainerConfig audit_config(ContainerConfig base, const std::vector<audit::NamespaceFact>& host, bool json,
                             bool color) {
  base.process.builtin = BuiltinProgram::audit;
  base.process.args = {"barco-audit", "--host-ns", audit::format_host_namespaces(host)};
  if (json) {
    base.process.args.emplace_back("--json");
  }
  if (color) {
    base.process.args.emplace_back("--color");
  }
  return base;
}

std::vector<LabMode> lab_modes() {
  return {
      {"default", {}},
      {"privileged", {"--privileged"}},
      {"k3s-style", {"--privileged", "--network", "host", "--pid", "host"}},
  };
}

int run_audit(AuditFlags flags, const std::string& state_root) {
  // No pty unless asked for: the table goes straight to barco's stdout, and a terminal on
  // stdin stays the host's, which is what the TIOCSTI row inspects.
  flags.run.no_tty = !flags.run.tty;
  flags.run.command = {"barco-audit"};
  const auto host = real_host();
  const bool color = !flags.json && (flags.run.tty || stdout_wants_color());
  const auto config = audit_config(config_from_flags(flags.run, host), host_namespaces(), flags.json, color);
  return run_config(config, flags.run, state_root);
}

int run_lab_compare(const LabFlags& flags, const std::string& state_root) {
  // The magic link, not its text: barco runs from a detached read-only view of its binary,
  // whose path reads "/"; the link reaches that same file.
  const std::string barco = "/proc/self/exe";
  std::vector<audit::Column> columns;
  for (const auto& mode : lab_modes()) {
    std::vector<std::string> argv = {barco, "--root", state_root, "audit", "--json", "--rootfs", flags.rootfs};
    argv.insert(argv.end(), mode.flags.begin(), mode.flags.end());
    int status = 0;
    const auto out = capture_output(argv, status);
    if (status != 0) {
      throw ConfigError("lab compare: the " + mode.name + " audit failed (exit status " + std::to_string(status) + ")",
                        "its error is printed above; run `barco audit --rootfs " + flags.rootfs +
                            (mode.flags.empty() ? "" : " " + joined(mode.flags)) + "` to see it alone");
    }
    columns.push_back({mode.name, joined(mode.flags), audit::report_from_json(out)});
  }
  const auto text =
      flags.json ? audit::comparison_json(columns) : audit::render_comparison(columns, stdout_wants_color());
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace barco::cli
