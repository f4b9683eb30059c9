// Capability sets as bit masks (bit N = capability N), docker's default set, and the
// parsing of --cap-add/--cap-drop names. Names come from libcap, so barco knows every
// capability the installed libcap knows; the running kernel may know fewer (cap_last_cap),
// which the runtime handles by masking.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace barco {

using CapMask = uint64_t;

[[nodiscard]] constexpr CapMask cap_bit(int cap) {
  return CapMask{1} << cap;
}

struct Capabilities {
  CapMask bounding = 0;
  CapMask effective = 0;
  CapMask permitted = 0;
  CapMask inheritable = 0;
  CapMask ambient = 0;
  bool operator==(const Capabilities&) const = default;
};

// CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP
// NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE: docker's 14.
[[nodiscard]] CapMask docker_default_caps();
// Every capability libcap knows.
[[nodiscard]] CapMask all_known_caps();

// "SYS_ADMIN", "cap_sys_admin", "Sys_Admin" -> 21. Throws ConfigError listing the valid
// names for anything else. "ALL" is not a capability: callers handle it.
[[nodiscard]] int parse_capability(std::string_view name);
// "CAP_SYS_ADMIN"
[[nodiscard]] std::string capability_name(int cap);
// "CAP_CHOWN,CAP_KILL" or "none"
[[nodiscard]] std::string capability_names(CapMask mask);

// The capabilities named (ignoring "ALL").
[[nodiscard]] CapMask cap_mask_of(const std::vector<std::string>& names);

// docker's rule for --cap-add / --cap-drop (either may hold "ALL"): starting from the
// default set, drops apply first, then adds; "ALL" in adds grants everything, in drops
// removes everything.
[[nodiscard]] CapMask apply_cap_flags(CapMask base, const std::vector<std::string>& add,
                                      const std::vector<std::string>& drop);

// The five sets for a process running as `uid` with `caps`: root gets them in bounding,
// permitted and effective; a non-root user keeps only the bounding set, plus, for the caps
// that were explicitly added, inheritable+ambient so they survive execve.
[[nodiscard]] Capabilities capabilities_for(CapMask caps, CapMask added, uint32_t uid);

}  // namespace barco
