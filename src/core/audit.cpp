#include <barco/audit.hpp>
#include <barco/result.hpp>

#include <nlohmann/json.hpp>

#include <linux/capability.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace barco::audit {
namespace {

std::string errno_name(int err) {
  if (err == 0) {
    return "success";
  }
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "errno " + std::to_string(err);
}

std::string errno_text(const Errno& e) {
  return e ? errno_name(*e) : "not tried";
}

bool has(CapMask mask, int cap) {
  return (mask & cap_bit(cap)) != 0;
}

// "cap_sys_admin" -> "sys_admin": evidence stays short.
std::string short_cap_names(CapMask mask) {
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if (has(mask, cap)) {
      auto name = capability_name(cap);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (name.rfind("cap_", 0) == 0) {
        name.erase(0, 4);
      }
      out += (out.empty() ? "" : ", ") + name;
    }
  }
  return out.empty() ? "none" : out;
}

int popcount(CapMask m) {
  int n = 0;
  for (; m != 0; m &= m - 1) {
    ++n;
  }
  return n;
}

std::string join_layers(std::initializer_list<std::pair<bool, const char*>> layers) {
  std::string out;
  for (const auto& [closed, name] : layers) {
    if (closed) {
      out += (out.empty() ? "" : "+") + std::string(name);
    }
  }
  return out;
}

Row row(std::string id, std::string title, Outcome result, std::string layer, std::string evidence,
        bool host_takeover = false) {
  return Row{std::move(id), std::move(title), result, std::move(layer), std::move(evidence), host_takeover};
}

Row blocked(std::string id, std::string title, std::string layer, std::string evidence) {
  return row(std::move(id), std::move(title), Outcome::blocked, std::move(layer), std::move(evidence));
}

Row possible(std::string id, std::string title, std::string evidence, bool host_takeover) {
  return row(std::move(id), std::move(title), Outcome::possible, {}, std::move(evidence), host_takeover);
}

Row not_applicable(std::string id, std::string title, std::string evidence, std::string layer = {}) {
  return row(std::move(id), std::move(title), Outcome::not_applicable, std::move(layer), std::move(evidence));
}

std::string namespace_title(const std::string& name) {
  static const std::map<std::string, std::string> titles = {
      {"mnt", "mount namespace"}, {"pid", "pid namespace"},   {"net", "network namespace"},
      {"uts", "uts namespace"},   {"ipc", "ipc namespace"},   {"cgroup", "cgroup namespace"},
      {"user", "user namespace"}, {"time", "time namespace"},
  };
  const auto it = titles.find(name);
  return it != titles.end() ? it->second : name + " namespace";
}

void add_namespace_rows(const Facts& f, std::vector<Row>& rows) {
  for (const auto& ns : f.namespaces) {
    const std::string id = "ns-" + ns.name;
    const std::string title = namespace_title(ns.name);
    const std::string own = ns.name + ":[" + std::to_string(ns.own) + "]";
    if (ns.own == 0) {
      rows.push_back(
          not_applicable(id, title, "/proc/self/ns/" + ns.name + " is missing: this kernel has none", kKernel));
    } else if (ns.host == 0) {
      rows.push_back(not_applicable(id, title, own + "; the host's inode is unknown (run it as `barco audit`)"));
    } else if (ns.own == ns.host) {
      std::string evidence = "shared with the host: " + own;
      evidence += ns.name == "user" ? "; uid 0 here is uid 0 on the host" : "";
      rows.push_back(possible(id, title, evidence, false));
    } else {
      std::string evidence = "private: " + own;
      evidence += ", the host's is " + std::to_string(ns.host);
      rows.push_back(blocked(id, title, kNamespace, evidence));
    }
  }
}

// Capabilities that turn container root into host root on their own (with the matching
// syscalls reachable).
constexpr CapMask kDangerousCaps = cap_bit(CAP_SYS_ADMIN) | cap_bit(CAP_SYS_MODULE) | cap_bit(CAP_SYS_RAWIO) |
                                   cap_bit(CAP_SYS_PTRACE) | cap_bit(CAP_DAC_READ_SEARCH) | cap_bit(CAP_NET_ADMIN) |
                                   cap_bit(CAP_SYS_BOOT) | cap_bit(CAP_BPF) | cap_bit(CAP_PERFMON) |
                                   cap_bit(CAP_SYSLOG) | cap_bit(CAP_SYS_TIME) | cap_bit(CAP_MAC_ADMIN) |
                                   cap_bit(CAP_MAC_OVERRIDE);

Row capabilities_row(const Facts& f) {
  const CapMask full = f.cap_last_cap >= 63 ? ~CapMask{0} : cap_bit(f.cap_last_cap + 1) - 1;
  const std::string bounding = f.cap_bnd == f.cap_eff
                                   ? "; bounding set the same"
                                   : "; bounding set " + std::to_string(popcount(f.cap_bnd)) + " caps";
  if ((f.cap_eff & full) == full) {
    return possible("caps", "dangerous capabilities",
                    "all " + std::to_string(popcount(full)) + " capabilities (CapEff is the full mask)" + bounding,
                    true);
  }
  if ((f.cap_eff & kDangerousCaps) != 0) {
    return possible("caps", "dangerous capabilities",
                    "CapEff holds " + short_cap_names(f.cap_eff & kDangerousCaps) + bounding, true);
  }
  return blocked(
      "caps", "dangerous capabilities", kCapability,
      std::to_string(popcount(f.cap_eff)) + " caps, none dangerous: " + short_cap_names(f.cap_eff) + bounding);
}

Row no_new_privs_row(const Facts& f) {
  const char* title = "privilege gain via setuid/file caps";
  if (f.no_new_privs) {
    return blocked("no-new-privs", title, "no_new_privs", "NoNewPrivs: 1");
  }
  return possible("no-new-privs", title, "NoNewPrivs: 0 (--security-opt no-new-privileges sets it)", false);
}

Row seccomp_row(const Facts& f) {
  const char* title = "seccomp filter";
  if (f.seccomp_mode == 2) {
    return blocked("seccomp", title, kSeccomp,
                   "mode 2 (filter), " + std::to_string(f.seccomp_filters) + " filter(s) loaded");
  }
  if (f.seccomp_mode == 1) {
    return blocked("seccomp", title, kSeccomp, "mode 1 (strict)");
  }
  return possible("seccomp", title, "mode 0: every syscall reaches the kernel", false);
}

void add_proc_mask_rows(const Facts& f, std::vector<Row>& rows) {
  static const std::vector<std::pair<std::string, std::string>> files = {
      {"/proc/kcore", "kernel memory image"},
      {"/proc/keys", "keys of every keyring"},
      {"/proc/timer_list", "the host's timers and tasks"},
      {"/proc/sched_debug", "the host's scheduler and tasks"},
  };
  for (const auto& [path, what] : files) {
    const std::string id = "mask-" + path.substr(6);
    const std::string title = path + " hidden";
    const auto it = f.proc_masks.find(path);
    const MaskState state = it != f.proc_masks.end() ? it->second : MaskState::absent;
    if (state == MaskState::masked) {
      rows.push_back(blocked(id, title, kMaskedPath, "masked with /dev/null (" + what + ")"));
    } else if (state == MaskState::visible) {
      rows.push_back(possible(id, title, "the kernel's own file is visible: " + what, false));
    } else {
      rows.push_back(not_applicable(id, title, "this kernel has no " + path, kKernel));
    }
  }
}

// A write-access probe of one kernel file: writable is possible, else the read-only mount
// (EROFS or a ro mount) or the kernel's permission check decided.
Row write_access_row(const std::string& id, const std::string& title, const Errno& access, bool mount_read_only,
                     const std::string& writable_evidence, const std::string& path) {
  if (!access) {
    return not_applicable(id, title, path + " does not exist here", kKernel);
  }
  if (*access == 0) {
    return possible(id, title, writable_evidence, true);
  }
  if (*access == EROFS || mount_read_only) {
    return blocked(id, title, kReadOnlyMount, path + " is on a read-only mount (" + errno_name(*access) + ")");
  }
  return blocked(id, title, kKernel, "access(" + path + ", W_OK): " + errno_name(*access));
}

Row cgroupfs_row(const Facts& f) {
  const char* title = "cgroup filesystem writable";
  if (f.cgroup_mounts.empty()) {
    return not_applicable("cgroupfs", title, "no cgroup filesystem is mounted");
  }
  std::string writable;
  for (const auto& [path, rw] : f.cgroup_mounts) {
    if (rw) {
      writable += (writable.empty() ? "" : ", ") + path;
    }
  }
  if (!writable.empty()) {
    return possible("cgroupfs", title, "mounted read-write: " + writable, false);
  }
  return blocked("cgroupfs", title, kReadOnlyMount,
                 std::to_string(f.cgroup_mounts.size()) + " cgroup mount(s), all read-only");
}

Row release_agent_row(const Facts& f) {
  const char* title = "cgroup v1 release_agent";
  if (f.release_agents.empty()) {
    return not_applicable("release-agent", title,
                          "no release_agent visible (only a v1 hierarchy's root has one; see the mount row)");
  }
  for (const auto& [path, err] : f.release_agents) {
    if (err == 0) {
      return possible("release-agent", title, path + " is writable: the kernel runs it as host root", true);
    }
  }
  return blocked("release-agent", title, kReadOnlyMount,
                 f.release_agents.front().first + ": " + errno_name(f.release_agents.front().second));
}

// EPERM from mknod or open of a device node: the capability when it is missing, else the
// device cgroup's allow-list.
std::string device_layer(const Facts& f, int err, int needed_cap) {
  if (err != EPERM) {
    return kKernel;
  }
  return has(f.cap_eff, needed_cap) ? kDeviceCgroup : kCapability;
}

Row block_devices_row(const Facts& f) {
  const char* title = "host block devices";
  std::string opened;
  int count = 0;
  for (const auto& d : f.block_devices) {
    if (d.open_errno == 0 && ++count <= 4) {
      opened += (opened.empty() ? "" : ", ") + d.path;
    }
  }
  if (count > 0) {
    return possible("block-devices", title,
                    "opened " + opened + (count > 4 ? " and " + std::to_string(count - 4) + " more" : "") +
                        " (mount one to read the host's disk)",
                    true);
  }
  if (!f.block_devices.empty()) {
    const int err = f.block_devices.front().open_errno;
    return blocked("block-devices", title, device_layer(f, err, CAP_MKNOD),
                   std::to_string(f.block_devices.size()) + " visible, open(" + f.block_devices.front().path +
                       "): " + errno_name(err));
  }
  if (f.mknod_block && *f.mknod_block == 0) {
    return possible("block-devices", title, "no node in /dev, but mknod b 7:0 succeeded: block devices are allowed",
                    true);
  }
  if (f.mknod_block) {
    return blocked("block-devices", title, device_layer(f, *f.mknod_block, CAP_MKNOD),
                   "no node in /dev; mknod b 7:0: " + errno_name(*f.mknod_block));
  }
  return blocked("block-devices", title, kRuntime, "no block device node in /dev");
}

Row dev_mem_row(const Facts& f) {
  const char* title = "/dev/mem (physical memory)";
  if (!f.dev_mem_present && f.mknod_mem && *f.mknod_mem != 0) {
    return blocked("dev-mem", title, device_layer(f, *f.mknod_mem, CAP_MKNOD),
                   "absent; mknod c 1:1: " + errno_name(*f.mknod_mem));
  }
  if (!f.dev_mem_open) {
    return blocked("dev-mem", title, kRuntime, "absent from /dev");
  }
  const std::string where = f.dev_mem_present ? "/dev/mem" : "a node made with mknod c 1:1";
  if (*f.dev_mem_open == 0) {
    return possible("dev-mem", title, "opened " + where, true);
  }
  return blocked("dev-mem", title, device_layer(f, *f.dev_mem_open, CAP_SYS_RAWIO),
                 "open(" + where + "): " + errno_name(*f.dev_mem_open));
}

// A syscall behind a seccomp rule and a capability: the bad-argument probe tells whether
// seccomp let it through (EPERM = filtered); `kernel_said_no` is the capability's verdict
// when it could be asked, else CapEff decides.
Row gated_syscall_row(const Facts& f, const std::string& id, const std::string& title, const Errno& filter_probe,
                      std::optional<bool> kernel_said_no, int cap, const std::string& takeover_evidence) {
  if (!filter_probe) {
    return not_applicable(id, title, "not probed");
  }
  const bool filtered = *filter_probe == EPERM || *filter_probe == ENOSYS;
  const bool cap_missing = filtered || !kernel_said_no ? !has(f.cap_eff, cap) : *kernel_said_no;
  const std::string evidence = "bad-argument probe: " + errno_name(*filter_probe) + "; " + capability_name(cap) +
                               (has(f.cap_eff, cap) ? " held" : " not held");
  if (!filtered && !cap_missing) {
    return possible(id, title, evidence + ": " + takeover_evidence, true);
  }
  return blocked(id, title, join_layers({{filtered, kSeccomp}, {cap_missing, kCapability}}), evidence);
}

Row mount_row(const Facts& f) {
  std::optional<bool> kernel_said_no;
  if (f.mount_no_such_fs) {
    kernel_said_no = *f.mount_no_such_fs == EPERM;
  }
  return gated_syscall_row(f, "mount", "mount(2)", f.mount_bad_pointer, kernel_said_no, CAP_SYS_ADMIN,
                           "a host disk or a cgroup v1 hierarchy can be mounted");
}

Row unshare_user_row(const Facts& f) {
  const char* title = "new user namespace";
  if (!f.unshare_user) {
    return not_applicable("userns", title, "not probed");
  }
  if (*f.unshare_user == 0) {
    return possible("userns", title, "unshare(CLONE_NEWUSER) succeeded in a throwaway child: more kernel surface",
                    false);
  }
  const bool filtered = f.unshare_bad_flag && *f.unshare_bad_flag == EPERM;
  return blocked("userns", title, filtered ? kSeccomp : kKernel,
                 "unshare(CLONE_NEWUSER): " + errno_name(*f.unshare_user) +
                     "; unshare(bad flag): " + errno_text(f.unshare_bad_flag));
}

Row keyctl_row(const Facts& f) {
  const char* title = "kernel keyrings (keyctl)";
  if (!f.keyctl_bad_op) {
    return not_applicable("keyctl", title, "not probed");
  }
  if (*f.keyctl_bad_op == ENOSYS) {
    return blocked("keyctl", title, kKernel, "keyctl: ENOSYS: this kernel has no keyrings");
  }
  if (*f.keyctl_bad_op == EPERM) {
    return blocked("keyctl", title, kSeccomp, "keyctl(bad op): " + errno_name(*f.keyctl_bad_op));
  }
  return possible("keyctl", title,
                  "keyctl reaches the kernel (" + errno_name(*f.keyctl_bad_op) + "): keyrings are not namespaced",
                  false);
}

Row module_row(const Facts& f) {
  const char* title = "kernel module loading";
  if (!f.finit_module) {
    return not_applicable("module", title, "not probed");
  }
  const std::string evidence = "finit_module(-1): " + errno_name(*f.finit_module) +
                               "; modules_disabled=" + (f.modules_disabled.empty() ? "?" : f.modules_disabled);
  if (*f.finit_module == ENOSYS) {
    return blocked("module", title, kKernel, evidence + ": this kernel cannot load modules");
  }
  if (*f.finit_module != EPERM) {
    return possible("module", title, evidence + ": a module would be loaded into the host kernel", true);
  }
  if (!has(f.cap_eff, CAP_SYS_MODULE)) {
    return blocked("module", title, f.seccomp_mode == 2 ? "capability+seccomp" : kCapability,
                   evidence + "; CAP_SYS_MODULE not held");
  }
  return blocked("module", title, f.modules_disabled == "1" ? kKernel : kSeccomp, evidence);
}

Row open_by_handle_row(const Facts& f) {
  const char* title = "open_by_handle_at (Shocker)";
  if (!f.open_by_handle) {
    return not_applicable("open-by-handle", title, "not probed");
  }
  const std::string evidence = "open_by_handle_at(bad pointer): " + errno_name(*f.open_by_handle);
  if (!has(f.cap_eff, CAP_DAC_READ_SEARCH)) {
    return blocked("open-by-handle", title, f.seccomp_mode == 2 ? "capability+seccomp" : kCapability,
                   evidence + "; CAP_DAC_READ_SEARCH not held");
  }
  if (*f.open_by_handle == EPERM || *f.open_by_handle == ENOSYS) {
    return blocked("open-by-handle", title, *f.open_by_handle == EPERM ? kSeccomp : kKernel, evidence);
  }
  return possible("open-by-handle", title, evidence + "; CAP_DAC_READ_SEARCH held: host files open by handle", true);
}

Row ptrace_row(const Facts& f) {
  const char* title = "ptrace host processes";
  const auto host_pid = shares_host(f, "pid");
  if (!host_pid) {
    return not_applicable("ptrace", title, "the host's pid namespace is unknown");
  }
  if (!*host_pid) {
    return blocked("ptrace", title, kNamespace, "PID 1 is the container's own; host processes are invisible");
  }
  if (f.proc1_mem_open && *f.proc1_mem_open == 0) {
    return possible("ptrace", title, "opened /proc/1/mem of the host's init", true);
  }
  const bool cap_held = has(f.cap_eff, CAP_SYS_PTRACE);
  return blocked(
      "ptrace", title, cap_held ? kKernel : kCapability,
      "host processes visible; open(/proc/1/mem): " + errno_text(f.proc1_mem_open) +
          (cap_held ? " although CAP_SYS_PTRACE is held (the kernel or an LSM refuses)" : " (needs CAP_SYS_PTRACE)"));
}

Row setns_row(const Facts& f) {
  const char* title = "setns into /proc/1/ns";
  const auto host_pid = shares_host(f, "pid");
  if (!host_pid) {
    return not_applicable("setns", title, "the host's pid namespace is unknown");
  }
  if (!*host_pid) {
    return blocked("setns", title, kNamespace, "/proc/1 is the container's own init");
  }
  const bool open_failed = !f.proc1_ns_open || *f.proc1_ns_open != 0;
  const bool filtered = f.setns_bad_fd && (*f.setns_bad_fd == EPERM || *f.setns_bad_fd == ENOSYS);
  const bool cap_missing = !has(f.cap_eff, CAP_SYS_ADMIN);
  const std::string evidence = "open(/proc/1/ns/mnt): " + errno_text(f.proc1_ns_open) +
                               "; setns(-1): " + errno_text(f.setns_bad_fd) + "; CAP_SYS_ADMIN " +
                               (cap_missing ? "not held" : "held");
  if (!open_failed && !filtered && !cap_missing) {
    return possible("setns", title, evidence + ": nsenter -t 1 gives a shell on the host", true);
  }
  // Opening another process's ns files is a ptrace-access check: with CAP_SYS_PTRACE held,
  // a refusal is the kernel's (an LSM, or PID 1 not dumpable).
  const bool open_refused_by_kernel = open_failed && has(f.cap_eff, CAP_SYS_PTRACE);
  return blocked("setns", title,
                 join_layers({{(open_failed && !open_refused_by_kernel) || cap_missing, kCapability},
                              {filtered, kSeccomp},
                              {open_refused_by_kernel, kKernel}}),
                 evidence);
}

Row tiocsti_row(const Facts& f) {
  const char* title = "TIOCSTI into the host's terminal";
  const auto& t = f.tty;
  if (t.fd < 0) {
    return not_applicable("tiocsti", title,
                          "no terminal on fds 0-2 (barco puts pipes it relays in place of a caller's terminal)");
  }
  const std::string fd = "fd " + std::to_string(t.fd);
  if (t.own_pty) {
    return blocked("tiocsti", title, kNamespace, fd + " is the container's own pty (a private devpts)");
  }
  if (t.legacy_tiocsti == 0) {
    return blocked("tiocsti", title, kKernel, fd + " is the host's terminal; dev.tty.legacy_tiocsti=0");
  }
  if (f.tiocsti_bad_fd && (*f.tiocsti_bad_fd == EPERM || *f.tiocsti_bad_fd == ENOSYS)) {
    return blocked("tiocsti", title, kSeccomp, fd + " is the host's terminal; ioctl(TIOCSTI) is filtered");
  }
  if (t.controlling || has(f.cap_eff, CAP_SYS_ADMIN)) {
    return possible("tiocsti", title,
                    fd + " is the host's terminal and " +
                        (t.controlling ? "the controlling one" : "CAP_SYS_ADMIN lifts the controlling-tty check") +
                        ": typed-ahead commands run on the host",
                    true);
  }
  return blocked("tiocsti", title, kCapability,
                 fd + " is the host's terminal, but not the controlling one and CAP_SYS_ADMIN is not held");
}

Row interfaces_row(const Facts& f) {
  const char* title = "host network interfaces";
  std::string names;
  for (const auto& n : f.interfaces) {
    names += (names.empty() ? "" : ", ") + n;
  }
  const auto host_net = shares_host(f, "net");
  if (!host_net) {
    return not_applicable("net-interfaces", title, "sees: " + names);
  }
  if (*host_net) {
    return possible("net-interfaces", title, "sees the host's: " + names, false);
  }
  return blocked("net-interfaces", title, kNamespace, "sees only its own: " + names);
}

Row exe_row(const Facts& f) {
  const char* title = "host runtime binary (CVE-2019-5736)";
  if (f.exe.rfind("/memfd:", 0) == 0) {
    return blocked("runtime-exe", title, kRuntime, "/proc/self/exe is " + f.exe + ", a sealed in-memory copy");
  }
  return possible("runtime-exe", title, "/proc/self/exe is " + f.exe, true);
}

Row fds_row(const Facts& f) {
  const char* title = "leaked fds (CVE-2024-21626)";
  if (f.leaked_fds.empty()) {
    return blocked("leaked-fds", title, kRuntime, "only fds 0-2 are open");
  }
  std::string list;
  for (const int fd : f.leaked_fds) {
    list += (list.empty() ? "" : ",") + std::to_string(fd);
  }
  return possible("leaked-fds", title, "open beyond 0-2: " + list, true);
}

const char* ansi(Outcome o) {
  switch (o) {
    case Outcome::blocked: return "\033[32m";
    case Outcome::possible: return "\033[1;31m";
    case Outcome::not_applicable: return "\033[2m";
  }
  return "";
}

std::string coloured(const std::string& text, Outcome o, bool color, size_t width) {
  std::string padded = text;
  padded.resize(std::max(width, text.size()), ' ');
  return color ? ansi(o) + padded + "\033[0m" : padded;
}

std::string pad(std::string text, size_t width) {
  if (text.size() > width) {
    text.resize(width);
  }
  text.resize(width, ' ');
  return text;
}

// Words of `text` filled into lines of at most `width`, each prefixed by `indent`.
std::string wrap(const std::string& text, size_t width, const std::string& indent) {
  std::string out;
  std::string line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) {
    out += indent + line + "\n";
  }
  return out;
}

Outcome outcome_from_name(const std::string& name) {
  if (name == "blocked") {
    return Outcome::blocked;
  }
  if (name == "possible") {
    return Outcome::possible;
  }
  if (name == "n/a") {
    return Outcome::not_applicable;
  }
  throw ConfigError("audit report: unknown result '" + name + "'", "expected blocked, possible or n/a");
}

nlohmann::json summary_json(const Report& r) {
  return {{"blocked", r.count(Outcome::blocked)},
          {"possible", r.count(Outcome::possible)},
          {"n/a", r.count(Outcome::not_applicable)},
          {"verdict", r.verdict()}};
}

nlohmann::json rows_json(const Report& r) {
  auto rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    rows.push_back({{"id", row.id},
                    {"title", row.title},
                    {"result", outcome_name(row.result)},
                    {"layer", row.layer},
                    {"evidence", row.evidence},
                    {"host_takeover", row.host_takeover}});
  }
  return rows;
}

}  // namespace

std::optional<bool> shares_host(const Facts& f, const std::string& name) {
  const auto ns =
      std::find_if(f.namespaces.begin(), f.namespaces.end(), [&](const NamespaceFact& n) { return n.name == name; });
  if (ns == f.namespaces.end() || ns->own == 0 || ns->host == 0) {
    return std::nullopt;
  }
  return ns->own == ns->host;
}

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::blocked: return "blocked";
    case Outcome::possible: return "possible";
    case Outcome::not_applicable: return "n/a";
  }
  return "n/a";
}

std::string format_host_namespaces(const std::vector<NamespaceFact>& host) {
  std::string out;
  for (const auto& ns : host) {
    if (ns.host != 0) {
      out += (out.empty() ? "" : ",") + ns.name + "=" + std::to_string(ns.host);
    }
  }
  return out;
}

std::map<std::string, uint64_t> parse_host_namespaces(const std::string& text) {
  std::map<std::string, uint64_t> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string item = text.substr(start, end - start);
    const auto eq = item.find('=');
    if (eq != std::string::npos && eq > 0) {
      const std::string digits = item.substr(eq + 1);
      if (!digits.empty() && digits.size() <= 19 &&
          std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
        out[item.substr(0, eq)] = std::stoull(digits);
      }
    }
    start = end + 1;
  }
  return out;
}

std::vector<Row> classify(const Facts& f) {
  std::vector<Row> rows;
  add_namespace_rows(f, rows);
  rows.push_back(capabilities_row(f));
  rows.push_back(no_new_privs_row(f));
  rows.push_back(seccomp_row(f));
  add_proc_mask_rows(f, rows);
  rows.push_back(write_access_row(
      "proc-sys", "/proc/sys writable (core_pattern)", f.core_pattern_write, f.proc_sys_read_only,
      "core_pattern is writable (now \"" + f.core_pattern + "\"): a crash runs any program as host root",
      "/proc/sys/kernel/core_pattern"));
  rows.push_back(write_access_row("sysrq", "/proc/sysrq-trigger writable", f.sysrq_write, false,
                                  "writable: one byte reboots or crashes the host", "/proc/sysrq-trigger"));
  rows.push_back(f.sys_read_only
                     ? blocked("sys", "/sys writable", kReadOnlyMount, "/sys is mounted read-only")
                     : possible("sys", "/sys writable",
                                "/sys is read-write: host-global knobs (uevent_helper, power, devices)", true));
  rows.push_back(cgroupfs_row(f));
  rows.push_back(release_agent_row(f));
  rows.push_back(block_devices_row(f));
  rows.push_back(dev_mem_row(f));
  rows.push_back(mount_row(f));
  rows.push_back(unshare_user_row(f));
  rows.push_back(keyctl_row(f));
  rows.push_back(module_row(f));
  rows.push_back(open_by_handle_row(f));
  rows.push_back(ptrace_row(f));
  rows.push_back(setns_row(f));
  rows.push_back(tiocsti_row(f));
  rows.push_back(interfaces_row(f));
  rows.push_back(exe_row(f));
  rows.push_back(fds_row(f));
  return rows;
}

int Report::count(Outcome o) const {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(), [o](const Row& r) { return r.result == o; }));
}

std::string Report::verdict() const {
  const int open = count(Outcome::possible);
  const bool takeover = std::any_of(rows.begin(), rows.end(),
                                    [](const Row& r) { return r.result == Outcome::possible && r.host_takeover; });
  const std::string counts = std::to_string(open) + " of " + std::to_string(applicable()) + " open";
  if (takeover) {
    return "root in the container = root on the host: " + counts;
  }
  return "contained: " + counts + ", none a way onto the host";
}

std::string render_table(const Report& report, bool color) {
  constexpr size_t kResult = 10;
  constexpr size_t kTitle = 38;
  std::string out = pad("RESULT", kResult) + pad("CHECK", kTitle) + "DECIDED BY\n";
  for (const auto& r : report.rows) {
    out += coloured(outcome_name(r.result), r.result, color, kResult) + pad(r.title, kTitle - 1) + " " +
           (r.layer.empty() ? "-" : r.layer) + "\n";
    out += wrap(r.evidence, 80 - kResult, std::string(kResult, ' '));
  }
  out += "\n" + std::to_string(report.count(Outcome::blocked)) + " blocked, " +
         std::to_string(report.count(Outcome::possible)) + " possible, " +
         std::to_string(report.count(Outcome::not_applicable)) + " n/a\nverdict: " + report.verdict() + "\n";
  return out;
}

std::string to_json(const Report& report) {
  return nlohmann::json{{"checks", rows_json(report)}, {"summary", summary_json(report)}}.dump(2) + "\n";
}

Report report_from_json(const std::string& text) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("checks") || !doc["checks"].is_array()) {
    throw ConfigError("audit report: not the JSON of barco audit --json",
                      "the audit inside the container failed; run barco audit without --json to see why");
  }
  Report r;
  for (const auto& c : doc["checks"]) {
    if (!c.is_object()) {
      throw ConfigError("audit report: a check is not an object", {});
    }
    r.rows.push_back(Row{c.value("id", ""), c.value("title", ""), outcome_from_name(c.value("result", "")),
                         c.value("layer", ""), c.value("evidence", ""), c.value("host_takeover", false)});
  }
  return r;
}

std::string render_comparison(const std::vector<Column>& columns, bool color) {
  constexpr size_t kTitle = 38;
  constexpr size_t kCell = 13;
  std::string out = pad("CHECK", kTitle);
  for (const auto& c : columns) {
    out += pad(c.name, kCell);
  }
  out.erase(out.find_last_not_of(' ') + 1);
  out += "\n";
  static const Report kNone;
  const auto& first = columns.empty() ? kNone : columns.front().report;
  for (const auto& row : first.rows) {
    out += pad(row.title, kTitle - 1) + " ";
    for (const auto& c : columns) {
      const auto it =
          std::find_if(c.report.rows.begin(), c.report.rows.end(), [&](const Row& r) { return r.id == row.id; });
      const Outcome o = it != c.report.rows.end() ? it->result : Outcome::not_applicable;
      out += coloured(outcome_name(o), o, color, kCell);
    }
    out.erase(out.find_last_not_of(' ') + 1);
    out += "\n";
  }
  out += "\nverdict\n";
  for (const auto& c : columns) {
    out += "  " + pad(c.name, kCell) + c.report.verdict() + "\n";
  }
  out += "flags\n";
  for (const auto& c : columns) {
    out += "  " + pad(c.name, kCell) + (c.flags.empty() ? "(none: barco's defaults)" : c.flags) + "\n";
  }
  return out;
}

std::string comparison_json(const std::vector<Column>& columns) {
  auto out = nlohmann::json::array();
  for (const auto& c : columns) {
    out.push_back(
        {{"name", c.name}, {"flags", c.flags}, {"checks", rows_json(c.report)}, {"summary", summary_json(c.report)}});
  }
  return nlohmann::json{{"columns", out}}.dump(2) + "\n";
}

}  // namespace barco::audit
