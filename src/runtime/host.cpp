// The machine, as the flags-to-config mapping sees it (HostView): environment, files,
// terminal, devices, kernel facts. Everything is read when asked, not up front.
#include <barco/container_id.hpp>
#include <barco/files.hpp>
#include <barco/runtime.hpp>

#include <climits>

#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace barco {
namespace {

// "0-1" or "0,2-3" (a kernel list file): the highest number + 1, or `fallback`.
int highest_listed_plus_one(const char* path, long fallback) {
  const auto text = read_file(path);
  const auto last = text ? text->find_last_of("0123456789") : std::string::npos;
  if (last == std::string::npos) {
    return static_cast<int>(fallback);
  }
  const auto before = text->find_last_not_of("0123456789", last);
  return std::atoi(text->c_str() + (before == std::string::npos ? 0 : before + 1)) + 1;
}

// Highest online CPU + 1 (a hole in the online list still counts as a CPU number).
int online_cpu_count() {
  return highest_listed_plus_one("/sys/devices/system/cpu/online", ::sysconf(_SC_NPROCESSORS_ONLN));
}

// The random part of a new container id, from the kernel's pool.
std::string new_container_id() {
  std::array<unsigned char, kContainerIdBytes> bytes{};
  // getrandom never fails for 6 bytes once the pool is initialised; a short read still
  // leaves a usable (if less random) id, so its result only needs no handling.
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
    bytes.fill(0);
  }
  return container_id_from_bytes(bytes);
}

CapMask caller_bounding() {
  CapMask bounding = 0;
  for (int cap = 0; cap < 64; ++cap) {
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) {
      bounding |= cap_bit(cap);
    }
  }
  return bounding;
}

std::optional<Device> device_at(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
    return std::nullopt;
  }
  return Device{path, S_ISBLK(st.st_mode) ? 'b' : 'c', major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777};
}

// docker's HostDevices: every node under /dev, except the container's own pts, shm and
// mqueue instances.
std::vector<Device> host_devices() {
  std::vector<Device> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator("/dev", ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const auto path = it->path().string();
    if (path == "/dev/pts" || path == "/dev/shm" || path == "/dev/mqueue") {
      it.disable_recursion_pending();
      continue;
    }
    // /dev/ptmx is the container devpts's (a link), /dev/console its pty (runc skips both).
    if (!it->is_symlink(ec) && path != "/dev/ptmx" && path != "/dev/console") {
      if (auto d = device_at(path)) {
        out.push_back(*d);
      }
    }
  }
  return out;
}

CgroupHost this_cgroup_host() {
  const auto mountinfo = read_file("/proc/self/mountinfo");
  const auto own = read_file("/proc/self/cgroup");
  return parse_cgroup_host(mountinfo ? *mountinfo : "", own ? *own : "");
}

// One path per online CPU, named rather than listed from /sys (a directory scan and a stat
// per entry on every start): mask_paths skips the ones that do not exist.
std::vector<std::string> thermal_throttle_paths() {
  const int cpus = online_cpu_count();
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(std::max(cpus, 0)));
  for (int cpu = 0; cpu < cpus; ++cpu) {
    out.push_back("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/thermal_throttle");
  }
  return out;
}

}  // namespace

HostView real_host() {
  HostView h;
  h.env = [](const std::string& key) -> std::optional<std::string> {
    const char* v = std::getenv(key.c_str());
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  h.stdin_is_tty = [] { return ::isatty(STDIN_FILENO) != 0; };
  h.read_host_file = [](const std::string& path) -> std::optional<std::string> {
    auto r = read_file(path);
    return r ? std::optional<std::string>(std::move(r.value())) : std::nullopt;
  };
  h.read_rootfs_file = [](const std::string& root, const std::string& path) -> std::optional<std::string> {
    return read_image_file(root, path);
  };
  h.check_directory = [](const std::string& path) -> std::string {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) {
      return std::strerror(errno);
    }
    return S_ISDIR(st.st_mode) ? "" : "not a directory";
  };
  h.exists = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  };
  h.absolute = [](const std::string& path) {
    char buf[PATH_MAX];
    return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
  };
  h.new_id = new_container_id;
  h.kernel_release = [] {
    utsname u{};
    return ::uname(&u) == 0 ? std::string(u.release) : std::string();
  };
  h.cap_last_cap = [] {
    auto text = read_file("/proc/sys/kernel/cap_last_cap");
    return text ? std::atoi(text->c_str()) : 40;
  };
  h.caller_bounding = caller_bounding;
  h.device_at = device_at;
  h.host_devices = host_devices;
  h.cgroups = this_cgroup_host;
  h.online_cpus = online_cpu_count;
  h.memory_nodes = [] { return highest_listed_plus_one("/sys/devices/system/node/online", 1); };
  h.thermal_throttle_paths = thermal_throttle_paths;
  return h;
}

}  // namespace barco
