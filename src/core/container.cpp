// A container's record and status: the names, the state.json form, and the status derived
// from the record and the liveness of its processes (pure: the runtime asks the kernel).
#include <barco/container.hpp>
#include <barco/network.hpp>
#include <barco/oci.hpp>
#include <barco/result.hpp>

#include <csignal>
#include <limits>
#include <optional>
#include <type_traits>

namespace barco {

const char* status_name(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::creating: return "creating";
    case ContainerStatus::created: return "created";
    case ContainerStatus::running: return "running";
    case ContainerStatus::paused: return "paused";
    case ContainerStatus::exited: return "exited";
  }
  return "exited";
}

ContainerStatus parse_status(const std::string& name) {
  for (const auto s :
       {ContainerStatus::creating, ContainerStatus::created, ContainerStatus::running, ContainerStatus::paused}) {
    if (name == status_name(s)) {
      return s;
    }
  }
  return ContainerStatus::exited;
}

ContainerView derive_view(StateInfo info, std::string dir, bool monitor_alive, bool init_alive) {
  ContainerView v{std::move(info), std::move(dir), ContainerStatus::exited, {}};
  const auto& s = v.info;
  if (s.status == ContainerStatus::exited) {
    v.status = ContainerStatus::exited;
  } else if (s.oci) {
    // No monitor: the OCI caller (conmon) reaps the init; barco create has long exited.
    v.status = (s.status == ContainerStatus::creating && !monitor_alive) || (s.pid > 0 && !init_alive)
                   ? ContainerStatus::exited
                   : s.status;
  } else if (monitor_alive) {
    v.status = s.status;
  } else if (init_alive) {
    v.status = ContainerStatus::running;
    v.note = "the monitor is gone; nobody will record the exit";
  } else {
    // The init had PR_SET_PDEATHSIG(SIGKILL) towards its monitor: it died with it.
    v.status = ContainerStatus::exited;
    v.info.exit_code = 128 + SIGKILL;
    v.note = "the monitor was killed, and the container with it (PDEATHSIG)";
  }
  return v;
}

std::string oci_status(const ContainerView& v) {
  return oci_status_name(v.status);
}

std::string oci_status_name(ContainerStatus status) {
  switch (status) {
    case ContainerStatus::creating: return "creating";
    case ContainerStatus::created: return "created";
    case ContainerStatus::running: return "running";
    case ContainerStatus::paused: return "paused";  // runc's word too
    case ContainerStatus::exited: return "stopped";
  }
  return "stopped";
}

nlohmann::json to_json(const StateInfo& s) {
  nlohmann::json j = {{"id", s.id},
                      {"rootfs", s.rootfs},
                      {"command", s.command},
                      {"status", status_name(s.status)},
                      {"pid", s.pid},
                      {"pid_start_time", s.pid_start_time},
                      {"barco_pid", s.barco_pid},
                      {"barco_start_time", s.barco_start_time},
                      {"created", s.created},
                      {"cgroups", s.cgroups},
                      {"detached", s.detached},
                      {"auto_remove", s.auto_remove},
                      {"oom_killed", s.oom_killed},
                      {"oci", s.oci}};
  if (s.exit_code) {
    j["exit_code"] = *s.exit_code;
    j["finished"] = s.finished;
  }
  if (!s.bundle.empty()) {
    j["bundle"] = s.bundle;
  }
  if (!s.address.empty()) {
    j["address"] = s.address;
    j["published_ports"] = s.published_ports;
  }
  if (!s.data_dir.empty()) {
    j["data_dir"] = s.data_dir;
  }
  if (s.resources.any()) {
    j["resources"] = oci_resources_json(s.resources);
    if (s.resources.cpu_weight) {
      j["cpu_weight"] = *s.resources.cpu_weight;  // barco's --cpu-weight: no OCI field
    }
  }
  return j;
}

namespace {

// A number of the record, only when it is an integer that fits `T`: a damaged record's
// 2.2e20 or 4294967297 is no pid (a float-to-int conversion out of range is undefined, and
// a wrapped integer names another process).
template <class T>
std::optional<T> integer_of(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) {
    return std::nullopt;
  }
  if (it->is_number_unsigned()) {
    const auto v = it->get<uint64_t>();
    return v <= static_cast<uint64_t>(std::numeric_limits<T>::max()) ? std::optional<T>(static_cast<T>(v))
                                                                     : std::nullopt;
  }
  const auto v = it->get<int64_t>();
  const bool fits = std::is_unsigned_v<T> ? v >= 0
                                          : v >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                                                v <= static_cast<int64_t>(std::numeric_limits<T>::max());
  return fits ? std::optional<T>(static_cast<T>(v)) : std::nullopt;
}

}  // namespace

StateInfo state_from_json(const nlohmann::json& j) {
  StateInfo s;
  s.id = j.value("id", "");
  s.rootfs = j.value("rootfs", "");
  s.status = parse_status(j.value("status", ""));
  s.pid = integer_of<pid_t>(j, "pid").value_or(0);
  s.barco_pid = integer_of<pid_t>(j, "barco_pid").value_or(0);
  s.barco_start_time = integer_of<unsigned long long>(j, "barco_start_time").value_or(0);
  s.pid_start_time = integer_of<unsigned long long>(j, "pid_start_time").value_or(0);
  s.created = j.value("created", "");
  s.detached = j.value("detached", false);
  s.auto_remove = j.value("auto_remove", true);
  s.oom_killed = j.value("oom_killed", false);
  s.oci = j.value("oci", false);
  s.bundle = j.value("bundle", "");
  // Removed with the record: only an absolute path without ".." that ends in the id.
  if (const auto address = j.value("address", ""); parse_ipv4(address)) {
    s.address = address;
    s.published_ports = j.value("published_ports", false);
  }
  const auto data_dir = j.value("data_dir", "");
  if (!data_dir.empty() && data_dir.front() == '/' && data_dir.find("..") == std::string::npos && !s.id.empty() &&
      data_dir.ends_with("/" + s.id)) {
    s.data_dir = data_dir;
  }
  if (const auto code = integer_of<int>(j, "exit_code")) {
    s.exit_code = code;
    s.finished = j.value("finished", "");
  }
  if (j.contains("cgroups") && j["cgroups"].is_array()) {
    for (const auto& c : j["cgroups"]) {
      if (c.is_string() && c.get<std::string>().rfind("/sys/fs/cgroup/", 0) == 0) {
        s.cgroups.push_back(c.get<std::string>());
      }
    }
  }
  if (j.contains("resources") && j["resources"].is_object()) {
    try {
      std::vector<std::string> ignored;
      s.resources = apply_update(Resources{}, parse_oci_resources(j["resources"].dump(), ignored));
    } catch (const ConfigError&) {
      s.resources = Resources{};  // a damaged record: `update` starts from no limits
    }
    if (const auto weight = integer_of<int64_t>(j, "cpu_weight")) {
      s.resources.cpu_weight = weight;
    }
  }
  if (j.contains("command") && j["command"].is_array()) {
    for (const auto& a : j["command"]) {
      if (a.is_string()) {
        s.command.push_back(a.get<std::string>());
      }
    }
  }
  return s;
}

}  // namespace barco
