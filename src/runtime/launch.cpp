// One launch path for run, run -d, run --bundle and create, and the exec path: the
// placement, the plan for this machine, the warnings, the dry run, then the parent's walk.
#include "linux/process.hpp"
#include "linux/seccomp.hpp"
#include "runtime/containers.hpp"
#include "runtime/executor.hpp"
#include "runtime/network.hpp"

#include <barco/clock.hpp>
#include <barco/files.hpp>
#include <barco/oci.hpp>
#include <barco/runtime.hpp>

#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace barco {
namespace {

PlanHost plan_host(const std::string& state_root, bool cgroups_disabled) {
  const auto host = real_host();
  // --cgroups disabled: as if the host had no cgroup filesystem, so nothing is created.
  return PlanHost{state_root,          native_seccomp_arch(),  KernelVersion::parse(host.kernel_release()),
                  host.cap_last_cap(), host.caller_bounding(), cgroups_disabled ? CgroupHost{} : host.cgroups()};
}

void warn_about_the_host(const ContainerConfig& config, const PlanHost& host, const LaunchRequest& request) {
  if (config.seccomp_explicit && config.seccomp) {
    for (const auto& name : unknown_syscall_names(*config.seccomp)) {
      spdlog::warn("seccomp profile {}: '{}' is not a syscall on any architecture libseccomp knows (a typo?)",
                   config.seccomp->source, name);
    }
  }
  if (!config.device_rules.empty() && host.cgroups.mode == CgroupMode::none && !request.dry_run) {
    spdlog::warn("device access is not restricted: {}",
                 request.cgroups_disabled ? "--cgroups disabled" : "this host has no cgroup filesystem mounted");
  }
}

void warn_left_out(const Plan& plan) {
  for (const auto& what : plan.left_out) {
    spdlog::warn("{}", what);
  }
}

// What the host cannot enforce: warnings, or with --strict-cgroups the refusal.
Result<void> check_unenforced(const Plan& plan, bool strict) {
  warn_left_out(plan);
  for (const auto& problem : plan.unenforced) {
    if (strict) {
      return plain_error(problem, "--strict-cgroups makes a limit that cannot be enforced an error");
    }
    spdlog::warn("{}", problem);
  }
  return {};
}

Result<void> require_root(const char* verb) {
  if (::geteuid() == 0) {
    return {};
  }
  return plain_error(std::string("barco ") + verb + ": not running as root",
                     "creating namespaces and mounts needs root: run it with sudo (--dry-run works without)");
}

RunOptions run_options(const LaunchRequest& request, const std::string& id, const Placement& placement) {
  RunOptions options;
  options.state_root = request.state_root;
  options.log_steps = spdlog::should_log(spdlog::level::debug);
  options.timings = request.timings;
  if (request.startup != nullptr) {
    options.startup_ns = request.startup->laps();
  }
  options.detach = request.detach;
  options.auto_remove = request.auto_remove;
  options.handover = request.handover;
  options.bundle = request.bundle;
  if (!placement.overlay_dir.empty() || !placement.log_file.empty()) {
    options.data_dir = request.data_root + "/" + id;
  }
  options.log_limit = request.log_limit;
  return options;
}

int report(const Error& e) {
  report_error(e);
  return kExitBarcoError;
}

// exec: the tasks (v1) or cgroup.procs (v2) file of each of the container's cgroups, and
// the v2 one, which the process is born in.
void add_exec_cgroups(ExecTarget& target, const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    struct stat st {};
    // cgroup.controllers exists only on cgroup v2, where the file to write is cgroup.procs.
    if (::stat((dir + "/cgroup.controllers").c_str(), &st) == 0) {
      target.cgroup_files.push_back(dir + "/cgroup.procs");
      target.unified_cgroup = dir;
    } else {
      target.cgroup_files.push_back(dir + "/tasks");
    }
  }
}

ExecTarget exec_target(const ContainerView& v, const std::vector<std::string>& cgroup_dirs,
                       const ContainerConfig& stored, const std::string& seccomp, bool detach) {
  ExecTarget target;
  target.pid = v.info.pid;
  for (const auto& ns : stored.namespaces) {
    if (ns.private_ns && ns.type != Namespace::pid) {
      target.namespace_flags |= namespace_clone_flag(ns.type);
    }
    target.pid_namespace = target.pid_namespace || (ns.private_ns && ns.type == Namespace::pid);
  }
  add_exec_cgroups(target, cgroup_dirs);
  if (!seccomp.empty()) {
    target.seccomp = "the container's own filter (" + std::to_string(seccomp.size() / 8) + " BPF instructions)";
  }
  target.detach = detach;
  return target;
}

// exec --cgroup: the container's cgroups with the sub cgroups applied, each one existing.
Result<std::vector<std::string>> exec_cgroup_dirs(const std::vector<std::string>& dirs,
                                                  const std::vector<std::string>& specs) {
  if (specs.empty()) {
    return dirs;
  }
  std::vector<std::string> out;
  try {
    std::vector<SubCgroup> subs;
    subs.reserve(specs.size());
    for (const auto& spec : specs) {
      subs.push_back(parse_sub_cgroup(spec));
    }
    out = sub_cgroup_dirs(dirs, subs, [](const std::string& dir) {
      struct stat st {};
      return ::stat((dir + "/cgroup.controllers").c_str(), &st) == 0;  // only cgroup v2 has it
    });
  } catch (const ConfigError& e) {
    return e.error();
  }
  for (const auto& dir : out) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) < 0) {
      return Error{errno, "exec", "--cgroup: " + dir, "create the sub cgroup first (mkdir in the container's cgroup)"};
    }
  }
  return out;
}

}  // namespace

StartupLaps::StartupLaps() : last_ns_(monotonic_ns()) {}

void StartupLaps::lap(const char* what) {
  const int64_t now = monotonic_ns();
  laps_.emplace_back(what, now - last_ns_);
  last_ns_ = now;
}

Placement placement_for(const std::string& id, const LaunchRequest& request) {
  Placement p;
  // The writable layer and the log live on disk under the data root, not in the state
  // root (/run: a tmpfs, so memory, on most hosts).
  const std::string data_dir = request.data_root + "/" + id;
  if (request.overlay) {
    p.overlay_dir = data_dir + "/overlay";
  }
  if (request.detach) {
    p.log_file = data_dir + "/container.log";
  }
  if (request.oci_create) {
    p.exec_fifo = request.state_root + "/" + id + "/exec.fifo";
  }
  p.strict_cgroups = request.strict_cgroups;
  return p;
}

Plan plan_for(const ContainerConfig& config, const LaunchRequest& request) {
  return build_plan(config, placement_for(config.id, request), plan_host(request.state_root, request.cgroups_disabled));
}

int launch(const ContainerConfig& requested, const LaunchRequest& request) {
  auto config = requested;
  auto placement = placement_for(config.id, request);
  if (auto r = place_network(config, placement, request.state_root); !r) {
    return report(r.error());
  }
  const auto host = plan_host(request.state_root, request.cgroups_disabled);
  warn_about_the_host(config, host, request);
  const auto plan = build_plan(config, placement, host);
  if (request.startup != nullptr) {
    request.startup->lap("plan");
  }
  if (auto r = check_unenforced(plan, request.strict_cgroups); !r) {
    return report(r.error());
  }
  if (request.dry_run) {
    std::fputs(format_plan(plan).c_str(), stdout);
    return 0;
  }
  if (auto r = require_root(request.oci_create ? "create" : "run"); !r) {
    return report(r.error());
  }
  if (auto r = check_preserved_fds(config.process.preserve_fds); !r) {
    return report(r.error());
  }
  return run_container(plan, run_options(request, config.id, placement));
}

int exec_container(const std::string& root, const std::string& id, const ExecRequest& request) {
  // runc's 255 unless the container is one of barco's own (run -d), which keep docker's codes.
  int failed = kExitRuncError;
  auto fail = [&failed](const Error& e) {
    report_error(e);
    return failed;
  };
  if (auto r = require_root("exec"); !r) {
    return fail(r.error());
  }
  auto v = find_container(root, id);
  if (!v) {
    return fail(v.error());
  }
  if (!v->info.oci) {
    failed = kExitBarcoError;
  }
  // As runc: a created container (waiting for start) can be entered; a paused one only
  // with --ignore-paused, since the new process would freeze with it.
  const bool enterable = v->status == ContainerStatus::running || v->status == ContainerStatus::created ||
                         (v->status == ContainerStatus::paused && request.ignore_paused);
  if (!enterable) {
    return fail(plain_error(
        v->status == ContainerStatus::paused ? "barco exec " + id + ": cannot exec in a paused container"
                                             : "barco exec " + id + ": the container is " + status_name(v->status),
        v->status == ContainerStatus::paused ? "resume it, or exec --ignore-paused" : "barco ps -a shows its state"));
  }
  auto text = read_file(v->dir + "/config.json");
  if (!text) {
    return fail(text.error());
  }
  auto stored = parse_oci_config(*text, OciContext{v->dir, id}).config;
  stored.process = request.process(stored, v->info.pid);
  // runc's exec hands the caller's stdin to the process; docker's needs -i. A container of
  // the OCI verbs follows runc.
  stored.process.stdin_open = stored.process.stdin_open || v->info.oci;
  const auto seccomp = read_file(v->dir + "/seccomp.bpf");
  const auto program = seccomp ? *seccomp : std::string();
  auto cgroups = exec_cgroup_dirs(v->info.cgroups, request.cgroups);
  if (!cgroups) {
    return fail(cgroups.error());
  }
  const auto plan =
      build_exec_plan(stored, exec_target(*v, *cgroups, stored, program, request.detach), plan_host(root, false));
  warn_left_out(plan);
  if (request.dry_run) {
    std::fputs(format_plan(plan).c_str(), stdout);
    return 0;
  }
  if (auto r = check_preserved_fds(stored.process.preserve_fds); !r) {
    return fail(r.error());
  }
  auto pidfd = open_init(*v);
  if (!pidfd) {
    return fail(pidfd.error());
  }
  RunOptions options;
  options.state_root = root;
  options.log_steps = spdlog::should_log(spdlog::level::debug);
  options.handover = {request.detach, request.pid_file, request.console_socket};
  options.runc_exit_codes = v->info.oci;
  return exec_in_container(plan, pidfd->get(), program, options);
}

}  // namespace barco
