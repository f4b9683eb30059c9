// Process creation with namespaces. clone3 is used fork-style (no new stack, no CLONE_VM), so
// the child continues in the same code like fork(2) does, which also keeps ASan happy.
#pragma once

#include <barco/result.hpp>

#include <sys/types.h>

namespace barco {

struct CloneResult {
  pid_t pid = 0;             // 0 in the child
  bool into_cgroup = false;  // the child started inside `cgroup_fd`'s cgroup
};

// Returns pid 0 in the child and the child's pid in the parent. With a cgroup v2 directory
// fd (>= 0) the child is created inside that cgroup (CLONE_INTO_CGROUP: no attach at all);
// where the kernel refuses that, or lacks clone3 (ENOSYS) or a seccomp profile filters it
// (EPERM), it falls back step by step and says so in `into_cgroup`.
Result<CloneResult> clone_process(unsigned long flags, int cgroup_fd = -1);

}  // namespace barco
