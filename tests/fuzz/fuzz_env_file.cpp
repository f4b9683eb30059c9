// --env-file content.
#include <barco/parse.hpp>
#include <barco/result.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto env = barco::parse_env_file(text, [](const std::string&) { return std::optional<std::string>("v"); });
    (void)barco::merge_env({"PATH=/bin"}, env);
  } catch (const barco::ConfigError&) {
  }
  return 0;
}
