// state.json records under /run/barco: another barco (or a person) may have left anything.
#include <barco/container.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) {
    return 0;
  }
  try {
    const auto s = barco::state_from_json(j);
    (void)barco::to_json(s).dump();
  } catch (const nlohmann::json::exception&) {
  }
  return 0;
}
