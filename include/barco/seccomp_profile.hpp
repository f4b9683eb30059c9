// Seccomp profiles in the docker/OCI JSON format, and their resolution for one target
// (architecture, capability bounding set, kernel version) into a plain filter: the
// semantics of moby's setupSeccomp. Pure: no libseccomp, no syscalls; src/linux/seccomp
// compiles the result.
#pragma once

#include <barco/capabilities.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barco {

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_NE | LT | LE | EQ | GE | GT | MASKED_EQ
  bool operator==(const SeccompArg&) const = default;
};

struct SeccompCondition {
  std::vector<std::string> caps;    // CAP_* names
  std::vector<std::string> arches;  // "amd64", "arm64", ... (or SCMP_ARCH_* names)
  std::string min_kernel;           // "4.8"
  bool operator==(const SeccompCondition&) const = default;
};

struct SeccompRule {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_*
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
  SeccompCondition includes;
  SeccompCondition excludes;
  bool operator==(const SeccompRule&) const = default;
};

struct SeccompArchMap {
  std::string architecture;
  std::vector<std::string> sub_architectures;
  bool operator==(const SeccompArchMap&) const = default;
};

struct SeccompProfile {
  std::string source;  // file name, for messages
  std::string default_action;
  std::optional<uint32_t> default_errno;
  std::vector<std::string> architectures;
  std::vector<SeccompArchMap> arch_map;
  std::vector<SeccompRule> syscalls;
  // SCMP_ACT_NOTIFY: the unix socket of the agent that answers the notified calls (it gets
  // the listener fd and the container's state), and an opaque string passed along to it.
  std::string listener_path;
  std::string listener_metadata;
  bool operator==(const SeccompProfile&) const = default;
};

// The profile uses SCMP_ACT_NOTIFY (as its default or in a rule).
[[nodiscard]] bool uses_notify(const SeccompProfile& profile);

// Throws ConfigError "seccomp profile FILE: $.syscalls[3].action: ..." for malformed input.
[[nodiscard]] SeccompProfile parse_seccomp_profile(std::string_view json_text, const std::string& source);

struct KernelVersion {
  int major = 0;
  int minor = 0;
  [[nodiscard]] static KernelVersion parse(std::string_view release);  // "6.1.0-18-amd64" -> 6.1
  [[nodiscard]] bool at_least(const KernelVersion& o) const {
    return major != o.major ? major > o.major : minor >= o.minor;
  }
  bool operator==(const KernelVersion&) const = default;
};

struct SeccompTarget {
  std::string arch;  // native SCMP_ARCH_* name, e.g. SCMP_ARCH_X86_64
  CapMask bounding = 0;
  KernelVersion kernel;
};

// What libseccomp is given: no includes/excludes left, architectures expanded.
struct SeccompFilter {
  std::string default_action;
  uint32_t default_errno = 1;  // EPERM, as docker
  std::vector<std::string> architectures;
  std::vector<SeccompRule> rules;
  bool operator==(const SeccompFilter&) const = default;
};

[[nodiscard]] SeccompFilter resolve_seccomp_profile(const SeccompProfile& profile, const SeccompTarget& target);

// SCMP_ARCH_X86_64 on x86-64 builds, SCMP_ARCH_AARCH64 on arm64 builds.
[[nodiscard]] std::string native_seccomp_arch();

// One line per rule, stable: the cache key of a compiled filter, and --dry-run's detail.
[[nodiscard]] std::string seccomp_filter_text(const SeccompFilter& filter);

}  // namespace barco
