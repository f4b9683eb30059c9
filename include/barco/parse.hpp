// Parsers for the values people type on the command line and the small files barco reads
// (--env-file, /etc/subuid). Pure functions: each either returns a value or throws
// ConfigError with a message that names the flag and the offending text, plus a hint.
#pragma once

#include <barco/config.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barco {

// Looks a variable up in the caller's environment (docker's `-e NAME` passes NAME through).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// "-e K=V" -> "K=V"; "-e K" -> "K=<value from lookup>" or nullopt when unset.
[[nodiscard]] std::optional<std::string> parse_env_entry(std::string_view text, const EnvLookup& lookup);

// --env-file: one entry per line; blank lines and lines starting with '#' are skipped.
[[nodiscard]] std::vector<std::string> parse_env_file(std::string_view content, const EnvLookup& lookup);

// Later entries override earlier ones with the same key; the order of first appearance is kept.
[[nodiscard]] std::vector<std::string> merge_env(const std::vector<std::string>& base,
                                                 const std::vector<std::string>& overrides);

struct UserSpec {
  std::string user;                  // a name or a decimal id
  std::optional<std::string> group;  // a name or a decimal id
};

// -u/--user: "UID", "UID:GID", "name", "name:group".
[[nodiscard]] UserSpec parse_user_spec(std::string_view text);

// -v/--volume HOST:CTR[:ro|rw] (both paths absolute) -> a recursive bind mount.
[[nodiscard]] Mount parse_volume(std::string_view text);

// --tmpfs PATH[:OPTS] with mount(8)-style options; docker's defaults nosuid,nodev,noexec.
[[nodiscard]] Mount parse_tmpfs(std::string_view text);

// --ulimit NAME=SOFT[:HARD], with "unlimited" or -1 for RLIM_INFINITY.
[[nodiscard]] Rlimit parse_ulimit(std::string_view text);
// "nofile" or OCI's "RLIMIT_NOFILE" -> RLIMIT_NOFILE; nullopt for anything else.
[[nodiscard]] std::optional<int> rlimit_resource(std::string_view name);

// kill/stop -s: "TERM", "SIGTERM", "sigterm", "15" -> 15. Throws ConfigError listing the
// names for anything else (`what` names the flag or argument).
[[nodiscard]] int parse_signal(std::string_view text, std::string_view what);

struct DeviceSpec {
  std::string host_path;
  std::string container_path;  // the host path when not given
  std::string permissions;     // some of "rwm" (default "rwm")
};
// --device HOST[:CONTAINER][:PERMISSIONS]
[[nodiscard]] DeviceSpec parse_device_spec(std::string_view text);

struct SecurityOptions {
  bool no_new_privileges = false;
  std::optional<std::string> seccomp;  // "unconfined" or a profile path
  bool systempaths_unconfined = false;
};
// --security-opt values: no-new-privileges[=true|false], seccomp=FILE|unconfined,
// systempaths=unconfined. Later values override earlier ones.
[[nodiscard]] SecurityOptions parse_security_options(const std::vector<std::string>& values);

// docker's size syntax for --memory and friends: a number with an optional unit b, k, m, g, t
// (any case, an optional trailing "b": 64m, 64MB, 1.5g). -1 means unlimited where allowed.
[[nodiscard]] int64_t parse_size(std::string_view text, std::string_view flag, bool allow_unlimited = false);

// --cpus 0.5 -> 0.5; must be > 0 and at most `host_cpus`.
[[nodiscard]] double parse_cpus(std::string_view text, int host_cpus);

// --cpuset-cpus / --cpuset-mems "0-2,4": every number must be in [0, available).
[[nodiscard]] std::string parse_cpu_list(std::string_view text, std::string_view flag, int available);

// Go's duration syntax, as runc's flags take it: "5s", "100ms", "1m30s" (units ns, us, ms, s,
// m, h); must be positive.
[[nodiscard]] std::chrono::nanoseconds parse_duration(std::string_view text, std::string_view flag);

// An integer in [min, max] for flags such as --cpu-shares, --pids-limit, --blkio-weight.
[[nodiscard]] int64_t parse_int_in(std::string_view text, std::string_view flag, int64_t min, int64_t max);

// /etc/subuid or /etc/subgid content: the first range of `owner` ("name:start:count").
[[nodiscard]] std::optional<IdMapping> find_subid_range(std::string_view content, std::string_view owner);
// A range of kUsernsSize ids from kFallbackUsernsStart on that overlaps no range of anyone
// in `content`.
[[nodiscard]] IdMapping fallback_subid_range(std::string_view content);

// A decimal id that fits in 32 bits (not -1, which the kernel reserves).
[[nodiscard]] std::optional<uint32_t> parse_id(std::string_view text);

// Splits "a,b,c"; empty items are dropped.
[[nodiscard]] std::vector<std::string> split(std::string_view text, char sep);

}  // namespace barco
