// barco: the command line. It parses flags into a ContainerConfig, builds the Plan, and
// either prints it (--dry-run) or hands it to the runtime. Nothing else lives here.
#include "cli/audit_command.hpp"
#include "cli/doctor_command.hpp"
#include "cli/lifecycle_command.hpp"
#include "cli/oci_command.hpp"
#include "cli/run_command.hpp"
#include "linux/seccomp.hpp"
#include "runtime/state.hpp"
#include "sys/sealed_exe.hpp"

#include <barco/plan.hpp>
#include <barco/runtime.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string_view>

namespace {

// --log FILE --log-format json: one JSON object per line ({"level", "msg", "time"}), the
// format runc writes and podman's conmon reads errors from.
class JsonLog {
 public:
  explicit JsonLog(const std::string& path) : file_(std::fopen(path.c_str(), "ae")) {}
  JsonLog(const JsonLog&) = delete;
  JsonLog& operator=(const JsonLog&) = delete;
  ~JsonLog() {
    if (file_ != nullptr) {
      std::fclose(file_);
    }
  }
  void write(const std::string& level, const std::string& msg, bool json) {
    if (file_ == nullptr) {
      return;
    }
    const auto line = json ? nlohmann::json{{"level", level}, {"msg", msg}, {"time", barco::now_rfc3339()}}.dump()
                           : barco::now_rfc3339() + " " + level + ": " + msg;
    std::fprintf(file_, "%s\n", line.c_str());
    std::fflush(file_);
  }

 private:
  std::FILE* file_;
};

template <typename Mutex>
class JsonLogSink : public spdlog::sinks::base_sink<Mutex> {
 public:
  JsonLogSink(std::shared_ptr<JsonLog> log, bool json) : log_(std::move(log)), json_(json) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    log_->write(std::string(level.data(), level.size()), std::string(msg.payload.data(), msg.payload.size()), json_);
  }
  void flush_() override {}

 private:
  std::shared_ptr<JsonLog> log_;
  bool json_;
};

struct GlobalFlags {
  int verbosity = 0;
  std::string log_level;
  std::string state_root = barco::kDefaultStateRoot;
  std::string data_root = barco::kDefaultDataRoot;
  std::string log_file;
  std::string log_format = "text";
  bool systemd_cgroup = false;
  std::string rootless;
  bool debug = false;
};

void setup_logging(const GlobalFlags& g, int extra_verbosity) {
  auto logger = spdlog::stderr_color_st("barco");
  logger->set_pattern("barco %^%l%$: %v");
  if (!g.log_file.empty()) {
    auto file = std::make_shared<JsonLog>(g.log_file);
    const bool json = g.log_format == "json";
    logger->sinks().push_back(std::make_shared<JsonLogSink<spdlog::details::null_mutex>>(file, json));
    barco::set_error_log([file, json](const std::string& msg) { file->write("error", msg, json); });
  }
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum lvl = spdlog::level::warn;
  if (!g.log_level.empty()) {
    lvl = spdlog::level::from_str(g.log_level);
  } else if (g.verbosity + extra_verbosity > 0 || g.debug) {
    lvl = spdlog::level::debug;
  }
  spdlog::set_level(lvl);
}

int run_command(const barco::cli::RunFlags& flags, const std::string& state_root, barco::cli::StartupLaps& startup) {
  const auto host = barco::cli::real_host();
  startup.lap("host facts");
  auto config = barco::cli::config_from_flags(flags, host);
  startup.lap("config");
  return barco::cli::run_config(std::move(config), flags, host, state_root, &startup);
}

// Index of the subcommand word (skipping global flags and their values), or args.size().
size_t find_subcommand(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--log-level" || a == "--root" || a == "--log" || a == "--log-format" || a == "--rootless" ||
        a == "--criu") {
      ++i;
    } else if (!a.empty() && a.front() != '-') {
      return i;
    }
  }
  return args.size();
}

// Commands whose child enters a container while it is still a copy of barco (CVE-2019-5736):
// they run from a view of barco's binary that cannot be written. Nothing of the command line
// after the subcommand is looked at: it may be the container's own arguments. Without root
// no container can be made, and the re-exec is skipped.
bool puts_barco_into_a_container(const std::string& invoked) {
  static constexpr std::array<std::string_view, 5> kCommands = {"run", "exec", "create", "audit", "lab"};
  return ::geteuid() == 0 && std::find(kCommands.begin(), kCommands.end(), invoked) != kCommands.end();
}

}  // namespace

int main(int argc, char** argv) {
  // A closed stdout/stderr pipe must end barco through its normal path (which removes the
  // state record and reaps the container), not through SIGPIPE's default action.
  std::signal(SIGPIPE, SIG_IGN);
  const std::vector<std::string> args(argv, argv + argc);
  const size_t sub_at = find_subcommand(args);
  const std::string invoked = sub_at < args.size() ? args[sub_at] : "";
  if (puts_barco_into_a_container(invoked)) {
    if (auto r = barco::reexec_sealed(argv); !r) {
      barco::report_error(r.error());
      return barco::kExitBarcoError;
    }
  }
  barco::cli::StartupLaps startup;
  CLI::App app{"barco: a small, fast, explainable Linux container runtime"};
  app.require_subcommand(1);
  GlobalFlags g;
  app.add_flag("-v,--verbose", g.verbosity, "Log every step as it runs (same as --log-level debug)");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn (default), error, critical, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.set_version_flag("--version", "barco 0.1.0");
  app.add_option("--root", g.state_root, "Directory for container state records")->capture_default_str();
  app.add_option("--data-root", g.data_root, "Directory for run -d's and --overlay's writable layers and logs")
      ->envname("BARCO_DATA_ROOT")
      ->capture_default_str();
  app.add_option("--log", g.log_file, "Also write warnings and errors to this file (OCI callers read it)");
  app.add_option("--log-format", g.log_format, "text or json, for --log")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--systemd-cgroup", g.systemd_cgroup,
               "OCI: read cgroupsPath as slice:prefix:name (barco still writes cgroupfs itself)");
  app.add_option("--rootless", g.rootless, "OCI: accepted (true, false, auto); barco runs as root");
  app.add_flag("--debug", g.debug, "Same as --log-level debug");

  // Only the invoked subcommand is defined, with its options: CLI11 checks each new option
  // and subcommand against the existing ones and gives every subcommand its own help flag,
  // which was most of a start's user-space work. Without a known subcommand (--help, a
  // typo) all are defined, so the help and the error list them.
  static constexpr std::pair<const char*, const char*> kCommands[] = {
      {"run", "Run a command in a new container (or: run --bundle DIR ID, OCI)"},
      {"exec", "Run a command in a running container, with its isolation"},
      {"ps", "List containers (-a: also exited); ps ID: the container's processes"},
      {"logs", "Print a detached container's output (-f: follow)"},
      {"stop", "SIGTERM, then SIGKILL after -t seconds"},
      {"kill", "Send a signal: kill [-s SIG] ID, or kill ID SIG (OCI)"},
      {"rm", "Remove containers: cgroups, copy-on-write layer, log, record"},
      {"pause", "Freeze every process of a container (cgroup freezer)"},
      {"resume", "Thaw a paused container"},
      {"doctor", "Check this host: cgroups, namespaces, seccomp, overlayfs"},
      {"audit", "Show what a container can reach: every boundary blocked or possible"},
      {"lab", "Security lab exercises"},
      {"gc", "Remove the records and cgroups of containers whose barco died"},
      {"spec", "OCI: write a default config.json"},
      {"create", "OCI: set a container up from a bundle; it waits for start"},
      {"start", "OCI: run the command of a created container"},
      {"state", "OCI: print a container's state JSON"},
      {"delete", "OCI: remove a container (--force kills it first)"},
      {"features", "OCI: print what this runtime supports (features JSON)"},
  };
  const bool known =
      std::any_of(std::begin(kCommands), std::end(kCommands), [&](const auto& c) { return invoked == c.first; });
  if (!known && !invoked.empty()) {
    std::fprintf(stderr, "barco: unknown command '%s' — hint: barco --help lists them\n", invoked.c_str());
    return barco::kExitBarcoError;
  }
  std::map<std::string, CLI::App*> commands;
  for (const auto& [name, help] : kCommands) {
    if (!known || invoked == name) {
      commands[name] = app.add_subcommand(name, help);
    }
  }
  auto* const sub = known ? commands.at(invoked) : nullptr;
  auto parsed = [&](const char* name) { return sub != nullptr && invoked == name && sub->parsed(); };

  barco::cli::RunFlags run_flags;
  barco::cli::AuditFlags audit_flags;
  barco::cli::LabFlags lab_flags;
  bool doctor_json = false;
  barco::cli::PsFlags ps_flags;
  barco::cli::LogsFlags logs_flags;
  barco::cli::StopFlags stop_flags;
  barco::cli::KillFlags kill_flags;
  barco::cli::RmFlags rm_flags;
  barco::cli::PauseFlags pause_flags;
  barco::cli::ExecFlags exec_flags;
  barco::cli::SpecFlags spec_flags;
  barco::cli::CreateFlags create_flags;
  barco::cli::IdFlags id_flags;
  barco::cli::DeleteFlags delete_flags;
  int run_verbosity = 0;
  CLI::App* compare = nullptr;
  if (sub != nullptr) {
    const std::map<std::string, std::function<void()>> definitions = {
        {"run",
         [&] {
           barco::cli::add_run_flags(*sub, run_flags);
           // `barco -v run` is verbose, `barco run -v` a volume (docker's -v); --verbose works in both places.
           sub->add_flag("--verbose", run_verbosity, "Log every step as it runs");
         }},
        {"exec", [&] { barco::cli::add_exec_flags(*sub, exec_flags); }},
        {"ps", [&] { barco::cli::add_ps_flags(*sub, ps_flags); }},
        {"logs", [&] { barco::cli::add_logs_flags(*sub, logs_flags); }},
        {"stop", [&] { barco::cli::add_stop_flags(*sub, stop_flags); }},
        {"kill", [&] { barco::cli::add_kill_flags(*sub, kill_flags); }},
        {"rm", [&] { barco::cli::add_rm_flags(*sub, rm_flags); }},
        {"pause", [&] { barco::cli::add_pause_flags(*sub, pause_flags); }},
        {"resume", [&] { barco::cli::add_pause_flags(*sub, pause_flags); }},
        {"doctor", [&] { barco::cli::add_doctor_flags(*sub, doctor_json); }},
        {"audit", [&] { barco::cli::add_audit_flags(*sub, audit_flags); }},
        {"lab",
         [&] {
           sub->require_subcommand(1);
           compare =
               sub->add_subcommand("compare", "Audit a default, a --privileged and a k3s-style container side by side");
           barco::cli::add_lab_flags(*compare, lab_flags);
         }},
        {"spec", [&] { barco::cli::add_spec_flags(*sub, spec_flags); }},
        {"create", [&] { barco::cli::add_create_flags(*sub, create_flags); }},
        {"start", [&] { barco::cli::add_id_flags(*sub, id_flags); }},
        {"state", [&] { barco::cli::add_id_flags(*sub, id_flags); }},
        {"delete", [&] { barco::cli::add_delete_flags(*sub, delete_flags); }},
    };
    if (const auto it = definitions.find(invoked); it != definitions.end()) {
      it->second();
    }
  }

  // The words from the container's command on are not barco's: CLI11 sees only the rest.
  // For exec the command follows the container id.
  size_t command_at = args.size();
  if (invoked == "run") {
    command_at = barco::cli::find_command_start(*sub, args, sub_at + 1);
  } else if (invoked == "exec") {
    command_at = std::min(barco::cli::find_command_start(*sub, args, sub_at + 1) + 1, args.size());
    exec_flags.command.assign(args.begin() + static_cast<std::ptrdiff_t>(command_at), args.end());
  }
  std::vector<char*> barco_argv(argv, argv + command_at);
  try {
    app.parse(static_cast<int>(barco_argv.size()), barco_argv.data());
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : barco::kExitBarcoError;
  }
  setup_logging(g, run_verbosity);
  const auto& root = g.state_root;
  run_flags.data_root = g.data_root;
  audit_flags.run.data_root = g.data_root;
  try {
    if (parsed("doctor")) return barco::cli::run_doctor(doctor_json);
    if (parsed("audit")) return barco::cli::run_audit(audit_flags, root);
    if (compare != nullptr && compare->parsed()) return barco::cli::run_lab_compare(lab_flags, root);
    if (parsed("gc")) {
      for (const auto& id : barco::remove_stale_records(root)) {
        std::printf("removed %s\n", id.c_str());
      }
      return 0;
    }
    if (parsed("ps")) return barco::cli::run_ps(ps_flags, root);
    if (parsed("logs")) return barco::cli::run_logs(logs_flags, root);
    if (parsed("stop")) return barco::cli::run_stop(stop_flags, root);
    if (parsed("kill")) return barco::cli::run_kill(kill_flags, root);
    if (parsed("rm")) return barco::cli::run_rm(rm_flags, root);
    if (parsed("pause")) return barco::cli::run_pause(pause_flags, root, true);
    if (parsed("resume")) return barco::cli::run_pause(pause_flags, root, false);
    if (parsed("exec")) return barco::cli::run_exec(exec_flags, root);
    if (parsed("spec")) return barco::cli::run_spec(spec_flags);
    if (parsed("create")) return barco::cli::run_create(create_flags, root, g.systemd_cgroup);
    if (parsed("start")) return barco::cli::run_start(id_flags, root);
    if (parsed("state")) return barco::cli::run_state(id_flags, root);
    if (parsed("delete")) return barco::cli::run_delete(delete_flags, root);
    if (parsed("features")) return barco::cli::run_features();
    const auto words = barco::cli::command_from_args(args, command_at);
    if (!run_flags.bundle.empty()) {
      if (words.size() != 1) {
        throw barco::ConfigError("run --bundle DIR ID: expected exactly one container id after the flags",
                                 "the command comes from the bundle's config.json");
      }
      return barco::cli::run_bundle(run_flags, words.front(), root, g.systemd_cgroup);
    }
    run_flags.command = words;
    startup.lap("flags");
    return run_command(run_flags, root, startup);
  } catch (const barco::ConfigError& e) {
    barco::report_error(e.error());
    return barco::kExitBarcoError;
  }
}
