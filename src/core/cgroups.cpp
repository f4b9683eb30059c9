#include <barco/cgroups.hpp>
#include <barco/parse.hpp>
#include <barco/result.hpp>

#include <algorithm>

namespace barco {

const char* cgroup_mode_name(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::unified: return "unified (cgroup v2)";
    case CgroupMode::hybrid: return "hybrid (v1 controllers + cgroup2)";
    case CgroupMode::legacy: return "legacy (cgroup v1)";
    case CgroupMode::none: return "none";
  }
  return "?";
}

namespace {

// The n-th space-separated word of `line` (0-based), or "" (no istringstream: this runs for
// every mountinfo line on every start).
std::string_view word(std::string_view line, int n) {
  size_t start = line.find_first_not_of(' ');
  for (; start != std::string_view::npos && n > 0; --n) {
    const size_t end = line.find(' ', start);
    start = end == std::string_view::npos ? end : line.find_first_not_of(' ', end);
  }
  if (start == std::string_view::npos) {
    return {};
  }
  const size_t end = line.find(' ', start);
  return line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

}  // namespace

CgroupHost parse_cgroup_host(std::string_view mountinfo, std::string_view proc_self_cgroup) {
  CgroupHost host;
  // A later mount on the same mount point hides an earlier one: only the last counts.
  std::map<std::string, std::pair<std::string, std::string>> visible;  // mount point -> (fstype, super options)
  std::vector<std::string> order;
  for (const auto& line : split(mountinfo, '\n')) {
    // "<id> <parent> <dev> <root> <mount point> <options> [optional...] - <fstype> <source> <super options>"
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) {
      continue;
    }
    const std::string_view view(line);
    const std::string mount_point(word(view.substr(0, dash), 4));
    const std::string_view tail = view.substr(dash + 3);
    const std::string fstype(word(tail, 0));
    const std::string options(word(tail, 2));
    if (mount_point.empty() || mount_point.front() != '/') {
      continue;  // not a mountinfo line
    }
    if (visible.count(mount_point) == 0) {
      order.push_back(mount_point);
    }
    visible[mount_point] = {fstype, options};
  }
  for (const auto& mount_point : order) {
    const auto& [fstype, options] = visible[mount_point];
    if (fstype == "cgroup2" && host.unified_mount.empty()) {
      host.unified_mount = mount_point;
    } else if (fstype == "cgroup") {
      for (const auto& opt : split(options, ',')) {
        if (opt != "rw" && opt != "ro" && opt.find('=') == std::string::npos && opt.rfind("clone_children", 0) != 0 &&
            opt != "noprefix" && opt != "xattr" && host.v1_mounts.count(opt) == 0) {
          host.v1_mounts[opt] = mount_point;
        }
      }
    }
  }
  for (const auto& line : split(proc_self_cgroup, '\n')) {
    // "<hierarchy id>:<controllers>:<path>"
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) {
      continue;
    }
    const auto controllers = line.substr(first + 1, second - first - 1);
    const auto path = line.substr(second + 1);
    if (controllers.empty()) {
      host.own_unified = path;
    }
    for (const auto& c : split(controllers, ',')) {
      host.own_v1[c] = path;
    }
  }
  if (!host.v1_mounts.empty()) {
    host.mode = host.unified_mount.empty() ? CgroupMode::legacy : CgroupMode::hybrid;
  } else if (!host.unified_mount.empty()) {
    host.mode = CgroupMode::unified;
  }
  return host;
}

std::string device_rule_text(const DeviceRule& r) {
  auto number = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  return std::string(1, r.type) + " " + number(r.major) + ":" + number(r.minor) + " " + r.access;
}

int64_t cpu_shares_to_weight(int64_t shares) {
  return 1 + ((shares - 2) * 9999) / 262142;
}

int64_t cpu_weight_to_shares(int64_t weight) {
  return 2 + ((weight - 1) * 262142) / 9999;
}

std::vector<DeviceRule> default_device_rules() {
  return {
      {false, 'a', -1, -1, "rwm"},  // deny everything first
      {true, 'c', 1, 3, "rwm"},     // null
      {true, 'c', 1, 5, "rwm"},     // zero
      {true, 'c', 1, 7, "rwm"},     // full
      {true, 'c', 1, 8, "rwm"},     // random
      {true, 'c', 1, 9, "rwm"},     // urandom
      {true, 'c', 5, 0, "rwm"},     // tty
      {true, 'c', 5, 1, "rwm"},     // console
      {true, 'c', 5, 2, "rwm"},     // ptmx
      {true, 'c', 136, -1, "rwm"},  // pty slaves of the container's devpts
  };
}

SubCgroup parse_sub_cgroup(const std::string& spec) {
  SubCgroup sub;
  std::string path = spec;
  if (const auto colon = spec.find(':'); colon != std::string::npos) {
    std::string list = spec.substr(0, colon);
    path = spec.substr(colon + 1);
    for (size_t start = 0; start <= list.size();) {
      const auto comma = std::min(list.find(',', start), list.size());
      if (comma > start) {
        sub.controllers.push_back(list.substr(start, comma - start));
      }
      start = comma + 1;
    }
  }
  std::string normal;
  for (size_t start = 0; start <= path.size();) {
    const auto slash = std::min(path.find('/', start), path.size());
    const auto part = path.substr(start, slash - start);
    if (part == "..") {
      std::string what = "--cgroup ";
      what.append(spec).append(": ").append(path).append(" is not a sub cgroup path");
      throw ConfigError(what, "the path is below the container's own cgroup (\"/\" is that cgroup)");
    }
    if (!part.empty() && part != ".") {
      normal += (normal.empty() ? "" : "/") + part;
    }
    start = slash + 1;
  }
  sub.path = normal;
  return sub;
}

std::vector<std::string> sub_cgroup_dirs(const std::vector<std::string>& dirs, const std::vector<SubCgroup>& subs,
                                         const std::function<bool(const std::string&)>& is_v2,
                                         const std::string& mount) {
  // The hierarchy's mount name below `mount` ("memory", "cpu,cpuacct"); empty for a v2 root.
  auto controllers_of = [&](const std::string& dir) {
    std::vector<std::string> out;
    if (!is_v2(dir) && dir.rfind(mount + "/", 0) == 0) {
      const auto rest = dir.substr(mount.size() + 1);
      const auto name = rest.substr(0, rest.find('/'));
      for (size_t start = 0; start <= name.size();) {
        const auto comma = std::min(name.find(',', start), name.size());
        out.push_back(name.substr(start, comma - start));
        start = comma + 1;
      }
    }
    return out;
  };
  for (const auto& sub : subs) {
    for (const auto& c : sub.controllers) {
      const bool known = std::any_of(dirs.begin(), dirs.end(), [&](const std::string& d) {
        const auto names = controllers_of(d);
        return std::find(names.begin(), names.end(), c) != names.end();
      });
      if (!known) {
        throw ConfigError("--cgroup: unknown controller " + c, "the container has no cgroup of that controller");
      }
    }
  }
  std::vector<std::string> out;
  out.reserve(dirs.size());
  for (const auto& dir : dirs) {
    const auto names = controllers_of(dir);
    const SubCgroup* chosen = nullptr;
    for (const auto& sub : subs) {
      const bool named = std::any_of(sub.controllers.begin(), sub.controllers.end(), [&](const std::string& c) {
        return std::find(names.begin(), names.end(), c) != names.end();
      });
      if (named || (sub.controllers.empty() && (chosen == nullptr || chosen->controllers.empty()))) {
        chosen = &sub;
      }
    }
    out.push_back(chosen == nullptr || chosen->path.empty() ? dir : dir + "/" + chosen->path);
  }
  return out;
}

}  // namespace barco
