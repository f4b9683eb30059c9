// The record of a running container under <state root>/<id>/state.json. Reserving the id is
// a mkdir (atomic: two barco calls cannot both get it); every write is temp + rename, so a
// reader never sees half a file. The owner object removes the record when the run ends; a
// record left by a barco that was SIGKILLed is recognised as stale (its barco pid is gone
// or was reused) and removed by the next run that wants the id.
#pragma once

#include <barco/result.hpp>

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <string>

namespace barco {

struct StateInfo {
  std::string id;
  std::string rootfs;
  std::vector<std::string> command;
  std::string status = "creating";  // creating | running
  pid_t pid = 0;                    // the container's init, as seen from the host
  pid_t barco_pid = 0;
  unsigned long long barco_start_time = 0;  // /proc/<pid>/stat field 22, to detect pid reuse
  std::string created;                      // RFC 3339, UTC
  std::vector<std::string> cgroups;         // removed when the record is found stale
};

[[nodiscard]] nlohmann::json to_json(const StateInfo& s);
[[nodiscard]] StateInfo state_from_json(const nlohmann::json& j);

// Removes the records (and cgroups) of containers whose barco is gone; returns their ids.
// Every reservation does this first; `barco gc` does only this.
std::vector<std::string> remove_stale_records(const std::string& root);

// Start time of a process in clock ticks since boot, 0 if it does not exist.
[[nodiscard]] unsigned long long process_start_time(pid_t pid);

class StateRecord {
 public:
  // Reserves <root>/<id>; fails with a clear message if a live container has that id.
  static Result<StateRecord> reserve(const std::string& root, StateInfo info);

  StateRecord(StateRecord&& other) noexcept;
  StateRecord& operator=(StateRecord&&) = delete;
  StateRecord(const StateRecord&) = delete;
  StateRecord& operator=(const StateRecord&) = delete;
  ~StateRecord();

  Result<void> mark_running(pid_t pid);
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  StateRecord(std::string dir, StateInfo info) : dir_(std::move(dir)), info_(std::move(info)) {}
  Result<void> write() const;

  std::string dir_;  // empty once moved from
  StateInfo info_;
};

}  // namespace barco
