#include <barco/result.hpp>
#include <barco/seccomp_profile.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace barco {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 9> kActions{"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                                   "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                                                   "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
constexpr std::array<std::string_view, 7> kOps{"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                                               "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
constexpr std::array<std::string_view, 19> kArches{
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",       "SCMP_ARCH_ARM",     "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",    "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",       "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",  "SCMP_ARCH_RISCV64"};

template <size_t N>
bool one_of(const std::array<std::string_view, N>& set, const std::string& v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// Walks the document and names the JSON path of anything wrong in it.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw ConfigError("seccomp profile " + source_ + ": " + path + ": " + what,
                      "the format is docker's/OCI's (see profiles/default.json and profiles/README.md)");
  }

  const json& member(const json& obj, const std::string& path, const char* key) const {
    if (!obj.contains(key)) {
      fail(path, std::string("missing \"") + key + "\"");
    }
    return obj.at(key);
  }

  std::string string(const json& v, const std::string& path) const {
    if (!v.is_string()) {
      fail(path, "expected a string");
    }
    return v.get<std::string>();
  }

  uint64_t number(const json& v, const std::string& path) const {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
      fail(path, "expected a non-negative integer");
    }
    return v.get<uint64_t>();
  }

  std::vector<std::string> strings(const json& v, const std::string& path) const {
    if (!v.is_array()) {
      fail(path, "expected an array of strings");
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      out.push_back(string(v[i], path + "[" + std::to_string(i) + "]"));
    }
    return out;
  }

  std::string action(const json& v, const std::string& path) const {
    auto a = string(v, path);
    if (!one_of(kActions, a)) {
      fail(path, "unknown action \"" + a + "\"");
    }
    return a;
  }

  SeccompCondition condition(const json& v, const std::string& path) const {
    if (!v.is_object()) {
      fail(path, "expected an object");
    }
    SeccompCondition c;
    if (v.contains("caps")) {
      c.caps = strings(v["caps"], path + ".caps");
      for (size_t i = 0; i < c.caps.size(); ++i) {
        try {
          (void)parse_capability(c.caps[i]);
        } catch (const ConfigError&) {
          fail(path + ".caps[" + std::to_string(i) + "]", "unknown capability \"" + c.caps[i] + "\"");
        }
      }
    }
    if (v.contains("arches")) {
      c.arches = strings(v["arches"], path + ".arches");
    }
    if (v.contains("minKernel")) {
      c.min_kernel = string(v["minKernel"], path + ".minKernel");
      if (KernelVersion::parse(c.min_kernel).major == 0) {
        fail(path + ".minKernel", "expected a version like \"4.8\"");
      }
    }
    return c;
  }

  SeccompArg arg(const json& v, const std::string& path) const {
    if (!v.is_object()) {
      fail(path, "expected an object");
    }
    SeccompArg a;
    const auto index = number(member(v, path, "index"), path + ".index");
    if (index > 5) {
      fail(path + ".index", "a syscall has 6 arguments (0-5)");
    }
    a.index = static_cast<uint32_t>(index);
    a.value = number(member(v, path, "value"), path + ".value");
    if (v.contains("valueTwo")) {
      a.value_two = number(v["valueTwo"], path + ".valueTwo");
    }
    a.op = string(member(v, path, "op"), path + ".op");
    if (!one_of(kOps, a.op)) {
      fail(path + ".op", "unknown operator \"" + a.op + "\"");
    }
    return a;
  }

  std::optional<uint32_t> errno_ret(const json& obj, const std::string& path, const std::string& action) const {
    if (!obj.contains("errnoRet")) {
      return std::nullopt;
    }
    if (action != "SCMP_ACT_ERRNO" && action != "SCMP_ACT_TRACE") {
      fail(path + ".errnoRet", "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE carry an errno");
    }
    const auto e = number(obj["errnoRet"], path + ".errnoRet");
    if (e > 4095) {
      fail(path + ".errnoRet", "an errno is below 4096");
    }
    return static_cast<uint32_t>(e);
  }

  SeccompRule rule(const json& v, const std::string& path) const {
    if (!v.is_object()) {
      fail(path, "expected an object");
    }
    SeccompRule r;
    if (v.contains("names") && v.contains("name")) {
      fail(path, R"(use "names" or the legacy "name", not both)");
    }
    if (v.contains("name")) {
      r.names = {string(v["name"], path + ".name")};
    } else {
      r.names = strings(member(v, path, "names"), path + ".names");
    }
    if (r.names.empty()) {
      fail(path + ".names", "lists no syscall");
    }
    r.action = action(member(v, path, "action"), path + ".action");
    r.errno_ret = errno_ret(v, path, r.action);
    if (v.contains("args") && !v["args"].is_null()) {
      if (!v["args"].is_array()) {
        fail(path + ".args", "expected an array");
      }
      for (size_t i = 0; i < v["args"].size(); ++i) {
        r.args.push_back(arg(v["args"][i], path + ".args[" + std::to_string(i) + "]"));
      }
    }
    if (v.contains("includes")) {
      r.includes = condition(v["includes"], path + ".includes");
    }
    if (v.contains("excludes")) {
      r.excludes = condition(v["excludes"], path + ".excludes");
    }
    return r;
  }

  // runc's rules for SCMP_ACT_NOTIFY, each with the reason it holds for barco too.
  void check_notify(const SeccompProfile& p) const {
    if (p.default_action == "SCMP_ACT_NOTIFY") {
      fail("$.defaultAction",
           "SCMP_ACT_NOTIFY cannot be the default action: every call of barco's own setup after the filter is loaded "
           "(including the one that hands the listener to the agent) would wait for an agent that has no listener yet");
    }
    for (size_t i = 0; i < p.syscalls.size(); ++i) {
      const auto& r = p.syscalls[i];
      const bool write = std::find(r.names.begin(), r.names.end(), "write") != r.names.end();
      if (r.action == "SCMP_ACT_NOTIFY" && write) {
        fail("$.syscalls[" + std::to_string(i) + "]",
             "SCMP_ACT_NOTIFY cannot be used for the write syscall: barco's init answers `barco start` and reports "
             "its errors with write(2) after the filter is loaded, and that protocol stays out of an agent's hands");
      }
    }
    if (!uses_notify(p)) {
      return;
    }
    if (p.listener_path.empty()) {
      fail("$.listenerPath",
           "SCMP_ACT_NOTIFY needs listenerPath: the unix socket of the agent that answers the notified calls");
    }
    if (p.listener_path.front() != '/') {
      fail("$.listenerPath", "\"" + p.listener_path +
                                 "\" is not an absolute path: an abstract socket (@name) has no file permissions, so "
                                 "any process of the host's network namespace could bind it first and receive the "
                                 "container's listener");
    }
  }

  std::string arch(const json& v, const std::string& path) const {
    auto a = string(v, path);
    if (!one_of(kArches, a)) {
      fail(path, "unknown architecture \"" + a + "\"");
    }
    return a;
  }

 private:
  std::string source_;
};

// docker writes includes.arches with Go's names; accept those and libseccomp's.
std::vector<std::string> arch_aliases(const std::string& scmp_arch) {
  if (scmp_arch == "SCMP_ARCH_X86_64") return {"amd64", "x86_64", scmp_arch};
  if (scmp_arch == "SCMP_ARCH_AARCH64") return {"arm64", "aarch64", scmp_arch};
  if (scmp_arch == "SCMP_ARCH_X86") return {"x86", "386", "i386", scmp_arch};
  if (scmp_arch == "SCMP_ARCH_ARM") return {"arm", scmp_arch};
  if (scmp_arch == "SCMP_ARCH_X32") return {"x32", scmp_arch};
  return {scmp_arch};
}

bool arch_listed(const std::vector<std::string>& arches, const std::string& native) {
  const auto aliases = arch_aliases(native);
  return std::any_of(arches.begin(), arches.end(), [&](const std::string& a) {
    return std::find(aliases.begin(), aliases.end(), a) != aliases.end();
  });
}

bool cap_in(const std::string& name, CapMask bounding) {
  return (bounding & cap_bit(parse_capability(name))) != 0;
}

bool applies(const SeccompRule& r, const SeccompTarget& t) {
  const auto& ex = r.excludes;
  if (arch_listed(ex.arches, t.arch)) return false;
  if (std::any_of(ex.caps.begin(), ex.caps.end(), [&](const std::string& c) { return cap_in(c, t.bounding); })) {
    return false;
  }
  if (!ex.min_kernel.empty() && t.kernel.at_least(KernelVersion::parse(ex.min_kernel))) return false;
  const auto& in = r.includes;
  if (!in.arches.empty() && !arch_listed(in.arches, t.arch)) return false;
  if (!std::all_of(in.caps.begin(), in.caps.end(), [&](const std::string& c) { return cap_in(c, t.bounding); })) {
    return false;
  }
  return in.min_kernel.empty() || t.kernel.at_least(KernelVersion::parse(in.min_kernel));
}

}  // namespace

KernelVersion KernelVersion::parse(std::string_view release) {
  KernelVersion v;
  const char* p = release.data();
  const char* end = p + release.size();
  auto [a, ea] = std::from_chars(p, end, v.major);
  if (ea != std::errc{} || a == end || *a != '.') {
    return {};
  }
  auto [b, eb] = std::from_chars(a + 1, end, v.minor);
  if (eb != std::errc{}) {
    return {};
  }
  return v;
}

SeccompProfile parse_seccomp_profile(std::string_view json_text, const std::string& source) {
  const Reader rd(source);
  const auto doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) {
    rd.fail("$", "not valid JSON");
  }
  if (!doc.is_object()) {
    rd.fail("$", "expected an object");
  }
  SeccompProfile p;
  p.source = source;
  p.default_action = rd.action(rd.member(doc, "$", "defaultAction"), "$.defaultAction");
  p.default_errno =
      rd.errno_ret(doc.contains("defaultErrnoRet") ? json{{"errnoRet", doc["defaultErrnoRet"]}} : json::object(),
                   "$.defaultErrnoRet", p.default_action);
  if (doc.contains("architectures") && doc.contains("archMap")) {
    rd.fail("$", R"(use "architectures" or "archMap", not both)");
  }
  if (doc.contains("architectures")) {
    const auto arches = rd.strings(doc["architectures"], "$.architectures");
    for (size_t i = 0; i < arches.size(); ++i) {
      p.architectures.push_back(rd.arch(doc["architectures"][i], "$.architectures[" + std::to_string(i) + "]"));
    }
  }
  if (doc.contains("archMap")) {
    const auto& m = doc["archMap"];
    if (!m.is_array()) {
      rd.fail("$.archMap", "expected an array");
    }
    for (size_t i = 0; i < m.size(); ++i) {
      const std::string path = "$.archMap[" + std::to_string(i) + "]";
      if (!m[i].is_object()) {
        rd.fail(path, "expected an object");
      }
      SeccompArchMap e;
      e.architecture = rd.arch(rd.member(m[i], path, "architecture"), path + ".architecture");
      if (m[i].contains("subArchitectures")) {
        const auto subs = rd.strings(m[i]["subArchitectures"], path + ".subArchitectures");
        for (size_t j = 0; j < subs.size(); ++j) {
          e.sub_architectures.push_back(
              rd.arch(m[i]["subArchitectures"][j], path + ".subArchitectures[" + std::to_string(j) + "]"));
        }
      }
      p.arch_map.push_back(std::move(e));
    }
  }
  if (doc.contains("syscalls") && !doc["syscalls"].is_null()) {
    const auto& s = doc["syscalls"];
    if (!s.is_array()) {
      rd.fail("$.syscalls", "expected an array");
    }
    for (size_t i = 0; i < s.size(); ++i) {
      p.syscalls.push_back(rd.rule(s[i], "$.syscalls[" + std::to_string(i) + "]"));
    }
  }
  if (doc.contains("listenerPath")) {
    p.listener_path = rd.string(doc["listenerPath"], "$.listenerPath");
  }
  if (doc.contains("listenerMetadata")) {
    p.listener_metadata = rd.string(doc["listenerMetadata"], "$.listenerMetadata");
  }
  rd.check_notify(p);
  return p;
}

bool uses_notify(const SeccompProfile& profile) {
  return profile.default_action == "SCMP_ACT_NOTIFY" ||
         std::any_of(profile.syscalls.begin(), profile.syscalls.end(),
                     [](const SeccompRule& r) { return r.action == "SCMP_ACT_NOTIFY"; });
}

SeccompFilter resolve_seccomp_profile(const SeccompProfile& profile, const SeccompTarget& target) {
  SeccompFilter f;
  f.default_action = profile.default_action;
  f.default_errno = profile.default_errno.value_or(1);
  f.architectures = profile.architectures;
  for (const auto& m : profile.arch_map) {
    if (m.architecture == target.arch) {
      f.architectures.push_back(m.architecture);
      f.architectures.insert(f.architectures.end(), m.sub_architectures.begin(), m.sub_architectures.end());
    }
  }
  for (const auto& r : profile.syscalls) {
    if (applies(r, target)) {
      SeccompRule plain = r;
      plain.includes = {};
      plain.excludes = {};
      f.rules.push_back(std::move(plain));
    }
  }
  return f;
}

std::string native_seccomp_arch() {
#if defined(__x86_64__)
  return "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
  return "SCMP_ARCH_AARCH64";
#else
#error "barco supports x86-64 and aarch64"
#endif
}

std::string seccomp_filter_text(const SeccompFilter& f) {
  std::string out = "default " + f.default_action + " errno " + std::to_string(f.default_errno) + "\narch";
  for (const auto& a : f.architectures) {
    out += " " + a;
  }
  out += "\n";
  for (const auto& r : f.rules) {
    out += r.action;
    if (r.errno_ret) {
      out += "(" + std::to_string(*r.errno_ret) + ")";
    }
    for (const auto& a : r.args) {
      out += " [" + std::to_string(a.index) + " " + a.op + " " + std::to_string(a.value) + " " +
             std::to_string(a.value_two) + "]";
    }
    out += ":";
    for (const auto& n : r.names) {
      out += " " + n;
    }
    out += "\n";
  }
  return out;
}

}  // namespace barco
