// The process that becomes the container: limits, working directory, identity, and the
// descriptors it may keep. Each function is one step of the plan.
#pragma once

#include "sys/sys.hpp"

#include <barco/config.hpp>

#include <array>
#include <vector>

namespace barco {

Result<void> set_rlimits(Sys& sys, const std::vector<Rlimit>& limits);
// Creates a missing workdir (docker does), enters it, and verifies the result is a path
// inside the new root: a cwd that resolves outside it ("(unreachable)/...") is refused,
// which is the CVE-2024-21626 check.
Result<void> change_dir(Sys& sys, const std::string& cwd);
// keep_caps: PR_SET_KEEPCAPS first, so the permitted set survives leaving uid 0.
Result<void> set_user(Sys& sys, const User& user, bool keep_caps);
// dup2 each valid fd of `pipes` onto 0, 1, 2 (the caller's terminal is replaced).
Result<void> replace_caller_terminal(Sys& sys, const std::array<int, 3>& pipes);
// Every fd >= 3 except `keep` (the sync socket, and what later steps still need).
Result<void> close_host_fds(Sys& sys, const std::vector<int>& keep);
// --preserve-fds N, checked in the caller before anything starts: fds 3..3+N-1 must be
// open, and none may be a directory (a process holding a host directory walks out of its
// root through it, as in CVE-2024-21626).
Result<void> check_preserved_fds(int count);
// The container's /dev/null as stdin, opened inside its root without following magic links
// and checked to be char 1:3: a container that replaced it gets a refused exec, never a
// host file or one of barco's fds.
Result<void> detach_stdin(Sys& sys);
// run -d: stdout and stderr to the container's log file, opened by the monitor before clone
// (a mapped root in a user namespace could not open it in barco's state directory).
Result<void> redirect_output(Sys& sys, int log_fd);
// Keys were checked against the namespaced allow-list when the config was read.
Result<void> write_sysctl(Sys& sys, const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace barco
