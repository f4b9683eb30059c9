// Seccomp profiles given with --security-opt seccomp=FILE, parsed and resolved for both
// architectures barco supports. Anything but ConfigError escaping is a bug.
#include <barco/result.hpp>
#include <barco/seccomp_profile.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto p = barco::parse_seccomp_profile(text, "fuzz.json");
    for (const char* arch : {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"}) {
      const auto f = barco::resolve_seccomp_profile(p, {arch, barco::docker_default_caps(), {5, 10}});
      (void)barco::seccomp_filter_text(f);
    }
  } catch (const barco::ConfigError&) {
  }
  return 0;
}
