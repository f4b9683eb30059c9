// Sealed in-memory executables (what runc and crun do against CVE-2019-5736): a program that
// runs inside a container from a memfd sealed against writes cannot be used to overwrite
// anything on the host through /proc/<pid>/exe.
#pragma once

#include <barco/result.hpp>
#include <barco/unique_fd.hpp>

#include <cstddef>

namespace barco {

// A memfd named `name` holding `size` bytes of `data`, sealed with
// F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE, close-on-exec.
Result<UniqueFd> sealed_memfd(const char* name, const unsigned char* data, size_t size);

// `barco run`, `exec` and OCI `create` put a barco process into a container's namespaces.
// Before that, barco re-executes itself from a view of its binary that cannot be written:
// a read-only, detached bind mount of the file (open_tree + mount_setattr; no copy), or,
// where that is refused, a sealed memfd copy. Even a process that reaches /proc/<pid>/exe
// then finds nothing on the host to overwrite (CVE-2019-5736). Returns only when already
// running from such a view (or with the error that prevented the re-exec).
Result<void> reexec_sealed(char** argv);

// The bytes of an ELF image that execution needs: up to the end of its last segment (the
// debug sections after it are not copied). `size` for anything that is not ELF.
[[nodiscard]] size_t loadable_size(const unsigned char* image, size_t size);

}  // namespace barco
