#include "runtime/containers.hpp"

#include "linux/cgroups.hpp"
#include "runtime/network.hpp"
#include "sys/sys.hpp"

#include <barco/container_id.hpp>
#include <barco/files.hpp>

#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

namespace barco {
namespace {

// A zombie counts as gone: it has exited, only its parent has not reaped it yet.
bool alive(pid_t pid, unsigned long long start_time) {
  if (pid <= 0 || start_time == 0 || process_start_time(pid) != start_time) {
    return false;
  }
  const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat ? stat->rfind(')') : std::string::npos;
  return close != std::string::npos && close + 2 < stat->size() && (*stat)[close + 2] != 'Z' &&
         (*stat)[close + 2] != 'X';
}

UniqueFd pidfd_open(pid_t pid) {
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

ContainerView view_of(StateInfo info, const std::string& root, const std::string& id) {
  const bool monitor = alive(info.barco_pid, info.barco_start_time);
  const bool init = alive(info.pid, info.pid_start_time);
  if (!monitor && info.status != ContainerStatus::exited) {
    // The monitor records the exit before it exits, so the record read before this check
    // may be older than the monitor's death: read it again rather than call it killed.
    if (auto again = read_state(root, id)) {
      info = std::move(*again);
    }
  }
  return derive_view(std::move(info), root + "/" + id, monitor, init);
}

}  // namespace

std::vector<ContainerView> list_containers(const std::string& root) {
  std::vector<ContainerView> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    const auto name = entry.path().filename().string();
    if (name.empty() || name.front() == '.') {
      continue;
    }
    if (auto info = read_state(root, name)) {
      out.push_back(view_of(std::move(*info), root, name));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ContainerView& a, const ContainerView& b) { return a.info.created > b.info.created; });
  return out;
}

Result<ContainerView> find_container(const std::string& root, const std::string& id) {
  auto info = read_state(root, id);
  if (!info) {
    return info.error();
  }
  return view_of(std::move(*info), root, id);
}

Result<UniqueFd> open_init(const ContainerView& v) {
  if (v.info.pid <= 0) {
    return Error{ESRCH, {}, "pidfd_open(0)", "container '" + v.info.id + "' has no process yet"};
  }
  auto fd = pidfd_open(v.info.pid);
  // Checked after the pidfd exists: from here the pid cannot be reused under us.
  if (!fd.valid() || process_start_time(v.info.pid) != v.info.pid_start_time) {
    return Error{ESRCH,
                 {},
                 "pidfd_open(" + std::to_string(v.info.pid) + ")",
                 "container '" + v.info.id + "' is not running (" + status_name(v.status) + ")"};
  }
  return fd;
}

Result<void> signal_container(const ContainerView& v, int signal) {
  auto fd = open_init(v);
  if (!fd) {
    return fd.error();
  }
  if (::syscall(SYS_pidfd_send_signal, fd->get(), signal, nullptr, 0) < 0) {
    return errno_error("pidfd_send_signal(" + std::to_string(v.info.pid) + ", " + std::to_string(signal) + ")");
  }
  return {};
}

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

Result<void> set_frozen(const ContainerView& v, bool freeze) {
  for (const auto& dir : v.info.cgroups) {
    if (exists(dir + "/freezer.state")) {
      return write_file(dir + "/freezer.state", freeze ? "FROZEN" : "THAWED");
    }
    if (exists(dir + "/cgroup.freeze")) {
      return write_file(dir + "/cgroup.freeze", freeze ? "1" : "0");
    }
  }
  return Error{ENOTSUP,
               {},
               "pause " + v.info.id,
               "the container has no freezer cgroup: this host has neither the v1 freezer nor cgroup v2"};
}

bool wait_for_exit(const std::string& root, const std::string& id, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto v = find_container(root, id);
  if (!v) {
    return true;  // removed meanwhile (run -d --rm)
  }
  if (auto fd = open_init(*v)) {
    pollfd p{fd->get(), POLLIN, 0};  // a pidfd becomes readable when the process exits
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0))) == 0) {
      return false;
    }
  }
  // The monitor writes the exit status right after it reaped the init.
  while (std::chrono::steady_clock::now() < deadline) {
    v = find_container(root, id);
    if (!v || v->status == ContainerStatus::exited) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

Result<void> stop_container(const std::string& root, const std::string& id, int timeout_s) {
  auto v = find_container(root, id);
  if (!v) {
    return v.error();
  }
  if (v->status == ContainerStatus::exited) {
    return {};
  }
  if (auto r = signal_container(*v, SIGTERM); !r) {
    return r;
  }
  if (wait_for_exit(root, id, timeout_s * 1000)) {
    return {};
  }
  if (auto again = find_container(root, id); again && again->status != ContainerStatus::exited) {
    (void)signal_container(*again, SIGKILL);
  }
  if (!wait_for_exit(root, id, 10'000)) {
    return plain_error("stop " + id, "the container survived SIGKILL for 10 s (a process in D state?)");
  }
  return {};
}

Result<void> remove_container(const std::string& root, const std::string& id, bool force) {
  if (auto bad = container_id_error(id)) {
    return *bad;  // before the directory fallback below: "rm -f ../x" must remove nothing
  }
  auto v = find_container(root, id);
  if (!v) {
    // A directory without a readable record (a crash between mkdir and write) can still go.
    std::error_code ec;
    if (force && std::filesystem::is_directory(root + "/" + id, ec)) {
      std::filesystem::remove_all(root + "/" + id, ec);
      return {};
    }
    return v.error();
  }
  if (v->status != ContainerStatus::exited && v->status != ContainerStatus::created && !force) {
    return Error{EBUSY,
                 {},
                 "rm " + id,
                 "container '" + id + "' is " + status_name(v->status) + ": barco stop it first, or use rm -f"};
  }
  if (v->status != ContainerStatus::exited) {
    (void)signal_container(*v, SIGKILL);
    if (v->status == ContainerStatus::paused) {
      (void)set_frozen(*v, false);  // a frozen process dies of SIGKILL only once thawed
    }
    (void)wait_for_exit(root, id, 10'000);
  }
  // The monitor (if any) is done with the record now; leftovers in the cgroups are killed.
  RealSys sys;
  std::for_each(v->info.cgroups.rbegin(), v->info.cgroups.rend(),
                [&sys](const std::string& dir) { remove_cgroup_dir(sys, dir); });
  remove_data_dir(v->info);
  release_network(root, id, v->info.published_ports);
  std::error_code ec;
  std::filesystem::remove_all(v->dir, ec);
  if (ec) {
    return Error{ec.value(), {}, "remove_all(\"" + v->dir + "\")", {}};
  }
  return {};
}

}  // namespace barco
