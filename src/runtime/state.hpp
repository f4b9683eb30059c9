// The record of a container under <state root>/<id>/state.json. Reserving the id is a
// rename of a complete temp directory (atomic: two barco calls cannot both get it); every
// write is temp + rename under an flock of the record directory, so a reader never sees half
// a file and two writers never interleave. A foreground run's owner object removes the
// record when the run ends; a record left by a barco that was SIGKILLed is recognised as
// stale (its barco pid is gone or was reused) and removed by the next run. Detached
// records (run -d, OCI create) stay until `rm`/`delete`.
#pragma once

#include "sys/sys.hpp"

#include <barco/container.hpp>
#include <barco/result.hpp>

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace barco {

// Removes the container's writable layer and log (its data_dir), if it has one.
void remove_data_dir(const StateInfo& info);

// Start time of a process in clock ticks since boot, 0 if it does not exist.
[[nodiscard]] unsigned long long process_start_time(pid_t pid);

// Reads <root>/<id>/state.json.
Result<StateInfo> read_state(const std::string& root, const std::string& id);
// Rewrites a record under its lock (temp + rename); fails when it is gone.
Result<void> update_state(const std::string& dir, const std::function<void(StateInfo&)>& change);

class StateRecord {
 public:
  // Reserves <root>/<id>; fails with a clear message if a live container has that id. Then
  // creates info.data_dir (mode 0700), removed with the record unless it is kept.
  static Result<StateRecord> reserve(Sys& sys, const std::string& root, StateInfo info);

  StateRecord(StateRecord&& other) noexcept;
  StateRecord& operator=(StateRecord&&) = delete;
  StateRecord(const StateRecord&) = delete;
  StateRecord& operator=(const StateRecord&) = delete;
  ~StateRecord();

  Result<void> mark_running(pid_t pid);
  Result<void> mark_created(pid_t pid);  // OCI create: set up, waiting for `start`
  Result<void> mark_exited(int exit_code, bool oom_killed);
  // --network bridge: written with the next mark_*, for ps and for rm's and gc's clean-up.
  void set_network(const std::string& address, bool published_ports) {
    info_.address = address;
    info_.published_ports = published_ports;
  }
  // The record outlives this object (detached containers until rm).
  void keep() { dir_.clear(); }
  [[nodiscard]] const StateInfo& info() const { return info_; }
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  StateRecord(std::string dir, StateInfo info) : dir_(std::move(dir)), info_(std::move(info)) {}
  Result<void> write() const;
  Result<void> make_data_dir(Sys& sys);

  std::string dir_;  // empty once moved from
  StateInfo info_;
  bool owns_data_ = false;  // this record created info_.data_dir
};

}  // namespace barco
