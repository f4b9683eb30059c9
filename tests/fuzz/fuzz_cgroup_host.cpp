// /proc/self/mountinfo and /proc/self/cgroup as barco reads them to find the cgroup layout.
// Input: "mountinfo\0cgroup".
#include <barco/cgroups.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  const auto nul = all.find('\0');
  const auto host = barco::parse_cgroup_host(all.substr(0, nul), nul == std::string::npos ? "" : all.substr(nul + 1));
  for (const auto& [controller, mount] : host.v1_mounts) {
    if (controller.empty() || mount.empty()) {
      __builtin_trap();  // every hierarchy found has a name and a place
    }
  }
  return 0;
}
