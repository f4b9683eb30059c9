// An OCI bundle's config.json (and exec --process files, update -r resources, and mount
// option lists): whatever
// a caller hands barco must parse into a config, or be refused with a ConfigError.
#include <barco/oci.hpp>
#include <barco/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto parsed = barco::parse_oci_config(text, barco::OciContext{"/bundle", "fuzz"});
    // What was read can be written back and read again.
    (void)barco::parse_oci_config(barco::oci_config_json(parsed.config).dump(), barco::OciContext{"/b", "fuzz"});
  } catch (const barco::ConfigError&) {
  }
  try {
    // update -r: the limits read, recorded and read back are the same limits.
    std::vector<std::string> warnings;
    const auto limits = barco::apply_update({}, barco::parse_oci_resources(text, warnings));
    const auto again =
        barco::apply_update({}, barco::parse_oci_resources(barco::oci_resources_json(limits).dump(), warnings));
    if (!(again == limits)) {
      __builtin_trap();
    }
  } catch (const barco::ConfigError&) {
  }
  std::vector<std::string> words;
  for (size_t start = 0; start <= text.size();) {
    const auto comma = text.find(',', start);
    words.emplace_back(text.substr(start, comma == std::string_view::npos ? text.size() - start : comma - start));
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
  }
  (void)barco::parse_mount_options(words, size % 2 == 0);
  return 0;
}
