#include <barco/defaults.hpp>
#include <barco/parse.hpp>
#include <barco/result.hpp>

#include <sys/mount.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <limits>
#include <utility>

namespace barco {
namespace {

using namespace std::string_view_literals;

std::string_view trim(std::string_view s) {
  const auto* ws = " \t\r";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) {
    return {};
  }
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

bool is_valid_env_key(std::string_view key) {
  return !key.empty() && key.find_first_of(" \t\n\0"sv) == std::string_view::npos;
}

std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || ptr != end) {
    return std::nullopt;
  }
  return v;
}

[[noreturn]] void fail(std::string what, std::string hint) {
  throw ConfigError(std::move(what), std::move(hint));
}

void require_absolute(std::string_view flag, std::string_view whole, std::string_view path) {
  if (path.empty() || path.front() != '/') {
    fail(std::string(flag) + " '" + std::string(whole) + "': '" + std::string(path) + "' is not an absolute path",
         "write both paths in full, e.g. " + std::string(flag) + " /srv/data:/data:ro");
  }
}

struct MountFlag {
  std::string_view name;
  unsigned long set;
  bool clear;
};

constexpr std::array<MountFlag, 14> kMountFlags{{
    {"ro", MS_RDONLY, false},
    {"rw", MS_RDONLY, true},
    {"nosuid", MS_NOSUID, false},
    {"suid", MS_NOSUID, true},
    {"nodev", MS_NODEV, false},
    {"dev", MS_NODEV, true},
    {"noexec", MS_NOEXEC, false},
    {"exec", MS_NOEXEC, true},
    {"sync", MS_SYNCHRONOUS, false},
    {"async", MS_SYNCHRONOUS, true},
    {"noatime", MS_NOATIME, false},
    {"atime", MS_NOATIME, true},
    {"strictatime", MS_STRICTATIME, false},
    {"nodiratime", MS_NODIRATIME, false},
}};

struct RlimitName {
  std::string_view name;
  int resource;
};

constexpr std::array<RlimitName, 16> kRlimits{{
    {"as", RLIMIT_AS},
    {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},
    {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
}};

std::optional<uint64_t> parse_rlimit_value(std::string_view text) {
  if (text == "unlimited" || text == "-1") {
    return RLIM_INFINITY;
  }
  return parse_u64(text);
}

}  // namespace

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto pos = text.find(sep);
    const auto item = text.substr(0, pos);
    if (!item.empty()) {
      out.emplace_back(item);
    }
    if (pos == std::string_view::npos) {
      break;
    }
    text.remove_prefix(pos + 1);
  }
  return out;
}

std::optional<uint32_t> parse_id(std::string_view text) {
  const auto v = parse_u64(text);
  if (!v || *v >= std::numeric_limits<uint32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(*v);
}

std::optional<std::string> parse_env_entry(std::string_view text, const EnvLookup& lookup) {
  const auto eq = text.find('=');
  const auto key = text.substr(0, eq);
  if (!is_valid_env_key(key)) {
    fail("--env '" + std::string(text) + "': the variable name is empty or contains blanks",
         "write NAME=value, or NAME alone to pass the caller's value through");
  }
  if (eq != std::string_view::npos) {
    return std::string(text);
  }
  if (auto value = lookup(std::string(key))) {
    return std::string(key) + "=" + *value;
  }
  return std::nullopt;
}

std::vector<std::string> parse_env_file(std::string_view content, const EnvLookup& lookup) {
  std::vector<std::string> out;
  size_t line_no = 0;
  for (std::string_view rest = content; !rest.empty();) {
    const auto nl = rest.find('\n');
    const auto raw = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    ++line_no;
    const auto line = trim(raw);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    try {
      if (auto entry = parse_env_entry(line, lookup)) {
        out.push_back(std::move(*entry));
      }
    } catch (const ConfigError& e) {
      fail("--env-file line " + std::to_string(line_no) + ": " + e.error().call, e.error().hint);
    }
  }
  return out;
}

std::vector<std::string> merge_env(const std::vector<std::string>& base, const std::vector<std::string>& overrides) {
  std::vector<std::string> out = base;
  for (const auto& entry : overrides) {
    const auto key = entry.substr(0, entry.find('='));
    auto same_key = [&](const std::string& e) { return e.substr(0, e.find('=')) == key; };
    if (auto it = std::find_if(out.begin(), out.end(), same_key); it != out.end()) {
      *it = entry;
    } else {
      out.push_back(entry);
    }
  }
  return out;
}

UserSpec parse_user_spec(std::string_view text) {
  const auto colon = text.find(':');
  UserSpec spec{std::string(text.substr(0, colon)), std::nullopt};
  if (colon != std::string_view::npos) {
    spec.group = std::string(text.substr(colon + 1));
  }
  if (spec.user.empty() || (spec.group && spec.group->empty()) ||
      (spec.group && spec.group->find(':') != std::string::npos)) {
    fail("--user '" + std::string(text) + "': expected UID[:GID] or NAME[:GROUP]",
         "for example -u 1000:1000 or -u nobody");
  }
  return spec;
}

Mount parse_volume(std::string_view text) {
  const auto parts = split(text, ':');
  if (parts.size() < 2 || parts.size() > 3 ||
      std::count(text.begin(), text.end(), ':') != ptrdiff_t(parts.size() - 1)) {
    fail("--volume '" + std::string(text) + "': expected HOST:CONTAINER[:ro|rw]", "for example -v /srv/data:/data:ro");
  }
  require_absolute("--volume", text, parts[0]);
  require_absolute("--volume", text, parts[1]);
  Mount m{parts[1], "bind", parts[0], MS_BIND | MS_REC, {}, 0, 0};
  if (parts.size() == 3) {
    if (parts[2] == "ro") {
      m.recursive_attr_set = MOUNT_ATTR_RDONLY;  // the volume and everything mounted below it
    } else if (parts[2] != "rw") {
      fail("--volume '" + std::string(text) + "': unknown mode '" + parts[2] + "'", "the mode is ro or rw");
    }
  }
  return m;
}

Mount parse_tmpfs(std::string_view text) {
  const auto colon = text.find(':');
  const auto path = std::string(text.substr(0, colon));
  require_absolute("--tmpfs", text, path);
  Mount m{path, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, {}, false};
  if (colon == std::string_view::npos) {
    return m;
  }
  std::vector<std::string> data;
  for (const auto& opt : split(text.substr(colon + 1), ',')) {
    const auto* flag =
        std::find_if(kMountFlags.begin(), kMountFlags.end(), [&](const MountFlag& f) { return f.name == opt; });
    if (flag != kMountFlags.end()) {
      m.flags = flag->clear ? (m.flags & ~flag->set) : (m.flags | flag->set);
    } else if (opt.find('=') != std::string::npos) {
      data.push_back(opt);  // size=, mode=, uid=, gid=, nr_inodes=: the kernel validates them
    } else {
      fail("--tmpfs '" + std::string(text) + "': unknown option '" + opt + "'",
           "options are mount(8) flags (ro, rw, exec, noexec, suid, nosuid, dev, nodev) or tmpfs key=value pairs");
    }
  }
  for (size_t i = 0; i < data.size(); ++i) {
    m.data += (i ? "," : "") + data[i];
  }
  return m;
}

std::optional<int> rlimit_resource(std::string_view name) {
  std::string lower;
  for (const char c : name.starts_with("RLIMIT_") ? name.substr(7) : name) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const auto* it = std::find_if(kRlimits.begin(), kRlimits.end(), [&](const RlimitName& r) { return r.name == lower; });
  return it == kRlimits.end() ? std::nullopt : std::optional<int>(it->resource);
}

namespace {

struct SignalName {
  std::string_view name;
  int number;
};

constexpr std::array<SignalName, 31> kSignals{{
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"SYS", SIGSYS},
}};

}  // namespace

int parse_signal(std::string_view text, std::string_view what) {
  int number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
    if (number >= 1 && number <= 64) {
      return number;
    }
  } else {
    std::string upper;
    for (const char c : text) {
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    const std::string_view name =
        std::string_view(upper).starts_with("SIG") ? std::string_view(upper).substr(3) : upper;
    for (const auto& s : kSignals) {
      if (s.name == name) {
        return s.number;
      }
    }
  }
  std::string names;
  for (const auto& s : kSignals) {
    names += (names.empty() ? "" : " ") + std::string(s.name);
  }
  fail(std::string(what) + " '" + std::string(text) + "': not a signal", "a number 1-64 or one of: " + names);
}

Rlimit parse_ulimit(std::string_view text) {
  const auto eq = text.find('=');
  const auto name = text.substr(0, eq);
  const auto* it = std::find_if(kRlimits.begin(), kRlimits.end(), [&](const RlimitName& r) { return r.name == name; });
  if (eq == std::string_view::npos || it == kRlimits.end()) {
    fail("--ulimit '" + std::string(text) + "': expected NAME=SOFT[:HARD] with a known NAME",
         "names: as core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime sigpending stack");
  }
  const auto values = text.substr(eq + 1);
  const auto colon = values.find(':');
  const auto soft = parse_rlimit_value(values.substr(0, colon));
  const auto hard = colon == std::string_view::npos ? soft : parse_rlimit_value(values.substr(colon + 1));
  if (!soft || !hard) {
    fail("--ulimit '" + std::string(text) + "': the values must be numbers or 'unlimited'",
         "for example --ulimit nofile=1024:2048");
  }
  if (*soft > *hard) {
    fail("--ulimit '" + std::string(text) + "': the soft limit is above the hard limit",
         "write SOFT:HARD with SOFT <= HARD");
  }
  return Rlimit{it->resource, *soft, *hard};
}

DeviceSpec parse_device_spec(std::string_view text) {
  const auto parts = split(text, ':');
  if (parts.empty() || parts.size() > 3 || std::count(text.begin(), text.end(), ':') != ptrdiff_t(parts.size() - 1)) {
    fail("--device '" + std::string(text) + "': expected HOST[:CONTAINER][:PERMISSIONS]",
         "for example --device /dev/fuse");
  }
  DeviceSpec d{parts[0], parts[0], "rwm"};
  auto is_perms = [](const std::string& p) { return !p.empty() && p.find_first_not_of("rwm") == std::string::npos; };
  if (parts.size() == 2) {
    (is_perms(parts[1]) ? d.permissions : d.container_path) = parts[1];
  } else if (parts.size() == 3) {
    d.container_path = parts[1];
    d.permissions = parts[2];
    if (!is_perms(d.permissions)) {
      fail("--device '" + std::string(text) + "': permissions '" + d.permissions + "' are not some of r, w, m",
           "for example --device /dev/fuse:/dev/fuse:rw");
    }
  }
  require_absolute("--device", text, d.host_path);
  require_absolute("--device", text, d.container_path);
  if (d.container_path.rfind("/dev/", 0) != 0) {
    fail("--device '" + std::string(text) + "': the container path must be under /dev", "for example /dev/fuse");
  }
  return d;
}

SecurityOptions parse_security_options(const std::vector<std::string>& values) {
  SecurityOptions o;
  for (const auto& v : values) {
    const auto eq = v.find('=');
    const std::string key = v.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : v.substr(eq + 1);
    if (key == "no-new-privileges" && (value.empty() || value == "true" || value == "false")) {
      o.no_new_privileges = value != "false";
    } else if (key == "seccomp" && !value.empty()) {
      o.seccomp = value;
    } else if (key == "systempaths" && value == "unconfined") {
      o.systempaths_unconfined = true;
    } else {
      fail("--security-opt '" + v + "': not understood",
           "barco knows no-new-privileges, seccomp=FILE, seccomp=unconfined and systempaths=unconfined");
    }
  }
  return o;
}

int64_t parse_size(std::string_view text, std::string_view flag, bool allow_unlimited) {
  const std::string whole(text);
  auto bad = [&]() -> int64_t {
    fail(std::string(flag) + " '" + whole + "': not a size",
         "write a number with an optional unit b, k, m or g, e.g. " + std::string(flag) + " 64m" +
             (allow_unlimited ? " (-1 for unlimited)" : ""));
  };
  if (allow_unlimited && text == "-1") {
    return -1;
  }
  size_t digits = 0;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) != 0 || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0 || std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(digits), '.') > 1) {
    return bad();
  }
  std::string unit(text.substr(digits));
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  if (unit.size() == 2 && unit[1] == 'b') {
    unit.pop_back();
  }
  static const std::array<std::pair<std::string_view, double>, 6> kUnits{{{"", 1.0},
                                                                          {"b", 1.0},
                                                                          {"k", 1024.0},
                                                                          {"m", 1024.0 * 1024},
                                                                          {"g", 1024.0 * 1024 * 1024},
                                                                          {"t", 1024.0 * 1024 * 1024 * 1024}}};
  const auto* u = std::find_if(kUnits.begin(), kUnits.end(), [&](const auto& e) { return e.first == unit; });
  if (u == kUnits.end()) {
    return bad();
  }
  const double value = std::strtod(std::string(text.substr(0, digits)).c_str(), nullptr) * u->second;
  if (!(value >= 0) || value > 9.2e18) {
    return bad();
  }
  return static_cast<int64_t>(value);
}

std::chrono::nanoseconds parse_duration(std::string_view text, std::string_view flag) {
  const std::string whole(text);
  auto bad = [&]() -> std::chrono::nanoseconds {
    fail(std::string(flag) + " '" + whole + "': not a duration", "write a number and a unit: 5s, 100ms, 1m30s");
  };
  static const std::array<std::pair<std::string_view, double>, 7> kUnits{
      {{"ns", 1}, {"us", 1e3}, {"\u00b5s", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}}};
  double total = 0;
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits])) != 0 || text[digits] == '.')) {
      ++digits;
    }
    size_t letters = digits;
    while (letters < text.size() && std::isdigit(static_cast<unsigned char>(text[letters])) == 0) {
      ++letters;
    }
    const auto unit = text.substr(digits, letters - digits);
    const auto* u = std::find_if(kUnits.begin(), kUnits.end(), [&](const auto& e) { return e.first == unit; });
    if (digits == 0 || u == kUnits.end()) {
      return bad();
    }
    total += std::strtod(std::string(text.substr(0, digits)).c_str(), nullptr) * u->second;
    text.remove_prefix(letters);
  }
  if (!(total >= 1) || total > 9.2e18) {
    return bad();
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

double parse_cpus(std::string_view text, int host_cpus) {
  const std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !(v > 0)) {
    fail("--cpus '" + s + "': expected a positive number of CPUs", "for example --cpus 0.5 or --cpus 2");
  }
  if (v > host_cpus) {
    fail("--cpus '" + s + "': more than the " + std::to_string(host_cpus) + " CPUs this host has",
         "use at most --cpus " + std::to_string(host_cpus));
  }
  return v;
}

std::string parse_cpu_list(std::string_view text, std::string_view flag, int available) {
  std::string whole(text);
  auto check = [&](std::string_view n) {
    const auto v = parse_u64(n);
    if (!v) {
      fail(std::string(flag) + " '" + whole + "': expected a list like 0-2,4", "numbers and ranges, comma separated");
    }
    if (*v >= static_cast<uint64_t>(available)) {
      fail(std::string(flag) + " '" + whole + "': " + std::to_string(*v) + " is not available on this host",
           "this host has 0-" + std::to_string(available - 1));
    }
    return *v;
  };
  if (text.empty()) {
    check("");
  }
  for (const auto& item : split(text, ',')) {
    const auto dash = item.find('-');
    if (dash == std::string::npos) {
      check(item);
    } else if (check(std::string_view(item).substr(0, dash)) > check(std::string_view(item).substr(dash + 1))) {
      fail(std::string(flag).append(" '").append(whole).append("': the range ").append(item).append(" runs backwards"),
           "write low-high, e.g. 0-1");
    }
  }
  return whole;
}

int64_t parse_int_in(std::string_view text, std::string_view flag, int64_t min, int64_t max) {
  int64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || ptr != end || v < min || v > max) {
    fail(std::string(flag) + " '" + std::string(text) + "': expected a whole number from " + std::to_string(min) +
             " to " + std::to_string(max),
         "");
  }
  return v;
}

IdMapping fallback_subid_range(std::string_view content) {
  uint64_t start = kFallbackUsernsStart;
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto& line : split(content, '\n')) {
      const auto fields = split(line, ':');
      const auto first = fields.size() == 3 ? parse_id(fields[1]) : std::nullopt;
      const auto count = fields.size() == 3 ? parse_id(fields[2]) : std::nullopt;
      if (first && count && *first < start + kUsernsSize && start < uint64_t{*first} + *count) {
        start = uint64_t{*first} + *count;
        moved = true;
      }
    }
  }
  return IdMapping{0,
                   static_cast<uint32_t>(std::min<uint64_t>(start, std::numeric_limits<uint32_t>::max() - kUsernsSize)),
                   kUsernsSize};
}

std::optional<IdMapping> find_subid_range(std::string_view content, std::string_view owner) {
  for (const auto& line : split(content, '\n')) {
    const auto fields = split(line, ':');
    if (fields.size() != 3 || fields[0] != owner) {
      continue;
    }
    const auto start = parse_id(fields[1]);
    const auto count = parse_id(fields[2]);
    if (start && count && *count > 0 && uint64_t(*start) + *count <= std::numeric_limits<uint32_t>::max()) {
      return IdMapping{0, *start, *count};
    }
  }
  return std::nullopt;
}

}  // namespace barco
