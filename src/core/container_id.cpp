#include <barco/container_id.hpp>
#include <barco/result.hpp>

#include <array>
#include <cctype>
#include <cstdio>

namespace barco {

std::string container_id_from_bytes(const std::array<unsigned char, kContainerIdBytes>& bytes) {
  std::string out;
  for (const auto b : bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

bool is_valid_container_id(std::string_view id) {
  auto ok_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; };
  bool ok = !id.empty() && id.size() <= 64 && std::isalnum(static_cast<unsigned char>(id.front()));
  for (const char c : id) {
    ok = ok && ok_char(c);
  }
  return ok;
}

namespace {
constexpr const char* kIdRule = "use 1-64 characters from [a-zA-Z0-9_.-], starting with a letter or digit";
}  // namespace

void validate_container_id(std::string_view id) {
  if (!is_valid_container_id(id)) {
    throw ConfigError("--name '" + std::string(id) + "': not a valid container name", kIdRule);
  }
}

std::optional<Error> container_id_error(std::string_view id) {
  if (is_valid_container_id(id)) {
    return std::nullopt;
  }
  return Error{EINVAL,
               {},
               "container id '" + std::string(id) + "'",
               std::string("not a valid container id, so it names no container: ") + kIdRule};
}

}  // namespace barco
