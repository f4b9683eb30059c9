#include <barco/capabilities.hpp>
#include <barco/result.hpp>

#include <sys/capability.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace barco {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

bool is_all(const std::vector<std::string>& names) {
  return std::any_of(names.begin(), names.end(), [](const std::string& n) { return upper(n) == "ALL"; });
}

}  // namespace

CapMask cap_mask_of(const std::vector<std::string>& names) {
  CapMask m = 0;
  for (const auto& n : names) {
    if (upper(n) != "ALL") {
      m |= cap_bit(parse_capability(n));
    }
  }
  return m;
}

CapMask docker_default_caps() {
  CapMask m = 0;
  for (const int c :
       {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID, CAP_SETUID,
        CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE}) {
    m |= cap_bit(c);
  }
  return m;
}

CapMask all_known_caps() {
  // CAP_LAST_CAP is libcap's compile-time view; cap_last_cap of the kernel is applied at run time.
  return CAP_LAST_CAP >= 63 ? ~CapMask{0} : (cap_bit(CAP_LAST_CAP + 1) - 1);
}

std::string capability_name(int cap) {
  const std::unique_ptr<char, int (*)(void*)> name(cap_to_name(static_cast<cap_value_t>(cap)), cap_free);
  return name ? upper(name.get()) : "CAP_" + std::to_string(cap);
}

std::string capability_names(CapMask mask) {
  std::string out;
  for (int c = 0; c < 64; ++c) {
    if ((mask & cap_bit(c)) != 0) {
      out += (out.empty() ? "" : ",") + capability_name(c);
    }
  }
  return out.empty() ? "none" : out;
}

int parse_capability(std::string_view name) {
  std::string wanted = upper(name);
  if (wanted.rfind("CAP_", 0) != 0) {
    wanted = "CAP_" + wanted;
  }
  // libcap's own table lookup (lower case), not a loop over every name: profiles name
  // capabilities in many rules, and this runs for each.
  std::transform(wanted.begin(), wanted.end(), wanted.begin(), [](unsigned char c) { return std::tolower(c); });
  cap_value_t value = 0;
  if (wanted.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos &&
      cap_from_name(wanted.c_str(), &value) == 0 && value >= 0 && value <= CAP_LAST_CAP) {
    return value;
  }
  std::string valid;
  for (int c = 0; c <= CAP_LAST_CAP; ++c) {
    valid += (c ? " " : "") + capability_name(c).substr(4);
  }
  throw ConfigError("unknown capability '" + std::string(name) + "'",
                    "valid names (CAP_ prefix and case optional): ALL " + valid);
}

CapMask apply_cap_flags(CapMask base, const std::vector<std::string>& add, const std::vector<std::string>& drop) {
  const CapMask added = cap_mask_of(add);
  const CapMask dropped = cap_mask_of(drop);
  if (is_all(add)) {
    return is_all(drop) ? added : all_known_caps() & ~dropped;
  }
  if (is_all(drop)) {
    return added;
  }
  return (base & ~dropped) | added;
}

Capabilities capabilities_for(CapMask caps, CapMask added, uint32_t uid) {
  if (uid == 0) {
    return {caps, caps, caps, 0, 0};
  }
  const CapMask kept = caps & added;
  return {caps, kept, kept, kept, kept};
}

}  // namespace barco
