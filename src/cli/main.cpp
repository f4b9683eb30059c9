// barco: the command line. It parses flags into a ContainerConfig, builds the Plan, and
// either prints it (--dry-run) or hands it to the runtime. Nothing else lives here.
#include "cli/audit_command.hpp"
#include "cli/doctor_command.hpp"
#include "cli/run_command.hpp"
#include "linux/seccomp.hpp"
#include "runtime/state.hpp"

#include <barco/plan.hpp>
#include <barco/runtime.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

void setup_logging(int verbosity, const std::string& level) {
  auto logger = spdlog::stderr_color_st("barco");
  logger->set_pattern("barco %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum lvl = spdlog::level::warn;
  if (!level.empty()) {
    lvl = spdlog::level::from_str(level);
  } else if (verbosity > 0) {
    lvl = spdlog::level::debug;
  }
  spdlog::set_level(lvl);
}

int run_command(const barco::cli::RunFlags& flags, const std::string& state_root) {
  const auto host = barco::cli::real_host();
  return barco::cli::run_config(barco::cli::config_from_flags(flags, host), flags, host, state_root);
}

// Index of the subcommand word (skipping global flags and --log-level's value), or
// args.size().
size_t find_subcommand(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--log-level" || args[i] == "--root") {
      ++i;
    } else if (!args[i].empty() && args[i].front() != '-') {
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
  int verbosity = 0;
  std::string log_level;
  app.add_flag("-v,--verbose", verbosity, "Log every step as it runs (same as --log-level debug)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn (default), error, critical, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.set_version_flag("--version", "barco 0.1.0");
  std::string state_root = barco::kDefaultStateRoot;
  app.add_option("--root", state_root, "Directory for container state records")->capture_default_str();

  const std::vector<std::string> args(argv, argv + argc);
  const size_t sub_at = find_subcommand(args);
  const std::string invoked = sub_at < args.size() ? args[sub_at] : "";
  // Only the invoked subcommand gets its options: defining a CLI11 option checks its names
  // against every other one, and `run` and `audit` share some fifty (a measurable part of a
  // start). The help of the others lists them with their descriptions.
  barco::cli::RunFlags run_flags;
  auto* run = app.add_subcommand("run", "Run a command in a new container");
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
  int run_verbosity = 0;
  // `barco -v run` is verbose, `barco run -v` a volume (docker's -v); --verbose works in both places.
  run->add_flag("--verbose", run_verbosity, "Log every step as it runs");

  // The words from the container's command on are not barco's: CLI11 sees only the rest.
  const size_t run_at = invoked == "run" ? sub_at : args.size();
  const size_t command_at = run_at < args.size() ? barco::cli::find_command_start(*run, args, run_at + 1) : args.size();
  std::vector<char*> barco_argv(argv, argv + command_at);
  try {
    app.parse(static_cast<int>(barco_argv.size()), barco_argv.data());
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : barco::kExitBarcoError;
  }
  setup_logging(verbosity + run_verbosity, log_level);
  try {
    if (doctor->parsed()) {
      return barco::cli::run_doctor(doctor_json);
    }
    if (audit->parsed()) {
      return barco::cli::run_audit(audit_flags, state_root);
    }
    if (compare->parsed()) {
      return barco::cli::run_lab_compare(lab_flags, state_root);
    }
    if (gc->parsed()) {
      for (const auto& id : barco::remove_stale_records(state_root)) {
        std::printf("removed %s\n", id.c_str());
      }
      return 0;
    }
    run_flags.command = barco::cli::command_from_args(args, command_at);
    return run_command(run_flags, state_root);
  } catch (const barco::ConfigError& e) {
    std::fprintf(stderr, "barco: %s\n", e.what());
    return barco::kExitBarcoError;
  }
}
