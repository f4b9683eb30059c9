// Resolves -u/--user against the rootfs's /etc/passwd and /etc/group, the way docker does:
// a name must exist in the image; a numeric uid need not; supplementary groups come from
// /etc/group only when the user was given by name. Pure: it takes the files' contents.
#pragma once

#include <barco/config.hpp>
#include <barco/parse.hpp>

#include <string>
#include <string_view>

namespace barco {

struct ResolvedUser {
  User user;
  std::string home;  // from /etc/passwd, "/" when the uid has no entry
};

[[nodiscard]] ResolvedUser resolve_user(const UserSpec& spec, std::string_view passwd, std::string_view group);

}  // namespace barco
