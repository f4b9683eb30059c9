#include "runtime/child.hpp"

#include "linux/capabilities.hpp"
#include "linux/cgroups.hpp"
#include "linux/devices.hpp"
#include "linux/mounts.hpp"
#include "linux/namespaces.hpp"
#include "linux/network.hpp"
#include "linux/paths.hpp"
#include "linux/process.hpp"
#include "linux/seccomp.hpp"
#include "linux/terminal.hpp"
#include "linux/userns.hpp"
#include "runtime/builtin.hpp"
#include "runtime/hooks.hpp"
#include "runtime/init.hpp"
#include "runtime/signals.hpp"

#include <barco/clock.hpp>
#include <barco/overloaded.hpp>
#include <barco/runtime.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace barco {
namespace {

// The parent's word that its part is done; `what` names that part in the error.
Result<void> await_parent(const SyncChannel& channel, MessageType expected, const char* what) {
  auto m = channel.receive();
  if (!m) {
    return m.error();
  }
  if (!m->has_value() || (*m)->type != expected) {
    return plain_error("recvmsg(sync socket)", std::string("the parent went away before ") + what);
  }
  return {};
}

Result<void> run_terminal_step(Sys& sys, const SyncChannel& channel, const op::SetupTerminal& o) {
  auto master = setup_terminal(sys, o.bind_console, o.owner, o.size);
  if (!master) {
    return master.error();
  }
  return channel.send(Message{MessageType::pty_master, 0, "setup_terminal", {}, {}}, master->get());
}

// The parent runs the createRuntime hooks meanwhile and answers with the state they saw.
Result<void> pause_for_hooks(const SyncChannel& channel, std::string* state) {
  if (auto s = channel.send(Message{MessageType::hook_point, 0, {}, {}, {}}); !s) {
    return s;
  }
  auto m = channel.receive();
  if (!m) {
    return m.error();
  }
  if (!m->has_value() || (*m)->type != MessageType::hook_state) {
    return plain_error("recvmsg(sync socket)", "the parent went away while running the createRuntime hooks");
  }
  if (state != nullptr) {
    *state = (*m)->text;
  }
  return {};
}

std::vector<int> with_preserved(std::vector<int> keep, int preserved) {
  for (int fd = 3; fd < 3 + preserved; ++fd) {
    keep.push_back(fd);
  }
  return keep;
}

// With SCMP_ACT_NOTIFY the listener goes to the parent at once, and this copy is closed
// here: no process of the container (barco's init included) keeps it, so when the agent
// exits, the notified calls fail with ENOSYS instead of waiting forever.
Result<void> load_filter(const op::LoadSeccomp& o, Sys& sys, const SyncChannel& channel, const ChildOptions& options) {
  if (options.seccomp_program == nullptr) {
    return plain_error("seccomp", "the filter was not compiled before clone");
  }
  if (o.listener_path.empty()) {
    return load_seccomp(sys, *options.seccomp_program);
  }
  auto listener = sys.load_seccomp_listener(*options.seccomp_program);
  if (!listener) {
    return listener.error();
  }
  return channel.send(Message{MessageType::seccomp_listener, 0, {}, {}, {}}, listener->get());
}

Result<void> run_step(const Step& step, Sys& sys, const SyncChannel& channel, const ChildOptions& options) {
  return std::visit(
      overloaded{
          [&](const op::WaitForIdMaps&) {
            return await_parent(channel, MessageType::maps_written, "writing the id maps");
          },
          [&](const op::JoinCgroups& o) { return join_cgroups(sys, o.tasks_files, options.born_in_unified_cgroup); },
          [&](const op::BecomeRootInUserns&) { return become_root_in_userns(sys); },
          [&](const op::SetHostname& o) { return set_hostname(sys, o.name); },
          [&](const op::MakeRootPrivate&) { return make_root_private(sys); },
          [&](const op::BindRootfs& o) { return bind_rootfs(sys, o.rootfs); },
          [&](const op::MountFs& o) {
            const bool cloned = o.source_slot >= 0 && static_cast<size_t>(o.source_slot) < options.bind_sources.size();
            return mount_filesystem(sys, o.mount, o.rootfs, cloned ? options.bind_sources[o.source_slot] : -1);
          },
          [&](const op::MakeDevice& o) { return make_device(sys, o.device, o.rootfs, o.bind_from_host); },
          [&](const op::MakeSymlink& o) { return make_symlink(sys, o.target, o.link, o.rootfs); },
          [&](const op::PivotRoot& o) { return pivot_into(sys, o.rootfs); },
          [&](const op::RemountRootReadOnly&) { return remount_root_read_only(sys); },
          [&](const op::RemountDevReadOnly& o) { return sys.mount_setattr(o.path, MOUNT_ATTR_RDONLY, 0, false); },
          [&](const op::SetRootPropagation& o) { return sys.mount("", "/", "", o.flags, ""); },
          [&](const op::BringUpLoopback&) { return bring_up_loopback(sys); },
          [&](const op::AwaitNetwork&) {
            return await_parent(channel, MessageType::network_ready, "the network was connected");
          },
          [&](const op::EnterCgroupNamespace&) { return enter_cgroup_namespace(sys); },
          [&](const op::SetupTerminal& o) { return run_terminal_step(sys, channel, o); },
          [&](const op::CreateSession&) { return sys.setsid(); },
          [&](const op::DetachStdin&) { return detach_stdin(sys); },
          [&](const op::SetRlimits& o) { return set_rlimits(sys, o.limits); },
          [&](const op::SetUser& o) { return set_user(sys, o.user, o.keep_caps); },
          [&](const op::MaskPaths& o) { return mask_paths(sys, o.paths); },
          [&](const op::ReadonlyPaths& o) { return make_paths_read_only(sys, o.paths); },
          [&](const op::LoadSeccomp& o) { return load_filter(o, sys, channel, options); },
          [&](const op::DropBoundingCaps& o) { return drop_bounding_caps(sys, o.keep, o.last_cap); },
          [&](const op::SetCapabilities& o) { return set_capabilities(sys, o.caps); },
          [&](const op::SetNoNewPrivs&) { return set_no_new_privs(sys); },
          [&](const op::ChangeDir& o) { return change_dir(sys, o.cwd); },
          [&](const op::MakeNonDumpable&) { return sys.make_non_dumpable(); },
          [&](const op::RelayCallerTerminal&) { return replace_caller_terminal(sys, options.stdio); },
          [&](const op::CloseHostFds& o) {
            std::vector<int> keep{channel.fd(), options.output_fd, options.exec_fifo_fd, options.target_pidfd};
            keep.insert(keep.end(), options.bind_sources.begin(), options.bind_sources.end());
            return close_host_fds(sys, with_preserved(std::move(keep), o.preserved));
          },
          [&](const op::CloseFds& o) {
            return close_host_fds(sys, with_preserved({channel.fd(), options.exec_fifo_fd}, o.preserved));
          },
          [&](const op::MountOverlay& o) { return mount_overlay(sys, o.lower, o.dir, o.userxattr); },
          [&](const op::RedirectOutput&) { return redirect_output(sys, options.output_fd); },
          [&](const op::JoinNamespacePaths& o) { return join_namespace_paths(sys, o.paths); },
          [&](const op::JoinContainer& o) { return join_container(sys, options.target_pidfd, o.flags, o.pid); },
          [&](const op::WriteSysctl& o) { return write_sysctl(sys, o.values); },
          [&](const op::HookPause&) { return pause_for_hooks(channel, options.hook_state); },
          [&](const op::RunHooks& o) {
            if (!o.cwd.empty()) {
              if (auto r = sys.chdir(o.cwd); !r) {
                return r;
              }
            }
            return run_hooks(o.hooks, o.phase, options.hook_state != nullptr ? *options.hook_state : "{}");
          },
          [&](const auto&) { return Result<void>(plain_error("not a child step", {})); },
      },
      step.op);
}

bool ends_setup(const Step& step) {
  return std::holds_alternative<op::StartInit>(step.op) || std::holds_alternative<op::Exec>(step.op) ||
         std::holds_alternative<op::WaitForStart>(step.op);
}

// OCI create: block until `barco start` opens the FIFO for reading. The fd is an O_PATH
// one from before pivot_root; reopening it through the container's /proc needs no host path.
// The O_PATH fd is closed right after: the command never sees it.
Result<void> wait_for_start(int fifo_fd) {
  const std::string path = "/proc/self/fd/" + std::to_string(fifo_fd);
  const UniqueFd fifo(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  const int err = errno;
  ::close(fifo_fd);
  if (!fifo.valid()) {
    return Error{err, "wait_for_start", "open(\"" + path + "\", O_WRONLY)",
                 "the exec FIFO is reopened through /proc: the config must mount /proc"};
  }
  const char byte = '0';
  if (::write(fifo.get(), &byte, 1) != 1) {
    return Error{errno, "wait_for_start", "write(exec FIFO)", {}};
  }
  return {};
}

void send_log(const SyncChannel& channel, const std::string& text) {
  (void)channel.send(Message{MessageType::log, static_cast<int>(spdlog::level::debug), {}, text, {}});
}

// Once barco create (or exec -d) has returned nobody reads the socket: the error then goes
// to the container's stderr, which the OCI caller logs.
bool g_parent_gone = false;

[[noreturn]] void fail(const SyncChannel& channel, const Error& e, int code) {
  if (g_parent_gone) {
    std::fprintf(stderr, "barco: %s\n", e.message().c_str());
  } else {
    (void)channel.send(Message::from_error(e));
  }
  ::_exit(code);
}

// The parent may have died between clone and here, before PR_SET_PDEATHSIG was armed:
// its end of the socket is then closed and a non-blocking peek reads EOF.
bool parent_is_gone(const SyncChannel& channel) {
  char byte = 0;
  return ::recv(channel.fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

}  // namespace

Result<void> run_child_setup(const Plan& plan, Sys& sys, const SyncChannel& channel, const ChildOptions& options,
                             std::string* timings, size_t* next) {
  size_t index = next != nullptr ? *next : 0;
  for (; index < plan.steps.size(); ++index) {
    const Step* step = &plan.steps[index];
    if (step->where != Where::child) {
      continue;
    }
    if (ends_setup(*step)) {
      break;
    }
    if (next != nullptr) {
      *next = index + 1;
    }
    if (options.log_steps) {
      send_log(channel, step->name + ": " + describe(step->op));
    }
    const int64_t start = timings != nullptr ? monotonic_ns() : 0;
    if (auto r = run_step(*step, sys, channel, options); !r) {
      r.error().step = step->name;
      return r;
    }
    if (timings != nullptr) {
      *timings += std::to_string(step - plan.steps.data()) + "=" + std::to_string(monotonic_ns() - start) + " ";
    }
  }
  if (next != nullptr) {
    *next = index;
  }
  return {};
}

void child_main(const Plan& plan, const ExecArgs& exec, const SyncChannel& channel, Sys& sys,
                const ChildOptions& options) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (parent_is_gone(channel)) {
    ::_exit(1);
  }
  // Device nodes get exactly the modes the plan gives them; the command gets its own umask.
  sys.umask(0);
  std::string timings;
  size_t next = 0;
  if (auto r = run_child_setup(plan, sys, channel, options, options.timings ? &timings : nullptr, &next); !r) {
    fail(channel, r.error(), 1);
  }
  if (options.timings) {
    (void)channel.send(Message{MessageType::timings, 0, {}, timings, {}});
  }
  const auto& exec_op = *plan.find<op::Exec>();
  if (options.outlive_parent) {
    // Before `ready`: the parent exits right after reading it.
    ::prctl(PR_SET_PDEATHSIG, 0);
  }
  if (auto r = channel.send(Message{MessageType::ready, 0, {}, {}, {}}); !r) {
    ::_exit(1);
  }
  if (next < plan.steps.size() && std::holds_alternative<op::WaitForStart>(plan.steps[next].op)) {
    g_parent_gone = true;  // barco create returns at `ready`
    if (auto r = wait_for_start(options.exec_fifo_fd); !r) {
      fail(channel, r.error(), 1);
    }
    ++next;
    if (auto r = run_child_setup(plan, sys, channel, options, nullptr, &next); !r) {
      fail(channel, r.error(), 1);
    }
  }
  sys.umask(exec_op.umask);
  if (plan.has<op::StartInit>()) {
    start_init(channel);  // returns in the command's process only
  }
  if (exec_op.builtin != BuiltinProgram::none) {
    reset_signals_for_exec();
    Error e = execute_builtin(exec_op.builtin, exec);
    e.step = "exec";
    fail(channel, e, kExitBarcoError);
  }
  auto path = find_executable(exec.program(), exec_op.path_env);
  if (!path) {
    path.error().step = "exec";
    fail(channel, path.error(), exit_code_for_exec_error(path.error().err));
  }
  if (options.log_steps) {
    send_log(channel, "exec: " + *path);
  }
  reset_signals_for_exec();
  Error e = execute(*path, exec);
  e.step = "exec";
  fail(channel, e, exit_code_for_exec_error(e.err));
}

}  // namespace barco
