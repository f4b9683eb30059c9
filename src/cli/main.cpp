// barco: the command line. It parses flags into a ContainerConfig, builds the Plan, and
// either prints it (--dry-run) or hands it to the runtime. Nothing else lives here.
#include "cli/audit_command.hpp"
#include "cli/doctor_command.hpp"
#include "cli/lifecycle_command.hpp"
#include "cli/oci_command.hpp"
#include "cli/run_command.hpp"
#include "linux/seccomp.hpp"
#include "runtime/state.hpp"

#include <barco/plan.hpp>
#include <barco/runtime.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
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

int run_command(const barco::cli::RunFlags& flags, const std::string& state_root) {
  const auto host = barco::cli::real_host();
  return barco::cli::run_config(barco::cli::config_from_flags(flags, host), flags, host, state_root);
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

}  // namespace

int main(int argc, char** argv) {
  // A closed stdout/stderr pipe must end barco through its normal path (which removes the
  // state record and reaps the container), not through SIGPIPE's default action.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"barco: a small, fast, explainable Linux container runtime"};
  app.require_subcommand(1);
  GlobalFlags g;
  app.add_flag("-v,--verbose", g.verbosity, "Log every step as it runs (same as --log-level debug)");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn (default), error, critical, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.set_version_flag("--version", "barco 0.1.0");
  app.add_option("--root", g.state_root, "Directory for container state records")->capture_default_str();
  app.add_option("--log", g.log_file, "Also write warnings and errors to this file (OCI callers read it)");
  app.add_option("--log-format", g.log_format, "text or json, for --log")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--systemd-cgroup", g.systemd_cgroup,
               "OCI: read cgroupsPath as slice:prefix:name (barco still writes cgroupfs itself)");
  app.add_option("--rootless", g.rootless, "OCI: accepted (true, false, auto); barco runs as root");
  app.add_flag("--debug", g.debug, "Same as --log-level debug");

  const std::vector<std::string> args(argv, argv + argc);
  const size_t sub_at = find_subcommand(args);
  const std::string invoked = sub_at < args.size() ? args[sub_at] : "";
  // Only the invoked subcommand gets its options: defining a CLI11 option checks its names
  // against every other one, and `run` and `audit` share some fifty (a measurable part of a
  // start). The help of the others lists them with their descriptions.
  barco::cli::RunFlags run_flags;
  auto* run = app.add_subcommand("run", "Run a command in a new container (or: run --bundle DIR ID, OCI)");
  if (invoked == "run") {
    barco::cli::add_run_flags(*run, run_flags);
  }
  auto* gc = app.add_subcommand("gc", "Remove the records and cgroups of containers whose barco died");
  auto* doctor = app.add_subcommand("doctor", "Check this host: cgroups, namespaces, seccomp, overlayfs");
  bool doctor_json = false;
  barco::cli::add_doctor_flags(*doctor, doctor_json);
  barco::cli::AuditFlags audit_flags;
  auto* audit = app.add_subcommand("audit", "Show what a container can reach: every boundary blocked or possible");
  if (invoked == "audit") {
    barco::cli::add_audit_flags(*audit, audit_flags);
  }
  auto* lab = app.add_subcommand("lab", "Security lab exercises");
  lab->require_subcommand(1);
  barco::cli::LabFlags lab_flags;
  auto* compare =
      lab->add_subcommand("compare", "Audit a default, a --privileged and a k3s-style container side by side");
  barco::cli::add_lab_flags(*compare, lab_flags);

  // Detached containers (docker's words) and the OCI runtime CLI.
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
  auto* ps = app.add_subcommand("ps", "List containers (-a: also exited); ps ID: the container's processes");
  auto* logs = app.add_subcommand("logs", "Print a detached container's output (-f: follow)");
  auto* stop = app.add_subcommand("stop", "SIGTERM, then SIGKILL after -t seconds");
  auto* kill = app.add_subcommand("kill", "Send a signal: kill [-s SIG] ID, or kill ID SIG (OCI)");
  auto* rm = app.add_subcommand("rm", "Remove containers: cgroups, copy-on-write layer, log, record");
  auto* pause = app.add_subcommand("pause", "Freeze every process of a container (cgroup freezer)");
  auto* resume = app.add_subcommand("resume", "Thaw a paused container");
  auto* exec = app.add_subcommand("exec", "Run a command in a running container, with its isolation");
  auto* spec = app.add_subcommand("spec", "OCI: write a default config.json");
  auto* create = app.add_subcommand("create", "OCI: set a container up from a bundle; it waits for start");
  auto* start = app.add_subcommand("start", "OCI: run the command of a created container");
  auto* state = app.add_subcommand("state", "OCI: print a container's state JSON");
  auto* del = app.add_subcommand("delete", "OCI: remove a container (--force kills it first)");
  auto* features = app.add_subcommand("features", "OCI: print what this runtime supports (features JSON)");
  const std::vector<std::pair<CLI::App*, std::function<void()>>> definitions = {
      {ps, [&] { barco::cli::add_ps_flags(*ps, ps_flags); }},
      {logs, [&] { barco::cli::add_logs_flags(*logs, logs_flags); }},
      {stop, [&] { barco::cli::add_stop_flags(*stop, stop_flags); }},
      {kill, [&] { barco::cli::add_kill_flags(*kill, kill_flags); }},
      {rm, [&] { barco::cli::add_rm_flags(*rm, rm_flags); }},
      {pause, [&] { barco::cli::add_pause_flags(*pause, pause_flags); }},
      {resume, [&] { barco::cli::add_pause_flags(*resume, pause_flags); }},
      {exec, [&] { barco::cli::add_exec_flags(*exec, exec_flags); }},
      {spec, [&] { barco::cli::add_spec_flags(*spec, spec_flags); }},
      {create, [&] { barco::cli::add_create_flags(*create, create_flags); }},
      {start, [&] { barco::cli::add_id_flags(*start, id_flags); }},
      {state, [&] { barco::cli::add_id_flags(*state, id_flags); }},
      {del, [&] { barco::cli::add_delete_flags(*del, delete_flags); }},
  };
  for (const auto& [sub, define] : definitions) {
    if (sub->get_name() == invoked) {
      define();
    }
  }
  int run_verbosity = 0;
  // `barco -v run` is verbose, `barco run -v` a volume (docker's -v); --verbose works in both places.
  run->add_flag("--verbose", run_verbosity, "Log every step as it runs");

  // The words from the container's command on are not barco's: CLI11 sees only the rest.
  // For exec the command follows the container id.
  size_t command_at = args.size();
  if (invoked == "run") {
    command_at = barco::cli::find_command_start(*run, args, sub_at + 1);
  } else if (invoked == "exec") {
    command_at = std::min(barco::cli::find_command_start(*exec, args, sub_at + 1) + 1, args.size());
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
  try {
    if (doctor->parsed()) {
      return barco::cli::run_doctor(doctor_json);
    }
    if (audit->parsed()) {
      return barco::cli::run_audit(audit_flags, root);
    }
    if (compare->parsed()) {
      return barco::cli::run_lab_compare(lab_flags, root);
    }
    if (gc->parsed()) {
      for (const auto& id : barco::remove_stale_records(root)) {
        std::printf("removed %s\n", id.c_str());
      }
      return 0;
    }
    if (ps->parsed()) return barco::cli::run_ps(ps_flags, root);
    if (logs->parsed()) return barco::cli::run_logs(logs_flags, root);
    if (stop->parsed()) return barco::cli::run_stop(stop_flags, root);
    if (kill->parsed()) return barco::cli::run_kill(kill_flags, root);
    if (rm->parsed()) return barco::cli::run_rm(rm_flags, root);
    if (pause->parsed()) return barco::cli::run_pause(pause_flags, root, true);
    if (resume->parsed()) return barco::cli::run_pause(pause_flags, root, false);
    if (exec->parsed()) return barco::cli::run_exec(exec_flags, root, argv);
    if (spec->parsed()) return barco::cli::run_spec(spec_flags);
    if (create->parsed()) return barco::cli::run_create(create_flags, root, g.systemd_cgroup, argv);
    if (start->parsed()) return barco::cli::run_start(id_flags, root);
    if (state->parsed()) return barco::cli::run_state(id_flags, root);
    if (del->parsed()) return barco::cli::run_delete(delete_flags, root);
    if (features->parsed()) return barco::cli::run_features();
    const auto words = barco::cli::command_from_args(args, command_at);
    if (!run_flags.bundle.empty()) {
      if (words.size() != 1) {
        throw barco::ConfigError("run --bundle DIR ID: expected exactly one container id after the flags",
                                 "the command comes from the bundle's config.json");
      }
      return barco::cli::run_bundle(run_flags, words.front(), root, g.systemd_cgroup);
    }
    run_flags.command = words;
    return run_command(run_flags, root);
  } catch (const barco::ConfigError& e) {
    barco::report_error(e.error());
    return barco::kExitBarcoError;
  }
}
