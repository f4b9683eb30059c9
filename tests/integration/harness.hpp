// Integration harness: runs the real barco binary as a child process, captures its output
// and exit status, and checks after every test that nothing was left behind (no state
// record, no mount under the rootfs, no process in a foreign mount namespace).
#pragma once

#include <gtest/gtest.h>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace barco::it {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct RunOptions {
  std::chrono::milliseconds timeout{20000};
  // Called with barco's pid once it runs (to send it signals); runs on the test's thread
  // while output is still being collected.
  std::function<void(pid_t)> on_start;
  // barco inherits an open fd 7 (a host directory) from its caller, as a careless caller
  // would pass it; barco must not let it reach the container.
  bool leak_fd_to_barco = false;
  // stdin is a pipe that stays open (with nothing written) until the command exits, instead
  // of /dev/null: script(1) ends the session early when its stdin reaches EOF.
  bool open_stdin = false;
};

[[nodiscard]] std::string barco_binary();
[[nodiscard]] std::string test_rootfs();

// Pids of processes whose mount namespace is not ours.
[[nodiscard]] std::set<pid_t> foreign_mount_ns_pids();
// Container cgroups (<hierarchy>/barco/<id>, and <hierarchy><own>/<id> for OCI ones) that exist now; other barco runs
// on the same machine may own some, so tests compare before and after.
[[nodiscard]] std::set<std::string> barco_cgroups();
// <hierarchy mount><our own cgroup>/barco for every mounted hierarchy we are in: where
// barco creates container cgroups.
[[nodiscard]] std::vector<std::string> barco_cgroup_parents();
// Whether process `pid` runs from a binary nobody can write (CVE-2019-5736): a memfd sealed
// against writes, or a file on a read-only mount. False while it runs the host's file.
[[nodiscard]] bool runs_from_unwritable_binary(pid_t pid);
// Whether the suite runs in a network namespace of its own (as root it always does): the
// bridge tests change only that one.
[[nodiscard]] bool suite_network_is_private();
// What a container's bridge network leaves when it is not released: host veths (vb...) and
// published ports' rules.
[[nodiscard]] std::vector<std::string> bridge_leftovers();

// Mount points at or below `path` in our mount table.
[[nodiscard]] std::vector<std::string> mounts_under(const std::string& path);

[[nodiscard]] std::string read_text(const std::string& path);  // empty when unreadable

// A client's --privileged container: the command every client test runs inside, and the
// checks of its output (CAP_SYS_ADMIN, no seccomp filter, the host's devices, /sys rw).
constexpr const char* kPrivilegedProbe =
    "grep -E 'Seccomp:|CapEff' /proc/self/status; ls /dev | wc -l; grep -c ' /sys rw,' /proc/self/mountinfo";
void expect_privileged(const RunResult& r);
// The host file of a process's cgroup where a limit is read: `v1_file` in the v1 hierarchy of
// `v1_controller` (memory.limit_in_bytes), or `v2_file` (memory.max) on pure v2. Empty
// names give the cgroup's directory.
[[nodiscard]] std::string host_cgroup_file(pid_t pid, const std::string& v1_controller, const std::string& v1_file,
                                           const std::string& v2_file);

class BarcoTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // barco --root <temp> run --rootfs <busybox> <args...>
  RunResult run(const std::vector<std::string>& args, const RunOptions& options = {});
  // barco <args...> with no implicit run/--rootfs.
  RunResult barco(const std::vector<std::string>& args, const RunOptions& options = {});
  // Any command line (argv[0] a full path).
  RunResult command(const std::vector<std::string>& argv, const RunOptions& options = {});

  [[nodiscard]] const std::string& state_root() const { return state_root_; }
  // BARCO_DATA_ROOT of every barco the test starts: run -d's and --overlay's layers and logs.
  [[nodiscard]] const std::string& data_root() const { return data_root_; }
  [[nodiscard]] std::string scratch_dir();  // removed in TearDown

 private:
  std::string state_root_;
  std::string data_root_;
  std::vector<std::string> scratch_;
  std::set<pid_t> foreign_before_;
  std::set<std::string> cgroups_before_;
};

// Runs `argv` with a new pty as its stdin, stdout and stderr (a person at a terminal);
// returns what it wrote there and its exit status. Needs no tool beyond the test binary.
[[nodiscard]] RunResult run_on_pty(const std::vector<std::string>& argv);

// Lines of `text`, without empty ones.
[[nodiscard]] std::vector<std::string> lines(const std::string& text);

}  // namespace barco::it
