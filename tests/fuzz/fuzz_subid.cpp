// /etc/subuid and /etc/subgid content (the id maps of --userns private).
#include <barco/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto r = barco::find_subid_range(text, "root")) {
    // A range never wraps around the 32-bit id space.
    if (uint64_t(r->host_id) + r->size > std::numeric_limits<uint32_t>::max() || r->size == 0) {
      __builtin_trap();
    }
  }
  return 0;
}
