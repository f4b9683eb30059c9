// barco: the command line. It parses flags into a ContainerConfig, builds the Plan, and
// either prints it (--dry-run) or hands it to the runtime. Nothing else lives here.
#include "cli/run_command.hpp"

#include <barco/plan.hpp>
#include <barco/runtime.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdio>

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

int run_command(const barco::cli::RunFlags& flags) {
  const auto config = barco::cli::config_from_flags(flags, barco::cli::real_host());
  const auto plan = barco::build_plan(config, barco::kDefaultStateRoot);
  if (flags.dry_run) {
    std::fputs(barco::format_plan(plan).c_str(), stdout);
    return 0;
  }
  if (::geteuid() != 0) {
    throw barco::ConfigError("barco run: not running as root",
                             "creating namespaces and mounts needs root: run it with sudo (--dry-run works without)");
  }
  barco::RunOptions options;
  options.log_steps = spdlog::should_log(spdlog::level::debug);
  return barco::run_container(config, plan, options);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"barco: a small, fast, explainable Linux container runtime"};
  app.require_subcommand(1);
  int verbosity = 0;
  std::string log_level;
  app.add_flag("-v,--verbose", verbosity, "Log every step as it runs (same as --log-level debug)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn (default), error, critical, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.set_version_flag("--version", "barco 0.1.0");

  barco::cli::RunFlags run_flags;
  auto* run = app.add_subcommand("run", "Run a command in a new container");
  barco::cli::add_run_flags(*run, run_flags);
  int run_verbosity = 0;
  // `barco -v run` is verbose, `barco run -v` a volume (docker's -v); --verbose works in both places.
  run->add_flag("--verbose", run_verbosity, "Log every step as it runs");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : barco::kExitBarcoError;
  }
  setup_logging(verbosity + run_verbosity, log_level);
  try {
    return run_command(run_flags);
  } catch (const barco::ConfigError& e) {
    std::fprintf(stderr, "barco: %s\n", e.what());
    return barco::kExitBarcoError;
  }
}
