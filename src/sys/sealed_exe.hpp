// Sealed in-memory executables (what runc and crun do against CVE-2019-5736): a program that
// runs inside a container from a memfd sealed against writes cannot be used to overwrite
// anything on the host through /proc/<pid>/exe.
#pragma once

#include "sys/unique_fd.hpp"

#include <barco/result.hpp>

#include <cstddef>

namespace barco {

// A memfd named `name` holding `size` bytes of `data`, sealed with
// F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE, close-on-exec.
Result<UniqueFd> sealed_memfd(const char* name, const unsigned char* data, size_t size);

// `barco exec` and OCI `create`/`run` put a barco process into a running container's
// namespaces. Before that, barco re-executes itself from a sealed memfd copy, so even a
// process that reaches /proc/<pid>/exe finds nothing on the host to overwrite. Returns only
// when already running from such a copy (or with the error that prevented the re-exec).
Result<void> reexec_sealed(char** argv);

}  // namespace barco
