// `barco audit`: what a process inside a container can reach, checked from the inside.
// The embedded barco-audit program collects Facts with side-effect-free probes (bad fds,
// bad pointers, access(), statvfs(), open+close) and this pure code turns them into rows:
// each boundary is blocked, possible or n/a, with the layer that decided it and the
// evidence. The same code renders the table, the JSON and `barco lab compare`.
#pragma once

#include <barco/capabilities.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace barco::audit {

enum class Outcome { blocked, possible, not_applicable };

[[nodiscard]] const char* outcome_name(Outcome o);  // "blocked", "possible", "n/a"

// The layers that can decide a row.
inline constexpr const char* kNamespace = "namespace";
inline constexpr const char* kCapability = "capability";
inline constexpr const char* kSeccomp = "seccomp";
inline constexpr const char* kMaskedPath = "masked path";
inline constexpr const char* kReadOnlyMount = "read-only mount";
inline constexpr const char* kDeviceCgroup = "device cgroup";
inline constexpr const char* kKernel = "kernel";
inline constexpr const char* kRuntime = "runtime";

struct Row {
  std::string id;     // stable key: "mount", "ns-pid", ...
  std::string title;  // what a student reads
  Outcome result = Outcome::not_applicable;
  std::string layer;  // what decided it ("seccomp+capability"); empty when nothing stops it
  std::string evidence;
  bool host_takeover = false;  // possible here means root in the container is root on the host
  bool operator==(const Row&) const = default;
};

// Errno of a probe call; 0 when the call succeeded, nullopt when it was not made.
using Errno = std::optional<int>;

struct NamespaceFact {
  std::string name;   // "mnt", "pid", ...
  uint64_t own = 0;   // inode of /proc/self/ns/<name>; 0 when unreadable
  uint64_t host = 0;  // the host's, passed in by barco; 0 when unknown
};

enum class MaskState { absent, masked, visible };

struct DeviceProbe {
  std::string path;
  int open_errno = 0;  // open(O_RDONLY|O_NONBLOCK): 0 = opened (and closed again)
};

struct TtyFact {
  int fd = -1;           // the first of fds 0-2 that is a terminal; -1: none
  bool own_pty = false;  // it belongs to the container's own devpts instance
  bool controlling = false;
  int legacy_tiocsti = -1;  // /proc/sys/dev/tty/legacy_tiocsti; -1 when absent (kernel < 6.2)
};

struct Facts {
  std::vector<NamespaceFact> namespaces;
  CapMask cap_eff = 0;
  CapMask cap_bnd = 0;
  int cap_last_cap = 40;
  bool no_new_privs = false;
  int seccomp_mode = 0;
  int seccomp_filters = 0;
  std::map<std::string, MaskState> proc_masks;  // /proc/kcore, /proc/keys, ...
  bool proc_sys_read_only = true;
  Errno core_pattern_write;  // faccessat(W_OK)
  std::string core_pattern;
  Errno sysrq_write;
  bool sys_read_only = true;
  std::vector<std::pair<std::string, bool>> cgroup_mounts;  // mount point, writable
  std::vector<std::pair<std::string, int>> release_agents;  // path, faccessat(W_OK) errno
  std::vector<DeviceProbe> block_devices;                   // visible block nodes
  Errno mknod_block;                                        // in /dev (tmpfs) when none is visible
  bool dev_mem_present = false;
  Errno dev_mem_open;
  Errno mknod_mem;          // when /dev/mem is absent
  Errno mount_bad_pointer;  // mount(.., type=(char*)1, ..): EFAULT once seccomp let it through
  Errno mount_no_such_fs;   // mount("none", "/", "barco-audit-nofs"): EPERM without CAP_SYS_ADMIN, else ENODEV
  Errno unshare_bad_flag;   // unshare(1): EINVAL once seccomp let it through
  Errno unshare_user;       // unshare(CLONE_NEWUSER) in a throwaway child
  Errno keyctl_bad_op;      // keyctl(bad op): EOPNOTSUPP once seccomp let it through
  Errno finit_module;       // finit_module(-1, "", 0): EBADF when loading is possible
  std::string modules_disabled;
  Errno open_by_handle;  // open_by_handle_at(-1, bad pointer): EPERM without the capability
  Errno proc1_mem_open;  // open("/proc/1/mem") when PID 1 is the host's
  Errno proc1_ns_open;   // open("/proc/1/ns/mnt") when PID 1 is the host's
  Errno setns_bad_fd;    // setns(-1, 0): EBADF once seccomp let it through
  Errno tiocsti_bad_fd;  // ioctl(-1, TIOCSTI): EBADF once seccomp let it through
  TtyFact tty;
  std::vector<std::string> interfaces;
  std::string exe;              // readlink(/proc/self/exe)
  std::vector<int> leaked_fds;  // fds above 2
};

// Whether the namespace `name` is the host's; nullopt when either inode is unknown.
[[nodiscard]] std::optional<bool> shares_host(const Facts& facts, const std::string& name);

// Per-namespace host inodes as barco passes them to the audit: "mnt=4026531841,pid=...".
[[nodiscard]] std::string format_host_namespaces(const std::vector<NamespaceFact>& host);
[[nodiscard]] std::map<std::string, uint64_t> parse_host_namespaces(const std::string& text);

[[nodiscard]] std::vector<Row> classify(const Facts& facts);

struct Report {
  std::vector<Row> rows;
  [[nodiscard]] int count(Outcome o) const;
  [[nodiscard]] int applicable() const { return count(Outcome::blocked) + count(Outcome::possible); }
  [[nodiscard]] std::string verdict() const;  // one line
};

[[nodiscard]] std::string render_table(const Report& report, bool color);
[[nodiscard]] std::string to_json(const Report& report);
// Throws ConfigError when `text` is not an audit report.
[[nodiscard]] Report report_from_json(const std::string& text);

struct Column {
  std::string name;   // "default", "privileged", "k3s-style"
  std::string flags;  // "--privileged --network host --pid host"
  Report report;
};
// Side by side, one row per check, and a verdict line per column; fits 80 columns.
[[nodiscard]] std::string render_comparison(const std::vector<Column>& columns, bool color);
[[nodiscard]] std::string comparison_json(const std::vector<Column>& columns);

}  // namespace barco::audit
