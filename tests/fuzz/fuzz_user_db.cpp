// A rootfs's /etc/passwd and /etc/group (image content: untrusted), and the -u value
// resolved against them. Input: "spec\0passwd\0group".
#include <barco/result.hpp>
#include <barco/user_db.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  const auto a = all.find('\0');
  const auto b = a == std::string::npos ? std::string::npos : all.find('\0', a + 1);
  if (b == std::string::npos) {
    return 0;
  }
  try {
    const auto spec = barco::parse_user_spec(all.substr(0, a));
    (void)barco::resolve_user(spec, all.substr(a + 1, b - a - 1), all.substr(b + 1));
  } catch (const barco::ConfigError&) {
  }
  return 0;
}
