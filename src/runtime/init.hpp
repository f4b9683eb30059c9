// --init: barco's own minimal PID 1 (what tini does for docker). A command that is PID 1 gets
// no default signal actions and inherits every orphan. barco's child forks the command and
// then becomes barco-init (src/runtime/init_main.cpp), a tiny static program embedded in
// barco and executed from a sealed memfd: PID 1 needs no dynamic loader in the rootfs, and
// /proc/1/exe inside the container never leads to the host's barco binary (CVE-2019-5736).
#pragma once

#include "runtime/sync.hpp"

namespace barco {

// Returns in the forked command's process only. If PID 1 cannot become barco-init it
// reports the error on `channel`, kills the command and exits 125.
void start_init(const SyncChannel& channel);

}  // namespace barco
