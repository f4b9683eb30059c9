// barco: the command line. It parses flags into a ContainerConfig, builds the Plan, and
// either prints it (--dry-run) or hands it to the runtime. Nothing else lives here.
#include "cli/audit_command.hpp"
#include "cli/cgroup_command.hpp"
#include "cli/docs_command.hpp"
#include "cli/doctor_command.hpp"
#include "cli/lifecycle_command.hpp"
#include "cli/oci_command.hpp"
#include "cli/run_command.hpp"

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
#include <map>
#include <memory>
#include <set>
#include <span>

namespace {

// --log FILE: the two forms runc's logrus writes, one line per message. json: {"level",
// "msg", "time"} (containerd's shim and podman's conmon read errors from it); text:
// time="..." level=error msg="...".
// logrus' quoting: backslash and double quote escaped, newlines as \n.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out + "\"";
}

// A destination of logrus-style lines: the --log file, or stderr under --debug.
class LogrusFile {
 public:
  explicit LogrusFile(const std::string& path) : file_(std::fopen(path.c_str(), "ae")), owned_(true) {}
  explicit LogrusFile(std::FILE* stream) : file_(stream), owned_(false) {}
  LogrusFile(const LogrusFile&) = delete;
  LogrusFile& operator=(const LogrusFile&) = delete;
  ~LogrusFile() {
    if (file_ != nullptr && owned_) {
      std::fclose(file_);
    }
  }
  void write(const std::string& level, const std::string& msg, bool json) {
    if (file_ == nullptr) {
      return;
    }
    const auto line = json ? nlohmann::json{{"level", level}, {"msg", msg}, {"time", barco::now_rfc3339()}}.dump()
                           : "time=\"" + barco::now_rfc3339() + "\" level=" + level + " msg=" + quoted(msg);
    std::fprintf(file_, "%s\n", line.c_str());
    std::fflush(file_);
  }

 private:
  std::FILE* file_;
  bool owned_;
};

// runc's --debug names the phases of a start with its own phrases ("nsexec container
// setup"), which its callers' tests and people comparing the two logs look for. Under
// --debug, a line of the barco step that does that phase's work carries runc's phrase.
struct RuncPhrase {
  const char* step;
  const char* phrase;
};
constexpr RuncPhrase kRuncPhrasesOfInit[] = {
    {"clone", "nsexec container setup"},
    {"make_non_dumpable", "child process in init()"},
    {"exec", "init: closing the pipe to signal completion"},  // execve closes the sync socket
};
constexpr RuncPhrase kRuncPhrasesOfExec[] = {
    {"clone", "nsexec container setup"},
    {"make_non_dumpable", "child process in init()"},
    {"exec", "setns_init: about to exec"},
};

std::string step_of(const std::string& msg) {
  return msg.substr(0, msg.find(": "));
}

std::string with_runc_phrase(const std::string& msg, std::span<const RuncPhrase> phrases) {
  const auto step = step_of(msg);
  for (const auto& p : phrases) {
    if (step == p.step) {
      return msg + " (runc: " + p.phrase + ")";
    }
  }
  return msg;
}

template <typename Mutex>
class LogrusSink : public spdlog::sinks::base_sink<Mutex> {
 public:
  LogrusSink(std::shared_ptr<LogrusFile> log, bool json, std::span<const RuncPhrase> phrases)
      : log_(std::move(log)), json_(json), phrases_(phrases) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    std::string text(msg.payload.data(), msg.payload.size());
    if (!phrased_.contains(step_of(text))) {
      const auto phrased = with_runc_phrase(text, phrases_);
      if (phrased.size() != text.size()) {
        phrased_.insert(step_of(text));  // once per step: clone logs two lines
        text = phrased;
      }
    }
    log_->write(std::string(level.data(), level.size()), text, json_);
  }
  void flush_() override {}

 private:
  std::shared_ptr<LogrusFile> log_;
  bool json_;
  std::span<const RuncPhrase> phrases_;
  std::set<std::string> phrased_;
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
  std::string criu = "criu";
};

// Warnings and errors go to stderr in barco's form. --log FILE gets every line in one of
// logrus' forms, as runc writes it. runc's --debug writes logrus lines to stderr, or only
// to the --log file when there is one: so does barco's (-v/--log-level keep barco's form).
void setup_logging(const GlobalFlags& g, int extra_verbosity, bool exec) {
  const std::span<const RuncPhrase> phrases = !g.debug ? std::span<const RuncPhrase>{}
                                              : exec   ? kRuncPhrasesOfExec
                                                       : kRuncPhrasesOfInit;
  auto logger = spdlog::stderr_color_st("barco");
  logger->set_pattern("barco %^%l%$: %v");
  if (!g.log_file.empty()) {
    auto file = std::make_shared<LogrusFile>(g.log_file);
    const bool json = g.log_format == "json";
    logger->sinks().push_back(std::make_shared<LogrusSink<spdlog::details::null_mutex>>(file, json, phrases));
    barco::set_error_log([file, json](const std::string& msg) { file->write("error", msg, json); });
    if (g.debug) {
      logger->sinks().front()->set_level(spdlog::level::warn);
    }
  } else if (g.debug) {
    logger->sinks().front() =
        std::make_shared<LogrusSink<spdlog::details::null_mutex>>(std::make_shared<LogrusFile>(stderr), false, phrases);
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

namespace cli = barco::cli;

// What one invocation parsed: the global flags and every subcommand's (only the invoked
// subcommand's are defined, so only they are filled).
struct Invocation {
  GlobalFlags global;
  std::vector<std::string> args;
  size_t command_at = 0;  // where the container's command starts (run, exec)
  barco::StartupLaps* startup = nullptr;
  cli::RunFlags run;
  int run_verbosity = 0;
  cli::ExecFlags exec;
  cli::PsFlags ps;
  cli::LogsFlags logs;
  cli::StopFlags stop;
  cli::KillFlags kill;
  cli::RmFlags rm;
  cli::PauseFlags pause;
  bool doctor_json = false;
  cli::AuditFlags audit;
  cli::LabFlags lab;
  CLI::App* compare = nullptr;
  cli::SpecFlags spec;
  cli::CreateFlags create;
  cli::IdFlags id;
  cli::ListFlags list;
  cli::DeleteFlags remove;
  cli::UpdateFlags update;
  cli::EventsFlags events;
  cli::DocsFlags docs;
  cli::CriuFlags criu;
  const CLI::App* barco = nullptr;  // the whole command line, for completion and man pages
};

int run_command(Invocation& in) {
  const auto words = cli::command_from_args(in.args, in.command_at);
  const auto& root = in.global.state_root;
  // runc's form: `run ID` in a bundle directory (runc's --bundle defaults to ".").
  if (in.run.bundle.empty() && in.run.rootfs.empty() && words.size() == 1 && ::access("config.json", F_OK) == 0) {
    in.run.bundle = ".";
  }
  if (!in.run.bundle.empty()) {
    if (words.size() != 1) {
      throw barco::ConfigError("run --bundle DIR ID: expected exactly one container id after the flags",
                               "the command comes from the bundle's config.json");
    }
    return cli::run_bundle(in.run, words.front(), root, in.global.systemd_cgroup);
  }
  in.run.command = words;
  in.startup->lap("flags");
  const auto host = barco::real_host();
  in.startup->lap("host facts");
  const auto config = cli::config_from_flags(in.run, host);
  in.startup->lap("config");
  return cli::run_config(config, in.run, root, in.startup);
}

int run_gc(const std::string& root) {
  for (const auto& id : barco::remove_stale_records(root)) {
    std::printf("removed %s\n", id.c_str());
  }
  return 0;
}

int run_lab(Invocation& in) {
  return in.compare != nullptr && in.compare->parsed() ? cli::run_lab_compare(in.lab, in.global.state_root) : 0;
}

// The exit status of a ConfigError (a bad flag or config.json). containerd, podman and the
// OCI tests call the OCI verbs and expect runc's 1; barco's own forms are docker's, 125.
enum class ConfigErrorStatus {
  docker,            // 125
  runc,              // 1
  runc_with_bundle,  // 1 for `run --bundle DIR ID` (runc run), 125 for `run IMAGE`
};

// What main() must know about a verb besides its flags and handler. Each is a column of the
// table, not a list of names elsewhere, so that adding a verb is adding one row.
struct Traits {
  // Its child enters a container while it is still a copy of barco (CVE-2019-5736): barco
  // re-executes from a view of its binary that cannot be written before it parses anything.
  bool enters_a_container = false;
  // Where the words that are not barco's begin (the container's command, ps(1)'s options),
  // which CLI11 must not parse: `run IMAGE ls -l` would take -l. Null: every word is barco's.
  size_t (*command_start)(Invocation& in, const CLI::App& sub, size_t first) = nullptr;
  ConfigErrorStatus config_error_status = ConfigErrorStatus::docker;
  // Not listed by --help: the build calls it, users read its output with man(1).
  bool hidden = false;
  // Completion and man pages describe every subcommand with its flags, so all are defined.
  bool describes_every_command = false;
  // runc has a verb of that name, which barco's does the work of: its help says so.
  bool runc_verb = false;
};

// The subcommands: name, help, their flags, their handler, their traits. One row each.
struct Command {
  const char* name;
  const char* help;
  void (*define)(CLI::App&, Invocation&);
  int (*run)(Invocation&);
  Traits traits{};
};

// A verb whose handler takes its flags and the state root, and one that takes only its flags.
template <auto Flags, auto Add>
void define(CLI::App& app, Invocation& in) {
  Add(app, in.*Flags);
}
template <auto Flags, auto Run>
int on_root(Invocation& in) {
  return Run(in.*Flags, in.global.state_root);
}
void no_flags(CLI::App& /*app*/, Invocation& /*in*/) {}

void define_run(CLI::App& app, Invocation& in) {
  cli::add_run_flags(app, in.run);
  // `barco run -v` is a volume (docker's -v): --verbose logs the steps, before or after run.
  app.add_flag("--verbose", in.run_verbosity, "Log every step as it runs");
}

void define_lab(CLI::App& app, Invocation& in) {
  app.require_subcommand(1);
  in.compare = app.add_subcommand("compare", "Audit a default, a --privileged and a k3s-style container side by side");
  cli::add_lab_flags(*in.compare, in.lab);
}

int run_pause(Invocation& in) {
  return cli::run_pause(in.pause, in.global.state_root, true);
}
int run_resume(Invocation& in) {
  return cli::run_pause(in.pause, in.global.state_root, false);
}
int run_create(Invocation& in) {
  return cli::run_create(in.create, in.global.state_root, in.global.systemd_cgroup);
}

// run IMAGE CMD...: the container's command starts at the first word after run's flags.
size_t run_command_start(Invocation& in, const CLI::App& sub, size_t first) {
  return cli::find_command_start(sub, in.args, first);
}
size_t after_the_id(Invocation& in, const CLI::App& sub, size_t first) {
  return std::min(cli::find_command_start(sub, in.args, first) + 1, in.args.size());
}
// exec ID CMD...: the command follows the container id.
size_t exec_command_start(Invocation& in, const CLI::App& sub, size_t first) {
  const size_t at = after_the_id(in, sub, first);
  in.exec.command.assign(in.args.begin() + static_cast<std::ptrdiff_t>(at), in.args.end());
  return at;
}
// runc's `ps ID [ps options]`: the words after the id are ps(1)'s.
size_t ps_options_start(Invocation& in, const CLI::App& sub, size_t first) {
  const size_t at = after_the_id(in, sub, first);
  in.ps.ps_args.assign(in.args.begin() + static_cast<std::ptrdiff_t>(at), in.args.end());
  return at;
}

using I = Invocation;
constexpr Command kCommands[] = {
    {"run",
     "Run a command in a new container (or: run --bundle DIR ID, OCI)",
     define_run,
     run_command,
     {.enters_a_container = true,
      .command_start = run_command_start,
      .config_error_status = ConfigErrorStatus::runc_with_bundle,
      .runc_verb = true}},
    {"exec",
     "Run a command in a running container, with its isolation",
     define<&I::exec, cli::add_exec_flags>,
     on_root<&I::exec, cli::run_exec>,
     {.enters_a_container = true, .command_start = exec_command_start, .runc_verb = true}},
    {"ps",
     "List containers (-a: also exited); ps ID: the container's processes",
     define<&I::ps, cli::add_ps_flags>,
     on_root<&I::ps, cli::run_ps>,
     {.command_start = ps_options_start, .runc_verb = true}},
    {"logs", "Print a detached container's output (-f: follow)", define<&I::logs, cli::add_logs_flags>,
     on_root<&I::logs, cli::run_logs>},
    {"stop", "SIGTERM, then SIGKILL after -t seconds", define<&I::stop, cli::add_stop_flags>,
     on_root<&I::stop, cli::run_stop>},
    {"kill",
     "Send a signal: kill [-s SIG] ID, or kill ID SIG (OCI)",
     define<&I::kill, cli::add_kill_flags>,
     on_root<&I::kill, cli::run_kill>,
     {.runc_verb = true}},
    {"rm", "Remove containers: cgroups, copy-on-write layer, log, record", define<&I::rm, cli::add_rm_flags>,
     on_root<&I::rm, cli::run_rm>},
    {"pause",
     "Freeze every process of a container (cgroup freezer)",
     define<&I::pause, cli::add_pause_flags>,
     run_pause,
     {.runc_verb = true}},
    {"resume", "Thaw a paused container", define<&I::pause, cli::add_pause_flags>, run_resume, {.runc_verb = true}},
    {"doctor", "Check this host: cgroups, namespaces, seccomp, overlayfs",
     define<&I::doctor_json, cli::add_doctor_flags>, [](I& in) { return cli::run_doctor(in.doctor_json); }},
    {"audit",
     "Show what a container can reach: every boundary blocked or possible",
     define<&I::audit, cli::add_audit_flags>,
     on_root<&I::audit, cli::run_audit>,
     {.enters_a_container = true}},
    {"lab", "Security lab exercises", define_lab, run_lab, {.enters_a_container = true}},
    {"gc", "Remove the records and cgroups of containers whose barco died", no_flags,
     [](I& in) { return run_gc(in.global.state_root); }},
    {"spec",
     "OCI: write a default config.json",
     define<&I::spec, cli::add_spec_flags>,
     [](I& in) { return cli::run_spec(in.spec); },
     {.runc_verb = true}},
    {"create",
     "OCI: set a container up from a bundle; it waits for start",
     define<&I::create, cli::add_create_flags>,
     run_create,
     {.enters_a_container = true, .config_error_status = ConfigErrorStatus::runc, .runc_verb = true}},
    {"start",
     "OCI: run the command of a created container",
     define<&I::id, cli::add_id_flags>,
     on_root<&I::id, cli::run_start>,
     {.runc_verb = true}},
    {"state",
     "OCI: print a container's state JSON",
     define<&I::id, cli::add_id_flags>,
     on_root<&I::id, cli::run_state>,
     {.runc_verb = true}},
    {"delete",
     "OCI: remove a container (--force kills it first)",
     define<&I::remove, cli::add_delete_flags>,
     on_root<&I::remove, cli::run_delete>,
     {.runc_verb = true}},
    {"list",
     "OCI: list containers, as runc (-q ids, -f json)",
     define<&I::list, cli::add_list_flags>,
     on_root<&I::list, cli::run_list>,
     {.runc_verb = true}},
    {"update",
     "Change a running container's limits (runc's flags, or -r resources.json)",
     define<&I::update, cli::add_update_flags>,
     on_root<&I::update, cli::run_update>,
     {.config_error_status = ConfigErrorStatus::runc, .runc_verb = true}},
    {"events",
     "Print a container's statistics (--stats: once) and OOM kills as JSON lines",
     define<&I::events, cli::add_events_flags>,
     on_root<&I::events, cli::run_events>,
     {.config_error_status = ConfigErrorStatus::runc, .runc_verb = true}},
    {"checkpoint",
     "OCI: save a running container's processes to disk through CRIU",
     define<&I::criu, cli::add_checkpoint_flags>,
     [](I& in) { return cli::run_checkpoint(in.criu, in.global.state_root, in.global.criu); },
     {.runc_verb = true}},
    {"restore",
     "OCI: start a container again from a checkpoint, through CRIU",
     define<&I::criu, cli::add_restore_flags>,
     [](I& in) { return cli::run_restore(in.criu, in.global.state_root, in.global.criu); },
     {.runc_verb = true}},
    {"version",
     "Print the version, git commit, OCI spec, libseccomp and build",
     no_flags,
     [](I& /*in*/) {
       std::fputs(barco::version_text(barco::version_info()).c_str(), stdout);
       return 0;
     },
     {.runc_verb = true}},
    {"features",
     "OCI: print what this runtime supports (features JSON)",
     no_flags,
     [](I& /*in*/) { return cli::run_features(); },
     {.runc_verb = true}},
    {"completion",
     "Print a shell completion script: completion bash|zsh|fish",
     define<&I::docs, cli::add_completion_flags>,
     [](I& in) { return cli::run_completion(in.docs, *in.barco); },
     {.describes_every_command = true}},
    {"man-pages",
     "Write barco's man pages into a directory (the build does)",
     define<&I::docs, cli::add_man_pages_flags>,
     [](I& in) { return cli::run_man_pages(in.docs, *in.barco, barco::version_info().version); },
     {.hidden = true, .describes_every_command = true}},
};

const Command* find_command(const std::string& name) {
  const auto* it =
      std::find_if(std::begin(kCommands), std::end(kCommands), [&](const Command& c) { return name == c.name; });
  return it == std::end(kCommands) ? nullptr : it;
}

// runc's help (urfave/cli's) begins with "NAME:" and "   runc VERB - what it does", and
// callers and runc's own tests read those two lines. barco's begins the same way and names
// the runc verb a barco verb stands in for.
class NamedHelp : public CLI::Formatter {
 public:
  std::string make_description(const CLI::App* app) const override {
    if (app->get_parent() == nullptr) {
      return "NAME:\n   barco - " + app->get_description() + "\n\n";
    }
    const auto& name = app->get_name();
    const Command* command = find_command(name);
    const bool runc_verb = command != nullptr && command->traits.runc_verb;
    return "NAME:\n   barco " + name + (runc_verb ? " (runc " + name + ")" : "") + " - " + app->get_description() +
           "\n\n";
  }
};

bool asks_for_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "-h" || a == "--help"; });
}

// Index of the subcommand word (skipping global flags and their values), or args.size().
size_t find_subcommand(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--log-level" || a == "--root" || a == "--data-root" || a == "--log" || a == "--log-format" ||
        a == "--rootless" || a == "--criu") {
      ++i;
    } else if (!a.empty() && a.front() != '-') {
      return i;
    }
  }
  return args.size();
}

// Whether barco re-executes from a sealed view of its binary (Traits::enters_a_container).
// Nothing of the command line after the subcommand is looked at: it may be the container's
// own arguments. Without root no container can be made, and the re-exec is skipped.
bool puts_barco_into_a_container(const Command* command) {
  return ::geteuid() == 0 && command != nullptr && command->traits.enters_a_container;
}

// The exit status of a ConfigError thrown by the handler (Traits::config_error_status).
int config_error_exit(const Command& command, const Invocation& in) {
  switch (command.traits.config_error_status) {
    case ConfigErrorStatus::runc: return 1;
    case ConfigErrorStatus::runc_with_bundle: return in.run.bundle.empty() ? barco::kExitBarcoError : 1;
    case ConfigErrorStatus::docker: break;
  }
  return barco::kExitBarcoError;
}

}  // namespace

int main(int argc, char** argv) {
  // A closed stdout/stderr pipe must end barco through its normal path (which removes the
  // state record and reaps the container), not through SIGPIPE's default action.
  std::signal(SIGPIPE, SIG_IGN);
  const std::vector<std::string> args(argv, argv + argc);
  const size_t sub_at = find_subcommand(args);
  const std::string invoked = sub_at < args.size() ? args[sub_at] : "";
  const Command* command = find_command(invoked);
  if (puts_barco_into_a_container(command)) {
    if (auto r = barco::reexec_sealed(argv); !r) {
      barco::report_error(r.error());
      return barco::kExitBarcoError;
    }
  }
  barco::StartupLaps startup;
  Invocation in;
  in.args = args;
  in.startup = &startup;
  GlobalFlags& g = in.global;
  CLI::App app{
      "a small, fast, explainable Linux container runtime, and a drop-in for runc - Open Container "
      "Initiative runtime",
      "barco"};
  app.formatter(std::make_shared<NamedHelp>());
  app.require_subcommand(1);
  app.add_flag("--verbose", g.verbosity, "Log every step as it runs (same as --log-level debug)");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warn (default), error, critical, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  // -v is the version, as in runc, docker and podman.
  app.set_version_flag("-v,--version", [] { return barco::version_text(barco::version_info()); });
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
  app.add_option("--criu", g.criu, "OCI: the CRIU program checkpoint and restore use")->capture_default_str();

  // Only the invoked subcommand is defined, with its options: CLI11 checks each new option
  // and subcommand against the existing ones and gives every subcommand its own help flag,
  // which was most of a start's user-space work. Without a known subcommand (--help, a
  // typo) all are defined, so the help and the error list them.
  if (command == nullptr && !invoked.empty()) {
    // runc's words for `runc foo -h`, which its callers' tests look for.
    std::fprintf(stderr, "barco: %s '%s' — hint: barco --help lists the commands\n",
                 asks_for_help(args) ? "No help topic for" : "unknown command", invoked.c_str());
    return barco::kExitBarcoError;
  }
  CLI::App* sub = nullptr;
  const bool define_all = command != nullptr && command->traits.describes_every_command;
  for (const auto& c : kCommands) {
    if (command == nullptr || command == &c || define_all) {
      auto* added = app.add_subcommand(c.name, c.help);
      if (c.traits.hidden) {
        added->group("");
      }
      if (command == &c || define_all) {
        c.define(*added, in);
      }
      sub = command == &c ? added : sub;
    }
  }
  in.barco = &app;

  // The words from the container's command on are not barco's: CLI11 sees only the rest.
  in.command_at = args.size();
  if (command != nullptr && command->traits.command_start != nullptr) {
    in.command_at = command->traits.command_start(in, *sub, sub_at + 1);
  }
  std::vector<char*> barco_argv(argv, argv + in.command_at);
  try {
    app.parse(static_cast<int>(barco_argv.size()), barco_argv.data());
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : barco::kExitBarcoError;
  }
  setup_logging(g, in.run_verbosity, invoked == "exec");
  in.run.data_root = g.data_root;
  in.audit.run.data_root = g.data_root;
  if (command == nullptr) {
    return barco::kExitBarcoError;  // CLI11 has refused the command line already
  }
  try {
    return command->run(in);
  } catch (const barco::ConfigError& e) {
    barco::report_error(e.error());
    return config_error_exit(*command, in);
  }
}
