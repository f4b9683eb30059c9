// Process creation with namespaces. clone3 is used fork-style (no new stack, no CLONE_VM), so
// the child continues in the same code like fork(2) does, which also keeps ASan happy.
#pragma once

#include <barco/result.hpp>

#include <sys/types.h>

namespace barco {

// Returns 0 in the child and the child's pid in the parent. Falls back to clone(2) where
// clone3 is missing (ENOSYS) or filtered by a seccomp profile (EPERM).
Result<pid_t> clone_process(unsigned long flags);

}  // namespace barco
