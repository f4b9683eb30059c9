// Seccomp: a resolved SeccompFilter is compiled to BPF with libseccomp in the parent, before
// clone (building a docker-size filter costs ~2 ms; loading it costs microseconds), and the
// result is cached on disk by the exact text of the filter, so each profile/arch/capability
// combination is compiled once. The child only loads the program.
#pragma once

#include "sys/sys.hpp"

#include <barco/seccomp_profile.hpp>

#include <linux/filter.h>

#include <string>
#include <vector>

namespace barco {

struct CompiledFilter {
  std::vector<sock_filter> program;
  std::vector<std::string> skipped_names;  // not a syscall on any architecture of the filter
};

Result<CompiledFilter> compile_seccomp(const SeccompFilter& filter);

// The libseccomp barco runs with ("2.5.4"): linked statically, the one it was built with.
[[nodiscard]] std::string libseccomp_version();

// compile_seccomp behind a cache in `cache_dir` (root-only, created when missing; barco uses
// <state root>/.cache). An entry is used only when its stored filter text equals this
// filter's text exactly, so a hash collision can never load the wrong program.
Result<CompiledFilter> compile_seccomp_cached(const SeccompFilter& filter, const std::string& cache_dir);

// Names in the profile that no architecture libseccomp knows has: typos, or syscalls newer
// than the installed libseccomp.
[[nodiscard]] std::vector<std::string> unknown_syscall_names(const SeccompProfile& profile);
// Names that `scmp_arch` (e.g. "SCMP_ARCH_AARCH64") does not have.
[[nodiscard]] std::vector<std::string> names_missing_on(const SeccompProfile& profile, const std::string& scmp_arch);

Result<void> load_seccomp(Sys& sys, const std::vector<sock_filter>& program);

}  // namespace barco
