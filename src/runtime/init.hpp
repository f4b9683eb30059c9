// --init: barco's own minimal PID 1 (what tini does for docker). A command that is PID 1 gets
// no default signal actions and inherits every orphan; this init forks the command, forwards
// the signals the parent relays, reaps every zombie, and exits with the command's status.
// It is barco's already-running child, not a re-exec of barco inside the container.
#pragma once

#include "runtime/sync.hpp"

namespace barco {

// Returns in the forked command's process only; PID 1 exits from inside.
void start_init(const SyncChannel& channel);

}  // namespace barco
