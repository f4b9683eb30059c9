#include "runtime/state.hpp"

#include "linux/cgroups.hpp"
#include "runtime/network.hpp"
#include "sys/sys.hpp"

#include <barco/container_id.hpp>
#include <barco/files.hpp>
#include <barco/runtime.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <sstream>

namespace barco {

std::string now_rfc3339() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

bool is_stale(const std::string& dir) {
  auto text = read_file(dir + "/state.json");
  if (!text) {
    // A directory without a readable record was left between mkdir and the first write.
    return true;
  }
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) {
    return true;
  }
  StateInfo s;
  try {
    s = state_from_json(j);
  } catch (const nlohmann::json::exception&) {
    return true;  // not a record barco wrote
  }
  if (s.oci || !s.auto_remove) {
    return false;  // kept until rm/delete, which also shows what happened to it
  }
  return s.barco_pid <= 0 || process_start_time(s.barco_pid) != s.barco_start_time;
}

// An exclusive flock on the record directory for the life of the object.
class RecordLock {
 public:
  explicit RecordLock(const std::string& dir) : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_.valid()) {
      while (::flock(fd_.get(), LOCK_EX) < 0 && errno == EINTR) {
      }
    }
  }
  [[nodiscard]] bool held() const { return fd_.valid(); }

 private:
  UniqueFd fd_;
};

Result<void> make_state_root(const std::string& root) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) {
    return Error{ec.value(), {}, "mkdir(\"" + root + "\")", "barco keeps container records there; run as root"};
  }
  ::chmod(root.c_str(), 0700);
  return {};
}

}  // namespace

unsigned long long process_start_time(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) {
    return 0;
  }
  // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
  const auto close = stat->rfind(')');
  if (close == std::string::npos) {
    return 0;
  }
  std::istringstream in(stat->substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && in >> field; ++i) {
    if (i == 22) {
      return std::stoull(field);
    }
  }
  return 0;
}

namespace {

// The container of a dead barco died with it (PDEATHSIG), so its cgroups are empty; its
// writable layer and log go too.
void remove_leftovers_of(const std::string& dir) {
  auto text = read_file(dir + "/state.json");
  if (!text) {
    return;
  }
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  try {
    const auto info = j.is_discarded() ? StateInfo{} : state_from_json(j);
    RealSys sys;
    std::for_each(info.cgroups.rbegin(), info.cgroups.rend(),
                  [&sys](const std::string& dir) { remove_cgroup_dir(sys, dir); });
    remove_data_dir(info);
    release_network(std::filesystem::path(dir).parent_path().string(), info.id, info.published_ports);
  } catch (const nlohmann::json::exception&) {
  }
}

// Records of barco processes that are gone (SIGKILL, a crash, a reboot of /run's tmpfs
// aside) are removed by the next reservation, so nothing accumulates.
}  // namespace

std::vector<std::string> remove_stale_records(const std::string& root) {
  // Leases whose record is gone (a barco killed between its lease and its record's next
  // write) go first; the records' own are released with them below.
  release_orphan_leases(root);
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    const auto name = entry.path().filename().string();
    if (name.rfind(".new-", 0) == 0) {
      const auto pid = std::atoi(name.c_str() + 5);
      if (pid > 0 && process_start_time(pid) == 0) {
        std::filesystem::remove_all(entry.path(), ec);
      }
    } else if (name.front() != '.' && entry.is_directory(ec) && is_stale(entry.path().string())) {
      remove_leftovers_of(entry.path().string());
      std::filesystem::remove_all(entry.path(), ec);
      removed.push_back(name);
    }
  }
  return removed;
}

Result<StateInfo> read_state(const std::string& root, const std::string& id) {
  if (auto bad = container_id_error(id)) {
    return *bad;
  }
  const std::string file = root + "/" + id + "/state.json";
  auto text = read_file(file);
  if (!text) {
    return Error{ENOENT, {}, "open(\"" + file + "\")", "no container '" + id + "': barco ps -a lists them"};
  }
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  try {
    if (!j.is_discarded()) {
      return state_from_json(j);
    }
  } catch (const nlohmann::json::exception&) {
  }
  return Error{EINVAL, {}, "parse(\"" + file + "\")", "not a record barco wrote; barco rm -f " + id + " removes it"};
}

Result<void> update_state(const std::string& dir, const std::function<void(StateInfo&)>& change) {
  const RecordLock lock(dir);
  if (!lock.held()) {
    return errno_error("open(\"" + dir + "\")");
  }
  auto text = read_file(dir + "/state.json");
  if (!text) {
    return errno_error("open(\"" + dir + "/state.json\")");
  }
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) {
    return plain_error("parse(\"" + dir + "/state.json\")", "the record is damaged");
  }
  auto info = state_from_json(j);
  change(info);
  return write_file_atomic(dir + "/state.json", to_json(info).dump(2) + "\n");
}

Result<StateRecord> StateRecord::reserve(Sys& sys, const std::string& root, StateInfo info) {
  if (auto r = make_state_root(root); !r) {
    return r.error();
  }
  remove_stale_records(root);
  info.barco_pid = ::getpid();
  info.barco_start_time = process_start_time(info.barco_pid);
  info.created = now_rfc3339();
  // The record is complete before it gets its name: rename(2) of a directory onto a
  // missing name is atomic, so the id is reserved exactly when a full state.json exists,
  // and two barco calls can never both win it.
  const std::string tmp = root + "/.new-" + std::to_string(info.barco_pid);
  const std::string dir = root + "/" + info.id;
  if (auto r = sys.mkdir(tmp, 0700); !r) {
    return r.error();
  }
  StateRecord record(tmp, std::move(info));
  // Nobody sees the temp directory: its files need neither a lock nor temp + rename.
  if (auto r = sys.create_file(tmp + "/state.json", to_json(record.info_).dump(2) + "\n"); !r) {
    return r.error();
  }
  if (auto r = sys.rename(tmp, dir); !r) {
    if (r.error().err == EEXIST || r.error().err == ENOTEMPTY) {
      r.error().err = EEXIST;
      r.error().hint =
          "a container is already called '" + record.info_.id + "' (barco ps -a); choose another name, or barco rm it";
    }
    return r.error();
  }
  record.dir_ = dir;
  if (auto r = record.make_data_dir(sys); !r) {
    return r.error();
  }
  return record;
}

// Made once the id is ours: a directory left under that name by a barco that died is
// emptied, never one of a live container (its record would have kept us from the id).
Result<void> StateRecord::make_data_dir(Sys& sys) {
  const auto& data = info_.data_dir;
  if (data.empty()) {
    return {};
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(data).parent_path(), ec);
  if (ec) {
    return Error{ec.value(),
                 {},
                 "mkdir -p \"" + std::filesystem::path(data).parent_path().string() + "\"",
                 "--data-root must be a directory barco can create"};
  }
  std::filesystem::remove_all(data, ec);
  if (auto r = sys.mkdir(data, 0700); !r) {
    return r.error();
  }
  owns_data_ = true;
  return {};
}

StateRecord::StateRecord(StateRecord&& other) noexcept
    : dir_(std::exchange(other.dir_, {})),
      info_(std::move(other.info_)),
      owns_data_(std::exchange(other.owns_data_, false)) {}

StateRecord::~StateRecord() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    if (owns_data_) {
      remove_data_dir(info_);
    }
  }
}

void remove_data_dir(const StateInfo& info) {
  if (!info.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(info.data_dir, ec);
  }
}

Result<void> StateRecord::mark_running(pid_t pid) {
  info_.status = ContainerStatus::running;
  info_.pid = pid;
  info_.pid_start_time = process_start_time(pid);
  return write();
}

Result<void> StateRecord::mark_created(pid_t pid) {
  info_.status = ContainerStatus::created;
  info_.pid = pid;
  info_.pid_start_time = process_start_time(pid);
  return write();
}

Result<void> StateRecord::mark_exited(int exit_code, bool oom_killed) {
  info_.status = ContainerStatus::exited;
  info_.exit_code = exit_code;
  info_.oom_killed = oom_killed;
  info_.finished = now_rfc3339();
  return write();
}

Result<void> StateRecord::write() const {
  // Under the record's lock, like update_state: `rm` holds it while it removes the record.
  const RecordLock lock(dir_);
  return write_file_atomic(dir_ + "/state.json", to_json(info_).dump(2) + "\n");
}

}  // namespace barco
