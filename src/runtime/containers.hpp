// The containers barco knows about, as the lifecycle commands (ps, logs, stop, kill, rm,
// exec, and the OCI state/start/kill/delete) see them: a record under the state root plus
// what the kernel says about its processes. A record's status is what its monitor last
// wrote; the truth is derived from it and from whether the processes it names still exist
// (a pid alone is never trusted: its start time must match, so a reused pid is not signalled).
#pragma once

#include "runtime/state.hpp"

#include <barco/plan.hpp>
#include <barco/result.hpp>
#include <barco/runtime.hpp>
#include <barco/unique_fd.hpp>

#include <string>
#include <vector>

namespace barco {

// The plan `launch` would run for `config` (restore makes the container's cgroups from it).
[[nodiscard]] Plan plan_for(const ContainerConfig& config, const LaunchRequest& request);

// A pidfd of the container's init, checked against the recorded start time.
Result<UniqueFd> open_init(const ContainerView& v);
Result<void> signal_container(const ContainerView& v, int signal);
// The container's freezer: v1 freezer.state, or v2 cgroup.freeze.
Result<void> set_frozen(const ContainerView& v, bool freeze);
// Waits until the init is gone (and, for a detached container, the monitor has recorded the
// exit); false on timeout.
bool wait_for_exit(const std::string& root, const std::string& id, int timeout_ms);

}  // namespace barco
