// The containers barco knows about, as the lifecycle commands (ps, logs, stop, kill, rm,
// exec, and the OCI state/start/kill/delete) see them: a record under the state root plus
// what the kernel says about its processes. A record's status is what its monitor last
// wrote; the truth is derived from it and from whether the processes it names still exist
// (a pid alone is never trusted: its start time must match, so a reused pid is not signalled).
#pragma once

#include "runtime/state.hpp"
#include "sys/unique_fd.hpp"

#include <barco/result.hpp>

#include <string>
#include <vector>

namespace barco {

struct ContainerView {
  StateInfo info;
  std::string dir;
  // creating | created | running | exited (docker's words); oci_status() maps to OCI's.
  std::string status;
  std::string note;  // why the status differs from the record ("the monitor was killed")
};

// What the record and the processes say, combined (pure given the liveness answers).
[[nodiscard]] ContainerView derive_view(StateInfo info, std::string dir, bool monitor_alive, bool init_alive);
// OCI's words: creating | created | running | stopped.
[[nodiscard]] std::string oci_status(const ContainerView& v);

[[nodiscard]] std::vector<ContainerView> list_containers(const std::string& root);
Result<ContainerView> find_container(const std::string& root, const std::string& id);

// A pidfd of the container's init, checked against the recorded start time.
Result<UniqueFd> open_init(const ContainerView& v);
Result<void> signal_container(const ContainerView& v, int signal);
// Waits until the init is gone (and, for a detached container, the monitor has recorded the
// exit); false on timeout.
bool wait_for_exit(const std::string& root, const std::string& id, int timeout_ms);

// SIGTERM (or `signal`), then SIGKILL after `timeout_s` seconds.
Result<void> stop_container(const std::string& root, const std::string& id, int timeout_s);
// Removes cgroups, overlay layer, log and record. A running container needs `force`, which
// kills it first.
Result<void> remove_container(const std::string& root, const std::string& id, bool force);

}  // namespace barco
