// The lifecycle verbs on containers that exist: kill, pause and resume, the process list,
// and the OCI start, state and delete (with their hooks).
#include "runtime/containers.hpp"
#include "runtime/hooks.hpp"
#include "runtime/state.hpp"

#include <barco/files.hpp>
#include <barco/oci.hpp>
#include <barco/parse.hpp>
#include <barco/runtime.hpp>
#include <barco/unique_fd.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>

namespace barco {
namespace {

Result<void> freeze(const std::string& root, const std::string& id, bool frozen) {
  auto v = find_container(root, id);
  if (!v) {
    return v.error();
  }
  if (v->status != ContainerStatus::running && v->status != ContainerStatus::paused) {
    return Error{
        EINVAL, {}, (frozen ? "pause " : "resume ") + id, "container '" + id + "' is " + status_name(v->status)};
  }
  if (auto r = set_frozen(*v, frozen); !r) {
    return r;
  }
  return update_state(v->dir,
                      [&](StateInfo& s) { s.status = frozen ? ContainerStatus::paused : ContainerStatus::running; });
}

// The OCI config the container was created from (hooks, annotations); empty for a
// `barco run` container, which has none.
ContainerConfig stored_config(const ContainerView& v) {
  auto text = read_file(v.dir + "/config.json");
  if (!text) {
    return {};
  }
  try {
    return parse_oci_config(*text, OciContext{v.info.bundle, v.info.id}).config;
  } catch (const ConfigError&) {
    return {};
  }
}

std::string state_text(const ContainerView& v, const ContainerConfig& config, const std::string& status) {
  return oci_state_json(
             OciState{v.info.id, status, v.info.pid, v.info.bundle, v.info.created, nlohmann::json(config.annotations)})
      .dump();
}

void warn_on_failures(const std::vector<Error>& failures) {
  for (const auto& e : failures) {
    spdlog::warn("{}", e.message());
  }
}

// Opens the exec FIFO for reading, which lets the waiting container go on; fails when the
// container died meanwhile instead of blocking forever.
Result<void> release_container(const ContainerView& v) {
  const std::string fifo_path = v.dir + "/exec.fifo";
  const UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo.valid()) {
    return Error{errno, "start", "open(\"" + fifo_path + "\")", "container '" + v.info.id + "' was started already"};
  }
  auto init = open_init(v);
  if (!init) {
    return init.error();
  }
  std::array<pollfd, 2> fds{{{fifo.get(), POLLIN, 0}, {init->get(), POLLIN, 0}}};
  if (::poll(fds.data(), fds.size(), 10'000) <= 0 || (fds[0].revents & POLLIN) == 0) {
    return plain_error("start " + v.info.id, "the container did not reach its start point (it exited, or is stuck)");
  }
  char byte = 0;
  if (::read(fifo.get(), &byte, 1) != 1) {
    return errno_error("read(\"" + fifo_path + "\")");
  }
  ::unlink(fifo_path.c_str());
  return {};
}

std::string command_line(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  std::string cmdline = text ? *text : "";
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  return cmdline;
}

}  // namespace

Result<void> kill_container(const std::string& root, const std::string& id, int signal, bool all) {
  auto v = find_container(root, id);
  if (!v) {
    return v.error();
  }
  // As runc: signalling a container that has stopped is an error, not a silent success;
  // but --all signals whatever is left in its cgroups (a process that outlived the init when
  // the pid namespace is shared), which may be nothing.
  if (v->status == ContainerStatus::exited && !all) {
    return Error{ESRCH, "kill", id, "container '" + id + "' is not running (stopped)"};
  }
  if (v->status != ContainerStatus::exited) {
    if (auto r = signal_container(*v, signal); !r || !all) {
      return r;
    }
  }
  if (auto processes = container_processes(root, id)) {
    for (const auto& p : *processes) {
      if (p.pid != v->info.pid) {
        ::kill(p.pid, signal);  // they are in the container's cgroup, which nothing else joins
      }
    }
  }
  return {};
}

Result<void> pause_container(const std::string& root, const std::string& id) {
  return freeze(root, id, true);
}

Result<void> resume_container(const std::string& root, const std::string& id) {
  return freeze(root, id, false);
}

Result<std::vector<ContainerProcess>> container_processes(const std::string& root, const std::string& id) {
  auto v = find_container(root, id);
  if (!v) {
    return v.error();
  }
  std::vector<pid_t> pids;
  for (const auto& dir : v->info.cgroups) {
    if (auto procs = read_file(dir + "/cgroup.procs")) {
      for (const auto& line : split(*procs, '\n')) {
        if (!line.empty()) {
          pids.push_back(std::stoi(line));
        }
      }
      break;
    }
  }
  if (pids.empty() && v->status == ContainerStatus::running) {
    pids.push_back(v->info.pid);
  }
  std::vector<ContainerProcess> out;
  out.reserve(pids.size());
  for (const pid_t pid : pids) {
    out.push_back({pid, command_line(pid)});
  }
  return out;
}

Result<std::string> host_ps_output(const std::vector<std::string>& args) {
  std::array<int, 2> out{};
  if (::pipe2(out.data(), O_CLOEXEC) < 0) {
    return errno_error("pipe2() for ps");
  }
  UniqueFd read_end(out[0]);
  UniqueFd write_end(out[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  std::vector<std::string> words{"ps"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(words.size() + 1);
  for (auto& w : words) {
    argv.push_back(w.data());
  }
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, "ps", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Error{rc, "ps", "posix_spawnp(\"ps\")", "install procps for `barco ps ID`"};
  }
  write_end.reset();
  std::string text;
  std::array<char, 4096> buf{};
  for (ssize_t n = 0; (n = ::read(read_end.get(), buf.data(), buf.size())) > 0;) {
    text.append(buf.data(), static_cast<size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return plain_error("ps exited with " + std::to_string(WEXITSTATUS(status)),
                       "the options are ps(1)'s, e.g. barco ps ID -ef");
  }
  return text;
}

std::string log_path(const ContainerView& v) {
  return (v.info.data_dir.empty() ? v.dir : v.info.data_dir) + "/container.log";
}

Result<void> start_container(const std::string& root, const std::string& id) {
  auto v = find_container(root, id);
  if (!v) {
    return v.error();
  }
  if (v->status != ContainerStatus::created) {
    return Error{0, "start", id, std::string("the container is ") + status_name(v->status) + ", not created"};
  }
  if (auto r = release_container(*v); !r) {
    return r;
  }
  (void)update_state(v->dir, [](StateInfo& s) { s.status = ContainerStatus::running; });
  const auto config = stored_config(*v);
  warn_on_failures(run_hooks_to_the_end(config.hooks.poststart, "poststart",
                                        state_text(*v, config, oci_status_name(ContainerStatus::running))));
  return {};
}

Result<std::string> container_state_json(const std::string& root, const std::string& id) {
  auto v = find_container(root, id);
  if (!v) {
    return v.error();
  }
  return state_text(*v, stored_config(*v), oci_status(*v));
}

Result<void> delete_container(const std::string& root, const std::string& id, bool force) {
  auto v = find_container(root, id);
  if (!v) {
    return v.error();
  }
  if ((v->status == ContainerStatus::running || v->status == ContainerStatus::paused) && !force) {
    return Error{EBUSY, "delete", id,
                 std::string("the container is ") + status_name(v->status) + ": kill it first, or use delete --force"};
  }
  const auto config = stored_config(*v);
  if (auto r = remove_container(root, id, true); !r) {
    return r;
  }
  warn_on_failures(run_hooks_to_the_end(config.hooks.poststop, "poststop",
                                        state_text(*v, config, oci_status_name(ContainerStatus::exited))));
  return {};
}

}  // namespace barco
