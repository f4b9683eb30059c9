#include <barco/defaults.hpp>
#include <barco/oci.hpp>
#include <barco/parse.hpp>
#include <barco/resources.hpp>
#include <barco/result.hpp>

#include <sys/mount.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

namespace barco {
namespace {

using nlohmann::json;

// Walks a config.json with the path of the current node, for messages like
// "config.json: $.linux.resources.memory.limit: expected an integer".
class Reader {
 public:
  Reader(const json& node, std::string path, std::vector<std::string>& warnings)
      : node_(node), path_(std::move(path)), warnings_(warnings) {}

  [[noreturn]] void fail(const std::string& what, const std::string& hint = {}) const {
    throw ConfigError("config.json: " + path_ + ": " + what, hint.empty() ? "see the OCI runtime-spec" : hint);
  }
  void warn(const std::string& key, const std::string& why) const {
    warnings_.push_back("config.json: " + path_ + "." + key + " is not applied: " + why);
  }
  [[nodiscard]] bool has(const char* key) const {
    const json* value = find(key);
    return value != nullptr && !value->is_null();
  }
  [[nodiscard]] Reader at(const char* key) const {
    if (!node_.is_object()) {
      fail("expected an object");
    }
    const json* value = find(key);
    if (value == nullptr) {
      fail(std::string("'") + key + "' is required");
    }
    return {*value, path_ + "." + key, warnings_};
  }
  [[nodiscard]] Reader at(size_t i) const { return {node_.at(i), path_ + "[" + std::to_string(i) + "]", warnings_}; }
  [[nodiscard]] const json& node() const { return node_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  [[nodiscard]] Reader object(const char* key) const {
    auto r = at(key);
    if (!r.node_.is_object()) {
      r.fail("expected an object");
    }
    return r;
  }
  [[nodiscard]] std::vector<Reader> array(const char* key) const {
    auto r = at(key);
    if (!r.node_.is_array()) {
      r.fail("expected an array");
    }
    std::vector<Reader> out;
    for (size_t i = 0; i < r.node_.size(); ++i) {
      out.push_back(r.at(i));
    }
    return out;
  }
  [[nodiscard]] std::string str(const char* key) const {
    auto r = at(key);
    if (!r.node_.is_string()) {
      r.fail("expected a string");
    }
    return r.node_.get<std::string>();
  }
  [[nodiscard]] std::string str_or(const char* key, std::string fallback) const {
    return has(key) ? str(key) : std::move(fallback);
  }
  [[nodiscard]] bool boolean(const char* key, bool fallback = false) const {
    if (!has(key)) {
      return fallback;
    }
    auto r = at(key);
    if (!r.node_.is_boolean()) {
      r.fail("expected true or false");
    }
    return r.node_.get<bool>();
  }
  [[nodiscard]] int64_t integer(const char* key) const {
    auto r = at(key);
    if (!r.node_.is_number_integer()) {
      r.fail("expected an integer");
    }
    return r.node_.get<int64_t>();
  }
  [[nodiscard]] uint64_t unsigned_integer(const char* key) const {
    auto r = at(key);
    if (!r.node_.is_number_unsigned() && !(r.node_.is_number_integer() && r.node_.get<int64_t>() >= 0)) {
      r.fail("expected a non-negative integer");
    }
    return r.node_.get<uint64_t>();
  }
  [[nodiscard]] uint32_t u32(const char* key) const {
    const auto v = unsigned_integer(key);
    if (v > UINT32_MAX) {
      at(key).fail("larger than 4294967295");
    }
    return static_cast<uint32_t>(v);
  }
  [[nodiscard]] std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    for (const auto& item : array(key)) {
      if (!item.node_.is_string()) {
        item.fail("expected a string");
      }
      out.push_back(item.node_.get<std::string>());
    }
    return out;
  }
  // Keys outside `known` are reported, not ignored silently.
  void check_keys(std::initializer_list<const char*> known) const {
    for (const auto& item : node_.items()) {
      const std::string& key = item.key();
      if (std::find_if(known.begin(), known.end(), [&key](const char* k) { return same_key(key, k); }) == known.end()) {
        warn(key, "barco does not know this field");
      }
    }
  }

 private:
  // runc reads config.json with Go's encoding/json, which takes a key in any letter case
  // when no exact match exists ("CPU" for "cpu"): a config runc runs, barco runs.
  [[nodiscard]] static bool same_key(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  }
  [[nodiscard]] const json* find(const char* key) const {
    if (!node_.is_object()) {
      return nullptr;
    }
    if (const auto exact = node_.find(key); exact != node_.end()) {
      return &*exact;
    }
    for (const auto& item : node_.items()) {
      if (same_key(item.key(), key)) {
        return &item.value();
      }
    }
    return nullptr;
  }

  const json& node_;
  std::string path_;
  std::vector<std::string>& warnings_;
};

struct NamespaceName {
  const char* oci;
  Namespace type;
};
constexpr std::array<NamespaceName, 7> kNamespaces{{
    {"pid", Namespace::pid},
    {"network", Namespace::net},
    {"mount", Namespace::mount},
    {"ipc", Namespace::ipc},
    {"uts", Namespace::uts},
    {"user", Namespace::user},
    {"cgroup", Namespace::cgroup},
}};

const char* oci_namespace_name(Namespace type) {
  for (const auto& n : kNamespaces) {
    if (n.type == type) {
      return n.oci;
    }
  }
  return "?";
}

struct OptionFlag {
  const char* name;
  unsigned long set;
  unsigned long clear;
};
constexpr std::array<OptionFlag, 24> kOptionFlags{{
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"nosuid", MS_NOSUID, 0},
    {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},
    {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},
    {"exec", 0, MS_NOEXEC},
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC, 0},
    {"noatime", MS_NOATIME, 0},
    {"atime", 0, MS_NOATIME},
    {"nodiratime", MS_NODIRATIME, 0},
    {"diratime", 0, MS_NODIRATIME},
    {"relatime", MS_RELATIME, 0},
    {"norelatime", 0, MS_RELATIME},
    {"strictatime", MS_STRICTATIME, 0},
    {"nostrictatime", 0, MS_STRICTATIME},
    {"mand", MS_MANDLOCK, 0},
    {"nomand", 0, MS_MANDLOCK},
    {"silent", MS_SILENT, 0},
    {"nosymfollow", MS_NOSYMFOLLOW, 0},
    {"symfollow", 0, MS_NOSYMFOLLOW},
}};

// runc's recursive options: mount_setattr(AT_RECURSIVE) on the mount and every submount.
struct RecursiveOption {
  const char* name;
  uint64_t set;
  uint64_t clear;
};
constexpr std::array<RecursiveOption, 15> kRecursiveOptions{{
    {"rro", MOUNT_ATTR_RDONLY, 0},
    {"rrw", 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOUNT_ATTR_NOSUID, 0},
    {"rsuid", 0, MOUNT_ATTR_NOSUID},
    {"rnodev", MOUNT_ATTR_NODEV, 0},
    {"rdev", 0, MOUNT_ATTR_NODEV},
    {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
    {"rexec", 0, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
    {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
    {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
}};

constexpr std::array<const char*, 9> kPropagation{
    {"private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable", "tmpcopyup"}};

unsigned long root_propagation(const Reader& l) {
  static const std::map<std::string, unsigned long> kFlags{{"private", 0},
                                                           {"rprivate", 0},
                                                           {"slave", MS_SLAVE},
                                                           {"rslave", MS_SLAVE | MS_REC},
                                                           {"shared", MS_SHARED},
                                                           {"rshared", MS_SHARED | MS_REC},
                                                           {"unbindable", MS_UNBINDABLE},
                                                           {"runbindable", MS_UNBINDABLE | MS_REC}};
  const auto word = l.str_or("rootfsPropagation", "");
  if (word.empty()) {
    return 0;
  }
  const auto flags = kFlags.find(word);
  if (flags == kFlags.end()) {
    l.at("rootfsPropagation")
        .fail("'" + word + "' is not a propagation", "shared, slave, private or unbindable (r- forms too)");
  }
  return flags->second;
}

CapMask caps_from(const Reader& r, const char* key) {
  if (!r.has(key)) {
    return 0;
  }
  CapMask mask = 0;
  const auto names = r.strings(key);
  for (size_t i = 0; i < names.size(); ++i) {
    try {
      mask |= cap_bit(parse_capability(names[i]));
    } catch (const ConfigError&) {
      r.at(key).at(i).fail("unknown capability '" + names[i] + "'", "names as in capabilities(7), e.g. CAP_CHOWN");
    }
  }
  return mask;
}

std::vector<IdMapping> id_mappings(const Reader& r, const char* key) {
  std::vector<IdMapping> out;
  if (!r.has(key)) {
    return out;
  }
  for (const auto& m : r.array(key)) {
    out.push_back({m.u32("containerID"), m.u32("hostID"), m.u32("size")});
    if (out.back().size == 0) {
      m.fail("size 0 maps nothing");
    }
  }
  return out;
}

Hook parse_hook(const Reader& r) {
  Hook h;
  h.path = r.str("path");
  if (h.path.empty() || h.path.front() != '/') {
    r.at("path").fail("must be an absolute path");
  }
  if (r.has("args")) {
    h.args = r.strings("args");
  }
  if (r.has("env")) {
    h.env = r.strings("env");
  }
  if (r.has("timeout")) {
    const auto t = r.integer("timeout");
    if (t <= 0) {
      r.at("timeout").fail("must be positive");
    }
    h.timeout = static_cast<int>(std::min<int64_t>(t, 86400));
  }
  return h;
}

Hooks parse_hooks(const Reader& r) {
  Hooks hooks;
  r.check_keys({"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"});
  auto list = [&](const char* key, std::vector<Hook>& out) {
    if (r.has(key)) {
      for (const auto& h : r.array(key)) {
        out.push_back(parse_hook(h));
      }
    }
  };
  list("prestart", hooks.prestart);
  list("createRuntime", hooks.create_runtime);
  list("createContainer", hooks.create_container);
  list("startContainer", hooks.start_container);
  list("poststart", hooks.poststart);
  list("poststop", hooks.poststop);
  return hooks;
}

// The limits of linux.resources (not its device rules): what create sets and `update -r`
// changes. 0 is "not set", as in runc; -1 is "unlimited".
// A file of the container's own cgroup v2 directory, by name: never a path, and never one of
// the files through which processes move or die.
std::map<std::string, std::string> read_unified(const Reader& u) {
  std::map<std::string, std::string> out;
  for (const auto& [file, value] : u.node().items()) {
    const auto at = u.at(file.c_str());
    const bool name =
        !file.empty() && file.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.") == std::string::npos;
    const auto dot = file.find('.');
    if (!name || dot == 0 || dot == std::string::npos || dot + 1 == file.size()) {
      at.fail("not a cgroup v2 file name (controller.file, such as memory.high)");
    }
    for (const char* own : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.kill"}) {
      if (file == own) {
        at.fail("barco writes " + file + " itself: it moves, kills or delegates processes, which is no resource");
      }
    }
    if (!value.is_string()) {
      at.fail("expected a string");
    }
    out[file] = value.get<std::string>();
  }
  return out;
}

ResourceUpdate read_limits(const Reader& r) {
  r.check_keys({"memory", "cpu", "pids", "blockIO", "devices", "hugepageLimits", "network", "rdma", "unified"});
  ResourceUpdate u;
  auto& res = u.set;
  auto nonzero = [](const Reader& node, const char* key, std::optional<int64_t>& field) {
    if (node.has(key) && node.integer(key) != 0) {
      field = node.integer(key);
    }
  };
  if (r.has("memory")) {
    const auto m = r.object("memory");
    m.check_keys({"limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness", "disableOOMKiller",
                  "useHierarchy", "checkBeforeUpdate"});
    nonzero(m, "limit", res.memory);
    nonzero(m, "reservation", res.memory_reservation);
    nonzero(m, "swap", res.memory_swap);
    for (const char* key : {"kernel", "kernelTCP"}) {
      if (m.has(key)) {
        m.warn(key, "kernel memory accounting: deprecated, and gone from Linux 6.x's cgroup v1");
      }
    }
    if (m.has("swappiness")) {
      const auto swappiness = m.unsigned_integer("swappiness");
      if (swappiness > 100) {
        m.at("swappiness").fail("expected 0 to 100");
      }
      res.memory_swappiness = static_cast<int64_t>(swappiness);
    }
    res.disable_oom_killer = m.boolean("disableOOMKiller");
  }
  if (r.has("cpu")) {
    const auto cpu = r.object("cpu");
    cpu.check_keys({"shares", "quota", "period", "cpus", "mems", "realtimeRuntime", "realtimePeriod", "burst", "idle"});
    if (cpu.has("shares") && cpu.unsigned_integer("shares") > 0) {
      res.cpu_shares = static_cast<int64_t>(cpu.unsigned_integer("shares"));
    }
    nonzero(cpu, "quota", u.cpu_quota);
    if (cpu.has("period") && cpu.unsigned_integer("period") > 0) {
      u.cpu_period = static_cast<int64_t>(cpu.unsigned_integer("period"));
    }
    nonzero(cpu, "realtimePeriod", res.cpu_rt_period);
    nonzero(cpu, "realtimeRuntime", res.cpu_rt_runtime);
    res.cpuset_cpus = cpu.str_or("cpus", "");
    res.cpuset_mems = cpu.str_or("mems", "");
    for (const char* key : {"burst", "idle"}) {
      if (cpu.has(key)) {
        cpu.warn(key, "not supported by barco");
      }
    }
  }
  if (r.has("pids")) {
    const auto pids = r.object("pids");
    if (pids.has("limit")) {
      const auto limit = pids.integer("limit");
      res.pids_limit = limit <= 0 ? -1 : limit;
    }
  }
  if (r.has("blockIO")) {
    const auto io = r.object("blockIO");
    if (io.has("weight") && io.unsigned_integer("weight") > 0) {
      res.blkio_weight = static_cast<int64_t>(io.unsigned_integer("weight"));
    }
    for (const auto& [key, value] : io.node().items()) {
      if (key != "weight") {
        io.warn(key, "only blockIO.weight is supported");
      }
    }
  }
  if (r.has("unified")) {
    res.unified = read_unified(r.object("unified"));
  }
  for (const char* key : {"hugepageLimits", "network", "rdma"}) {
    if (r.has(key)) {
      r.warn(key, "not supported by barco");
    }
  }
  return u;
}

void parse_resources(const Reader& r, ContainerConfig& c) {
  c.resources = apply_update(Resources{}, read_limits(r));
  if (r.has("devices")) {
    c.device_rules.clear();
    for (const auto& d : r.array("devices")) {
      DeviceRule rule;
      rule.allow = d.boolean("allow");
      const auto type = d.str_or("type", "a");
      if (type.size() != 1 || std::string("acb").find(type[0]) == std::string::npos) {
        d.at("type").fail("expected a, c or b");
      }
      rule.type = type[0];
      rule.major = d.has("major") ? d.integer("major") : -1;
      rule.minor = d.has("minor") ? d.integer("minor") : -1;
      rule.access = d.str_or("access", "rwm");
      // runc ignores letters other than r, w, m (configs in the wild carry "rwa"); barco too,
      // with a warning. A rule left with no access at all is an error.
      if (const auto odd = rule.access.find_first_not_of("rwm"); odd != std::string::npos) {
        d.warn("access", "'" + rule.access + "': only r, w and m are access letters; the others are ignored");
        std::erase_if(rule.access, [](char ch) { return ch != 'r' && ch != 'w' && ch != 'm'; });
      }
      if (rule.access.empty()) {
        d.at("access").fail("expected letters from r, w, m");
      }
      c.device_rules.push_back(rule);
    }
    // As runc does: the devices every container gets (null, zero, ..., the pty slaves) stay
    // usable whatever the list says before them.
    for (const auto& rule : default_device_rules()) {
      if (rule.allow) {
        c.device_rules.push_back(rule);
      }
    }
  }
}

Device parse_device(const Reader& d) {
  Device dev;
  dev.path = d.str("path");
  if (dev.path.rfind("/dev/", 0) != 0) {
    d.at("path").fail("devices must live under /dev");
  }
  const auto type = d.str("type");
  if (type != "c" && type != "b" && type != "u" && type != "p") {
    d.at("type").fail("expected c, b, u or p");
  }
  dev.type = type == "b" || type == "p" ? type[0] : 'c';
  dev.major = d.has("major") ? static_cast<uint32_t>(d.unsigned_integer("major")) : 0;
  dev.minor = d.has("minor") ? static_cast<uint32_t>(d.unsigned_integer("minor")) : 0;
  dev.mode = d.has("fileMode") ? d.u32("fileMode") & 07777 : 0666;
  if (d.has("uid") || d.has("gid")) {
    if ((d.has("uid") && d.u32("uid") != 0) || (d.has("gid") && d.u32("gid") != 0)) {
      d.warn("uid", "device nodes are owned by the container's root");
    }
  }
  return dev;
}

Mount parse_mount(const Reader& m, std::vector<std::string>& warnings, CgroupFs& cgroupfs, const std::string& bundle) {
  Mount mount;
  mount.destination = m.str("destination");
  if (mount.destination.empty() || mount.destination.front() != '/') {
    m.at("destination").fail("must be an absolute path inside the container");
  }
  mount.type = m.str_or("type", "");
  mount.source = m.str_or("source", "");
  const auto options = m.has("options") ? m.strings("options") : std::vector<std::string>{};
  const bool bind = mount.type == "bind" || std::find(options.begin(), options.end(), "bind") != options.end() ||
                    std::find(options.begin(), options.end(), "rbind") != options.end();
  if (mount.type == "cgroup" || mount.type == "cgroup2") {
    const bool ro = std::find(options.begin(), options.end(), "ro") != options.end();
    cgroupfs = ro ? CgroupFs::read_only : CgroupFs::read_write;
    return {};  // barco mounts each hierarchy itself (hybrid hosts have several)
  }
  auto parsed = parse_mount_options(options, bind);
  for (const auto& word : parsed.ignored) {
    warnings.push_back("config.json: " + m.path() + ".options: '" + word +
                       "' is not applied per mount (the container's root is rprivate)");
  }
  if (bind) {
    mount.type = "bind";
    if (!mount.source.empty() && mount.source.front() != '/') {
      mount.source = bundle + "/" + mount.source;
    }
  } else if (mount.type.empty()) {
    m.fail("a mount without a type must be a bind (options bind or rbind)");
  }
  // key=value words are filesystem data, which the kernel ignores on a bind (runc passes
  // them through to no effect): a warning. An unknown flag word would change what the mount
  // does, so it is refused.
  const auto data_words = std::stable_partition(parsed.unknown.begin(), parsed.unknown.end(),
                                                [](const std::string& w) { return w.find('=') == std::string::npos; });
  for (auto it = data_words; it != parsed.unknown.end(); ++it) {
    m.warn("options", "'" + *it + "' ignored: a bind mount takes no filesystem data");
  }
  parsed.unknown.erase(data_words, parsed.unknown.end());
  if (!parsed.unknown.empty()) {
    const auto& word = parsed.unknown.front();
    m.at("options").fail(
        "'" + word + "' is not a bind mount option barco knows" +
            (word == "idmap" || word == "ridmap" ? " (id-mapped mounts are not supported)" : ""),
        "a bind takes ro/rw, nosuid, nodev, noexec, nosymfollow, atime options, propagation, and their recursive forms "
        "(rro, rnosuid, ...); an option barco cannot apply is refused, never dropped");
  }
  mount.flags = parsed.flags;
  mount.data = parsed.data;
  mount.recursive_attr_set = parsed.recursive_attr_set;
  mount.recursive_attr_clear = parsed.recursive_attr_clear;
  return mount;
}

// runc's rule: a sysctl may be set only when the kernel keeps it per namespace and the
// container has that namespace to itself; anything else (kernel.core_pattern, vm.*, net.*
// in the host's network namespace) would change the host.
std::optional<std::string> sysctl_refusal(const std::string& key, const ContainerConfig& c) {
  static constexpr std::array<std::string_view, 8> kIpc = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                                           "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                                           "kernel.shmmni", "kernel.shm_rmid_forced"};
  auto needs = [&](Namespace ns, const char* name) -> std::optional<std::string> {
    if (c.has_private(ns)) {
      return std::nullopt;
    }
    return std::string("it belongs to the ") + name + " namespace, which this container shares with the host";
  };
  if (std::find(kIpc.begin(), kIpc.end(), key) != kIpc.end() || key.rfind("fs.mqueue.", 0) == 0) {
    return needs(Namespace::ipc, "ipc");
  }
  if (key.rfind("net.", 0) == 0) {
    return needs(Namespace::net, "network");
  }
  if (key == "kernel.domainname") {
    return needs(Namespace::uts, "uts");
  }
  if (key == "kernel.hostname") {
    return std::string("the hostname field sets it");
  }
  return std::string("the kernel does not keep it per namespace: writing it would change the host");
}

std::vector<std::pair<std::string, std::string>> parse_sysctl(const Reader& r, const ContainerConfig& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : r.node().items()) {
    if (!value.is_string()) {
      r.at(key.c_str()).fail("expected a string value");
    }
    if (key.empty() || key.find("..") != std::string::npos || key.find('/') != std::string::npos) {
      r.fail("'" + key + "' is not a sysctl name", "e.g. net.ipv4.ip_forward");
    }
    if (const auto why = sysctl_refusal(key, c)) {
      r.fail("'" + key + "' is refused: " + *why,
             "allowed: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* with a private ipc namespace, net.* with a "
             "private network namespace, kernel.domainname with a private uts namespace");
    }
    out.emplace_back(key, value.get<std::string>());
  }
  return out;
}

// Why a path is refused for these two: a decision, not a gap (runc joins both).
const char* join_refusal(Namespace type) {
  if (type == Namespace::mount) {
    return "pivot_root and the masks would change it for every process already in it, and its mounts are not the "
           "bundle's";
  }
  return "its id mappings were made by someone else, and barco checks the ones it writes itself";
}

void parse_linux(const Reader& l, ContainerConfig& c) {
  l.check_keys({"namespaces", "uidMappings", "gidMappings", "resources", "cgroupsPath", "seccomp", "maskedPaths",
                "readonlyPaths", "devices", "sysctl", "rootfsPropagation", "mountLabel", "intelRdt", "personality",
                "timeOffsets", "memoryPolicy"});
  for (auto& ns : c.namespaces) {
    ns.private_ns = false;
  }
  if (l.has("namespaces")) {
    for (const auto& n : l.array("namespaces")) {
      const auto type = n.str("type");
      const auto* known =
          std::find_if(kNamespaces.begin(), kNamespaces.end(), [&](const NamespaceName& k) { return type == k.oci; });
      if (known == kNamespaces.end()) {
        n.at("type").fail("'" + type + "': barco supports pid, network, mount, ipc, uts, user and cgroup",
                          "remove it: a namespace that cannot be created must not be assumed");
      }
      auto& setting = *std::find_if(c.namespaces.begin(), c.namespaces.end(),
                                    [&](const NamespaceSetting& s) { return s.type == known->type; });
      setting.private_ns = true;
      setting.path = n.str_or("path", "");
      if (!setting.path.empty() && (known->type == Namespace::mount || known->type == Namespace::user)) {
        n.at("path").fail(
            std::string("joining an existing ") + type + " namespace is refused: " + join_refusal(known->type),
            "let barco create it (drop the path)");
      }
    }
  }
  if (!c.has_private(Namespace::mount)) {
    l.fail(
        "a mount namespace is required: without one the container would run on the caller's filesystem, with "
        "no pivot_root, masked or read-only paths (runc runs it so); barco refuses to",
        R"(add {"type": "mount"} to linux.namespaces)");
  }
  c.uid_mappings = id_mappings(l, "uidMappings");
  c.gid_mappings = id_mappings(l, "gidMappings");
  if (c.has_private(Namespace::user) && (c.uid_mappings.empty() || c.gid_mappings.empty())) {
    l.fail("a user namespace needs uidMappings and gidMappings");
  }
  if (l.has("resources")) {
    parse_resources(l.object("resources"), c);
  }
  c.cgroups_path = l.str_or("cgroupsPath", "");
  if (c.cgroups_path.find("..") != std::string::npos) {
    l.at("cgroupsPath").fail("must not contain ..");
  }
  if (l.has("seccomp")) {
    c.seccomp = parse_seccomp_profile(l.at("seccomp").node().dump(), "config.json linux.seccomp");
    c.seccomp_explicit = true;
  }
  c.masked_paths = l.has("maskedPaths") ? l.strings("maskedPaths") : std::vector<std::string>{};
  c.readonly_paths = l.has("readonlyPaths") ? l.strings("readonlyPaths") : std::vector<std::string>{};
  if (l.has("devices")) {
    for (const auto& d : l.array("devices")) {
      auto dev = parse_device(d);
      // The spec's default devices are the runtime's; a config may list them again.
      auto same = std::find_if(c.devices.begin(), c.devices.end(), [&](const Device& x) { return x.path == dev.path; });
      if (same != c.devices.end()) {
        *same = dev;
      } else {
        c.devices.push_back(dev);
      }
      // A listed node must be creatable even where the allow-list denies opening it: mknod
      // alone ('m') is allowed for it, and r/w stay as the config's rules say (runc makes
      // the nodes before its device rules apply, to the same effect).
      if (!c.device_rules.empty() && dev.type != 'p') {
        c.device_rules.push_back(
            {true, dev.type, static_cast<int64_t>(dev.major), static_cast<int64_t>(dev.minor), "m"});
      }
    }
  }
  if (l.has("sysctl")) {
    c.sysctl = parse_sysctl(l.object("sysctl"), c);
  }
  c.root_propagation = root_propagation(l);
  if (!l.str_or("mountLabel", "").empty()) {
    l.warn("mountLabel", "barco has no SELinux support");
  }
  for (const char* key : {"intelRdt", "personality", "timeOffsets", "memoryPolicy"}) {
    if (l.has(key)) {
      l.warn(key, "not supported by barco");
    }
  }
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options, bool bind) {
  MountOptions out;
  std::vector<std::string> data;
  for (const auto& word : options) {
    const auto* flag =
        std::find_if(kOptionFlags.begin(), kOptionFlags.end(), [&](const OptionFlag& f) { return word == f.name; });
    if (flag != kOptionFlags.end()) {
      out.flags = (out.flags | flag->set) & ~flag->clear;
    } else if (word == "bind") {
      out.flags |= MS_BIND;
    } else if (word == "rbind") {
      out.flags |= MS_BIND | MS_REC;
    } else if (std::find(kPropagation.begin(), kPropagation.end(), word) != kPropagation.end()) {
      if (word != "private" && word != "rprivate") {
        out.ignored.push_back(word);
      }
    } else if (const auto* r = std::find_if(kRecursiveOptions.begin(), kRecursiveOptions.end(),
                                            [&](const RecursiveOption& o) { return word == o.name; });
               r != kRecursiveOptions.end()) {
      out.recursive_attr_set = (out.recursive_attr_set & ~r->clear) | r->set;
      out.recursive_attr_clear = (out.recursive_attr_clear & ~r->set) | r->clear;
    } else if (bind) {
      out.unknown.push_back(word);  // a bind takes no filesystem data: it would be ignored
    } else {
      data.push_back(word);
    }
  }
  if (bind) {
    out.flags |= MS_BIND;
  }
  for (const auto& d : data) {
    out.data += (out.data.empty() ? "" : ",") + d;
  }
  return out;
}

std::vector<std::string> mount_options_of(const Mount& m) {
  std::vector<std::string> out;
  if ((m.flags & MS_BIND) != 0) {
    out.emplace_back((m.flags & MS_REC) != 0 ? "rbind" : "bind");
  }
  if ((m.flags & MS_RDONLY) != 0) {
    out.emplace_back("ro");
  }
  for (const auto& r : kRecursiveOptions) {
    const bool atime = ((r.set | r.clear) & MOUNT_ATTR__ATIME) != 0;  // the atime modes share one field
    if (!atime && ((r.set != 0 && (m.recursive_attr_set & r.set) == r.set) ||
                   (r.clear != 0 && (m.recursive_attr_clear & r.clear) == r.clear))) {
      out.emplace_back(r.name);
    }
  }
  for (const auto& f : kOptionFlags) {
    if (f.set != 0 && f.set != MS_RDONLY && (m.flags & f.set) == f.set) {
      out.emplace_back(f.name);
    }
  }
  for (const auto& d : split(m.data, ',')) {
    if (!d.empty()) {
      out.push_back(d);
    }
  }
  return out;
}

Process parse_oci_process(const json& node, const std::string& where, std::vector<std::string>& warnings) {
  const Reader p(node, where, warnings);
  if (!node.is_object()) {
    p.fail("expected an object");
  }
  p.check_keys({"terminal", "consoleSize", "user", "args", "commandLine", "env", "cwd", "capabilities", "rlimits",
                "noNewPrivileges", "apparmorProfile", "oomScoreAdj", "selinuxLabel", "scheduler", "ioPriority",
                "execCPUAffinity"});
  Process proc;
  proc.terminal = p.boolean("terminal");
  if (p.has("consoleSize")) {
    const auto size = p.object("consoleSize");
    size.check_keys({"height", "width"});
    proc.console_size = {size.u32("height"), size.u32("width")};
    if (proc.console_size.height > 0xffff || proc.console_size.width > 0xffff) {
      size.fail("a terminal has at most 65535 rows and columns");
    }
  }
  proc.stdin_open = true;  // the OCI caller decides what stdin is
  proc.args = p.strings("args");
  if (proc.args.empty()) {
    p.at("args").fail("the command must not be empty");
  }
  proc.env = p.has("env") ? p.strings("env") : std::vector<std::string>{};
  proc.cwd = p.str_or("cwd", "/");
  if (proc.cwd.empty() || proc.cwd.front() != '/') {
    p.at("cwd").fail("must be an absolute path");
  }
  if (p.has("user")) {
    const auto u = p.object("user");
    u.check_keys({"uid", "gid", "umask", "additionalGids", "username"});
    proc.user.uid = u.has("uid") ? u.u32("uid") : 0;
    proc.user.gid = u.has("gid") ? u.u32("gid") : 0;
    if (u.has("additionalGids")) {
      for (const auto& g : u.array("additionalGids")) {
        if (!g.node().is_number_unsigned()) {
          g.fail("expected a gid");
        }
        proc.user.additional_gids.push_back(g.node().get<uint32_t>());
      }
    }
    if (u.has("umask")) {
      const auto mask = u.unsigned_integer("umask");
      if (mask > 0777) {
        u.at("umask").fail("a umask is at most 0777 (511)");
      }
      proc.umask = static_cast<unsigned>(mask);
    }
  }
  if (p.has("capabilities")) {
    const auto caps = p.object("capabilities");
    caps.check_keys({"bounding", "effective", "permitted", "inheritable", "ambient"});
    proc.capabilities = {caps_from(caps, "bounding"), caps_from(caps, "effective"), caps_from(caps, "permitted"),
                         caps_from(caps, "inheritable"), caps_from(caps, "ambient")};
  }
  if (p.has("rlimits")) {
    for (const auto& r : p.array("rlimits")) {
      const auto type = r.str("type");
      const auto resource = rlimit_resource(type);
      if (!resource) {
        r.at("type").fail("'" + type + "' is not an rlimit", "e.g. RLIMIT_NOFILE");
      }
      const auto soft = r.unsigned_integer("soft");
      const auto hard = r.unsigned_integer("hard");
      if (soft > hard) {
        r.fail("soft is above hard");
      }
      proc.rlimits.push_back({*resource, soft, hard});
    }
  }
  proc.no_new_privileges = p.boolean("noNewPrivileges");
  if (p.has("oomScoreAdj")) {
    const auto adj = p.integer("oomScoreAdj");
    if (adj < -1000 || adj > 1000) {
      p.at("oomScoreAdj").fail("must be between -1000 and 1000");
    }
    proc.oom_score_adj = static_cast<int>(adj);
  }
  if (!p.str_or("apparmorProfile", "").empty()) {
    p.warn("apparmorProfile", "barco has no AppArmor support; seccomp, capabilities and namespaces still apply");
  }
  if (!p.str_or("selinuxLabel", "").empty()) {
    p.warn("selinuxLabel", "barco has no SELinux support");
  }
  for (const char* key : {"scheduler", "ioPriority", "execCPUAffinity"}) {
    if (p.has(key)) {
      p.warn(key, "not supported by barco");
    }
  }
  return proc;
}

ResourceUpdate parse_oci_resources(std::string_view json_text, std::vector<std::string>& warnings) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception& e) {
    // Not only parse_error: a number too large for a double ("1e999") is out_of_range.
    throw ConfigError(std::string("resources: not JSON: ") + e.what(), "give a linux.resources object of config.json");
  }
  const Reader r(doc, "$", warnings);
  if (!doc.is_object()) {
    r.fail("expected an object", "give a linux.resources object of config.json");
  }
  if (r.has("devices")) {
    r.warn("devices", "device rules are set at create and not updated, as in runc");
  }
  return read_limits(r);
}

json oci_resources_json(const Resources& r) {
  json res = json::object();
  if (r.memory) res["memory"]["limit"] = *r.memory;
  if (r.memory_reservation) res["memory"]["reservation"] = *r.memory_reservation;
  if (r.disable_oom_killer) res["memory"]["disableOOMKiller"] = true;
  if (r.memory_swappiness) res["memory"]["swappiness"] = *r.memory_swappiness;
  if (r.memory_swap) res["memory"]["swap"] = *r.memory_swap;
  if (r.cpu_shares) res["cpu"]["shares"] = *r.cpu_shares;
  if (r.cpu_quota) {
    res["cpu"]["quota"] = r.cpu_quota->quota;
    res["cpu"]["period"] = r.cpu_quota->period;
  }
  if (r.cpu_rt_period) res["cpu"]["realtimePeriod"] = *r.cpu_rt_period;
  if (r.cpu_rt_runtime) res["cpu"]["realtimeRuntime"] = *r.cpu_rt_runtime;
  if (!r.cpuset_cpus.empty()) res["cpu"]["cpus"] = r.cpuset_cpus;
  if (!r.cpuset_mems.empty()) res["cpu"]["mems"] = r.cpuset_mems;
  if (r.pids_limit) res["pids"]["limit"] = *r.pids_limit;
  if (r.blkio_weight) res["blockIO"]["weight"] = *r.blkio_weight;
  if (!r.unified.empty()) res["unified"] = r.unified;
  return res;
}

OciConfig parse_oci_config(std::string_view json_text, const OciContext& context) {
  const auto doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) {
    throw ConfigError("config.json in " + context.bundle + " is not valid JSON",
                      "barco spec writes a valid one to start from");
  }
  OciConfig out;
  const Reader r(doc, "$", out.warnings);
  if (!doc.is_object()) {
    r.fail("expected an object");
  }
  r.check_keys({"ociVersion", "process", "root", "hostname", "domainname", "mounts", "hooks", "annotations", "linux"});
  const auto version = r.str("ociVersion");
  if (version.rfind("1.", 0) != 0) {
    r.at("ociVersion")
        .fail("'" + version + "' is not supported",
              std::string("barco implements runtime-spec 1.0 to ") + kOciVersion + "; ociVersion must start with 1.");
  }
  auto& c = out.config;
  c.id = context.id;
  c.namespaces = default_namespaces();
  if (!r.has("process")) {
    r.fail("no process: there is nothing to run", "add process.args");
  }
  c.process = parse_oci_process(r.at("process").node(), "$.process", out.warnings);
  const auto root = r.object("root");
  c.root.path = root.str("path");
  if (c.root.path.empty()) {
    root.at("path").fail("must not be empty");
  }
  if (c.root.path.front() != '/') {
    c.root.path = context.bundle + "/" + c.root.path;
  }
  // runtime-tools and podman write "." or "rootfs/": the mount targets are computed from
  // this string, so it must be normal, with no trailing slash.
  c.root.path = std::filesystem::path(c.root.path).lexically_normal().string();
  if (c.root.path.size() > 1 && c.root.path.back() == '/') {
    c.root.path.pop_back();
  }
  c.root.readonly = root.boolean("readonly");
  if (r.has("annotations")) {
    const auto annotations = r.object("annotations");
    for (const auto& [key, value] : annotations.node().items()) {
      if (!value.is_string()) {
        annotations.at(key.c_str()).fail("expected a string");
      }
      c.annotations[key] = value.get<std::string>();
    }
  }
  c.hostname = r.str_or("hostname", "");
  if (c.hostname.size() > 64) {
    r.at("hostname").fail("longer than 64 characters");
  }
  if (!r.str_or("domainname", "").empty()) {
    r.warn("domainname", "not supported by barco");
  }
  c.devices = default_devices();
  c.device_rules = default_device_rules();
  c.cgroupfs = CgroupFs::none;
  if (r.has("mounts")) {
    for (const auto& m : r.array("mounts")) {
      auto mount = parse_mount(m, out.warnings, c.cgroupfs, context.bundle);
      if (!mount.destination.empty()) {
        c.mounts.push_back(std::move(mount));
      }
    }
  }
  if (r.has("hooks")) {
    c.hooks = parse_hooks(r.object("hooks"));
  }
  if (!r.has("linux")) {
    r.fail("no linux section", "barco runs Linux containers; add linux.namespaces");
  }
  parse_linux(r.object("linux"), c);
  if (!c.hostname.empty() && !c.has_private(Namespace::uts)) {
    r.at("hostname").fail("a hostname needs a private uts namespace", R"(add {"type": "uts"} to linux.namespaces)");
  }
  return out;
}

// An empty list of any kind, for the parts oci_config_json leaves out of the exec context
// (a reference to it, unlike a temporary, never copies the config's own list).
template <typename T>
const std::vector<T> kNone{};

// What `barco exec` needs of a filter with SCMP_ACT_NOTIFY: the agent and which calls go
// to it (the program itself is stored compiled, beside the config).
json seccomp_listener_json(const SeccompProfile& p) {
  json syscalls = json::array();
  for (const auto& r : p.syscalls) {
    if (r.action == "SCMP_ACT_NOTIFY") {
      syscalls.push_back({{"names", r.names}, {"action", r.action}});
    }
  }
  return {{"defaultAction", p.default_action},
          {"listenerPath", p.listener_path},
          {"listenerMetadata", p.listener_metadata},
          {"syscalls", syscalls}};
}

json oci_config_json(const ContainerConfig& c, OciDetail detail) {
  const bool full = detail == OciDetail::full;
  json process = {
      {"terminal", c.process.terminal}, {"user", {{"uid", c.process.user.uid}, {"gid", c.process.user.gid}}},
      {"args", c.process.args},         {"env", c.process.env},
      {"cwd", c.process.cwd},           {"noNewPrivileges", c.process.no_new_privileges}};
  if (!c.process.user.additional_gids.empty()) {
    process["user"]["additionalGids"] = c.process.user.additional_gids;
  }
  if (c.process.umask != 022) {
    process["user"]["umask"] = c.process.umask;
  }
  auto names = [](CapMask mask) {
    std::vector<std::string> out;
    for (int cap = 0; cap < 64; ++cap) {
      if ((mask & cap_bit(cap)) != 0) {
        out.push_back(capability_name(cap));
      }
    }
    return out;
  };
  const auto& caps = c.process.capabilities;
  process["capabilities"] = {{"bounding", names(caps.bounding)},
                             {"effective", names(caps.effective)},
                             {"permitted", names(caps.permitted)},
                             {"inheritable", names(caps.inheritable)},
                             {"ambient", names(caps.ambient)}};
  json rlimits = json::array();
  for (const auto& l : c.process.rlimits) {
    static const std::array<const char*, 16> kNames{
        "RLIMIT_CPU",      "RLIMIT_FSIZE",  "RLIMIT_DATA",    "RLIMIT_STACK", "RLIMIT_CORE",  "RLIMIT_RSS",
        "RLIMIT_NPROC",    "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS",    "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
        "RLIMIT_MSGQUEUE", "RLIMIT_NICE",   "RLIMIT_RTPRIO",  "RLIMIT_RTTIME"};
    if (l.resource >= 0 && static_cast<size_t>(l.resource) < kNames.size()) {
      rlimits.push_back({{"type", kNames[static_cast<size_t>(l.resource)]}, {"soft", l.soft}, {"hard", l.hard}});
    }
  }
  if (!rlimits.empty()) {
    process["rlimits"] = rlimits;
  }
  if (c.process.oom_score_adj) {
    process["oomScoreAdj"] = *c.process.oom_score_adj;
  }
  json mounts = json::array();
  for (const auto& m : (full ? c.mounts : kNone<Mount>)) {
    mounts.push_back(
        {{"destination", m.destination}, {"type", m.type}, {"source", m.source}, {"options", mount_options_of(m)}});
  }
  if (full && (c.cgroupfs == CgroupFs::read_only || c.cgroupfs == CgroupFs::read_write)) {
    mounts.push_back({{"destination", "/sys/fs/cgroup"},
                      {"type", "cgroup"},
                      {"source", "cgroup"},
                      {"options", {"nosuid", "noexec", "nodev", c.cgroupfs == CgroupFs::read_only ? "ro" : "rw"}}});
  }
  json namespaces = json::array();
  for (const auto& ns : c.namespaces) {
    if (ns.private_ns) {
      json entry = {{"type", oci_namespace_name(ns.type)}};
      if (!ns.path.empty()) {
        entry["path"] = ns.path;
      }
      namespaces.push_back(entry);
    }
  }
  auto maps = [](const std::vector<IdMapping>& list) {
    json out = json::array();
    for (const auto& m : list) {
      out.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
    }
    return out;
  };
  json devices = json::array();
  for (const auto& d : (full ? c.devices : kNone<Device>)) {
    if (d.type == 'c' || d.type == 'b') {
      devices.push_back({{"path", d.path},
                         {"type", std::string(1, d.type)},
                         {"major", d.major},
                         {"minor", d.minor},
                         {"fileMode", d.mode}});
    }
  }
  json rules = json::array();
  for (const auto& r : (full ? c.device_rules : kNone<DeviceRule>)) {
    json rule = {{"allow", r.allow}, {"type", std::string(1, r.type)}, {"access", r.access}};
    if (r.major >= 0) {
      rule["major"] = r.major;
    }
    if (r.minor >= 0) {
      rule["minor"] = r.minor;
    }
    rules.push_back(rule);
  }
  json linux = {{"namespaces", namespaces}};
  if (full) {
    linux["maskedPaths"] = c.masked_paths;
    linux["readonlyPaths"] = c.readonly_paths;
    linux["devices"] = devices;
    linux["resources"] = {{"devices", rules}};
  }
  if (!c.uid_mappings.empty()) {
    linux["uidMappings"] = maps(c.uid_mappings);
    linux["gidMappings"] = maps(c.gid_mappings);
  }
  if (full) {
    linux["resources"].update(oci_resources_json(c.resources));
  }
  if (!c.cgroups_path.empty()) {
    linux["cgroupsPath"] = c.cgroups_path;
  }
  if (full && !c.sysctl.empty()) {
    linux["sysctl"] = json::object();
    for (const auto& [key, value] : c.sysctl) {
      linux["sysctl"][key] = value;
    }
  }
  if (c.seccomp && uses_notify(*c.seccomp)) {
    linux["seccomp"] = seccomp_listener_json(*c.seccomp);
  }
  json out = {{"ociVersion", kOciVersion},
              {"process", process},
              {"root", {{"path", c.root.path}, {"readonly", c.root.readonly}}},
              {"mounts", mounts},
              {"linux", linux}};
  if (!c.annotations.empty()) {
    out["annotations"] = c.annotations;
  }
  if (!c.hostname.empty()) {
    out["hostname"] = c.hostname;
  }
  auto hooks = [](const std::vector<Hook>& list) {
    json out = json::array();
    for (const auto& h : list) {
      json hook = {{"path", h.path}};
      if (!h.args.empty()) hook["args"] = h.args;
      if (!h.env.empty()) hook["env"] = h.env;
      if (h.timeout) hook["timeout"] = *h.timeout;
      out.push_back(hook);
    }
    return out;
  };
  if (!c.hooks.empty()) {
    out["hooks"] = {{"prestart", hooks(c.hooks.prestart)},
                    {"createRuntime", hooks(c.hooks.create_runtime)},
                    {"createContainer", hooks(c.hooks.create_container)},
                    {"startContainer", hooks(c.hooks.start_container)},
                    {"poststart", hooks(c.hooks.poststart)},
                    {"poststop", hooks(c.hooks.poststop)}};
  }
  return out;
}

json oci_state_json(const OciState& s) {
  json out = {{"ociVersion", kOciVersion}, {"id", s.id}, {"status", s.status}, {"bundle", s.bundle}};
  if (s.status != "stopped") {
    out["pid"] = s.pid;
  }
  if (!s.created.empty()) {
    out["created"] = s.created;
  }
  out["annotations"] = s.annotations;
  return out;
}

json oci_process_state_json(int pid, const std::string& metadata, const OciState& state) {
  return {{"ociVersion", kOciVersion},
          {"fds", {"seccompFd"}},
          {"pid", pid},
          {"metadata", metadata},
          {"state", oci_state_json(state)}};
}

json oci_features_json() {
  std::vector<std::string> mount_options;
  mount_options.reserve(kOptionFlags.size() + kRecursiveOptions.size() + 4);
  for (const auto& f : kOptionFlags) {
    mount_options.emplace_back(f.name);
  }
  for (const auto& r : kRecursiveOptions) {
    mount_options.emplace_back(r.name);
  }
  mount_options.insert(mount_options.end(), {"bind", "rbind", "private", "rprivate"});
  std::vector<std::string> caps;
  caps.reserve(41);
  for (int cap = 0; cap <= 40; ++cap) {
    caps.push_back(capability_name(cap));
  }
  std::vector<std::string> namespaces;
  namespaces.reserve(kNamespaces.size());
  for (const auto& n : kNamespaces) {
    namespaces.emplace_back(n.oci);
  }
  return {{"ociVersionMin", "1.0.0"},
          {"ociVersionMax", kOciVersion},
          {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
          {"mountOptions", mount_options},
          {"linux",
           {{"namespaces", namespaces},
            {"capabilities", caps},
            {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
            {"seccomp",
             {{"enabled", true},
              {"actions",
               {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                "SCMP_ACT_LOG", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY"}},
              {"operators",
               {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                "SCMP_CMP_MASKED_EQ"}},
              {"archs", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}}}},
            {"apparmor", {{"enabled", false}}},
            {"selinux", {{"enabled", false}}}}},
          {"annotations", {{"org.opencontainers.runc.checkpoint.enabled", "false"}}}};
}

}  // namespace barco
