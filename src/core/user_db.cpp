#include <barco/result.hpp>
#include <barco/user_db.hpp>

#include <algorithm>

namespace barco {
namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid;
  uint32_t gid;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid;
  std::vector<std::string> members;
};

// Splits one /etc/passwd or /etc/group line on ':' keeping empty fields.
std::vector<std::string> fields_of(std::string_view line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ':') {
      out.emplace_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::vector<PasswdEntry> parse_passwd(std::string_view content) {
  std::vector<PasswdEntry> out;
  for (const auto& line : split(content, '\n')) {
    const auto f = fields_of(line);
    if (f.size() < 6) {
      continue;
    }
    const auto uid = parse_id(f[2]);
    const auto gid = parse_id(f[3]);
    if (uid && gid) {
      out.push_back({f[0], *uid, *gid, f[5]});
    }
  }
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view content) {
  std::vector<GroupEntry> out;
  for (const auto& line : split(content, '\n')) {
    const auto f = fields_of(line);
    if (f.size() < 3) {
      continue;
    }
    if (const auto gid = parse_id(f[2])) {
      out.push_back({f[0], *gid, f.size() > 3 ? split(f[3], ',') : std::vector<std::string>{}});
    }
  }
  return out;
}

uint32_t resolve_group(const std::string& spec, const std::vector<GroupEntry>& groups) {
  if (const auto gid = parse_id(spec)) {
    return *gid;
  }
  const auto it = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& g) { return g.name == spec; });
  if (it == groups.end()) {
    throw ConfigError("--user: no group '" + spec + "' in the rootfs's /etc/group",
                      "use a numeric gid, or add the group to the image");
  }
  return it->gid;
}

}  // namespace

ResolvedUser resolve_user(const UserSpec& spec, std::string_view passwd, std::string_view group) {
  const auto users = parse_passwd(passwd);
  const auto groups = parse_group(group);
  ResolvedUser out{{}, "/"};
  const auto numeric = parse_id(spec.user);
  const PasswdEntry* entry = nullptr;
  if (numeric) {
    const auto it = std::find_if(users.begin(), users.end(), [&](const PasswdEntry& u) { return u.uid == *numeric; });
    entry = it == users.end() ? nullptr : &*it;
    out.user.uid = *numeric;
    out.user.gid = entry != nullptr ? entry->gid : 0;
  } else {
    const auto it = std::find_if(users.begin(), users.end(), [&](const PasswdEntry& u) { return u.name == spec.user; });
    if (it == users.end()) {
      throw ConfigError("--user: no user '" + spec.user + "' in the rootfs's /etc/passwd",
                        "use a numeric uid (-u 1000:1000), or add the user to the image");
    }
    entry = &*it;
    out.user.uid = it->uid;
    out.user.gid = it->gid;
    out.user.name = it->name;
    // Supplementary groups come from /etc/group, as login(1) and docker do, only for names.
    for (const auto& g : groups) {
      if (std::find(g.members.begin(), g.members.end(), it->name) != g.members.end() && g.gid != it->gid) {
        out.user.additional_gids.push_back(g.gid);
      }
    }
  }
  if (entry != nullptr && !entry->home.empty()) {
    out.home = entry->home;
  }
  if (spec.group) {
    out.user.gid = resolve_group(*spec.group, groups);
  }
  return out;
}

}  // namespace barco
