// podman with barco as its OCI runtime (`podman --runtime barco`): conmon drives barco's
// create/start/state/kill/delete/exec exactly as it drives runc. Everything podman keeps
// (storage, run state, locks, events, network config) lives in a scratch directory; the
// containers.conf this host needs is written there and passed in CONTAINERS_CONF.
#include "harness.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace barco::it {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPodman = "/usr/bin/podman";
constexpr const char* kBlobCache = "/var/lib/containers";

// With the cgroupfs manager podman puts its containers under libpod_parent, made in every
// hierarchy on first use and kept after the last container: podman's, not barco's.
std::vector<fs::path> libpod_parents() {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (fs::is_directory(e.path() / "libpod_parent", ec)) {  // a v1 hierarchy, or v1's unified
      out.push_back(e.path() / "libpod_parent");
    }
  }
  if (fs::is_directory("/sys/fs/cgroup/libpod_parent", ec)) {  // pure v2
    out.emplace_back("/sys/fs/cgroup/libpod_parent");
  }
  return out;
}

class Podman : public BarcoTest {
 protected:
  void SetUp() override {
    BarcoTest::SetUp();
    if (IsSkipped()) {
      return;
    }
    if (!fs::exists(kPodman)) {
      GTEST_SKIP() << "podman is not installed (make deps installs Debian's podman)";
    }
    work_ = scratch_dir();
    // `podman import` keeps a blob cache there whatever --root says: removed again when this
    // test created it.
    created_blob_cache_ = !fs::exists(kBlobCache);
    created_libpod_parent_ = libpod_parents().empty();
    // cgroupfs: this host has no systemd managing cgroups; a file events log: no journald.
    // nofile/nproc: podman's default (1048576) is above what this machine's root may set
    // (CAP_SYS_RESOURCE is not in its bounding set); barco would report exactly that.
    std::ofstream(work_ + "/containers.conf") << "[engine]\n"
                                              << "cgroup_manager = \"cgroupfs\"\n"
                                              << "events_logger = \"file\"\n"
                                              << "events_logfile_path = \"" << work_ << "/events.log\"\n"
                                              << "[containers]\n"
                                              << "netns = \"none\"\n"
                                              << "default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n";
    ::setenv("CONTAINERS_CONF", (work_ + "/containers.conf").c_str(), 1);
    const auto imported = command(
        {"/bin/sh", "-c", "tar -C '" + test_rootfs() + "' -c . | " + podman_line() + " import - barco-busybox"});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }

  void TearDown() override {
    if (!work_.empty()) {
      (void)podman({"rm", "--all", "--force"});
      EXPECT_TRUE(mounts_under(work_).empty()) << "podman left a mount in its scratch directory";
      ::unsetenv("CONTAINERS_CONF");
      if (created_blob_cache_) {
        fs::remove_all(kBlobCache);
      }
      // Only empty directories (and podman's conmon one inside): a container cgroup left
      // inside is a leak the harness reports.
      for (const auto& dir : created_libpod_parent_ ? libpod_parents() : std::vector<fs::path>{}) {
        ::rmdir((dir / "conmon").c_str());
        ::rmdir(dir.c_str());
      }
    }
    BarcoTest::TearDown();
  }

  [[nodiscard]] std::string podman_line() const {
    return std::string(kPodman) + " --root " + work_ + "/storage --runroot " + work_ + "/run --tmpdir " + work_ +
           "/tmp --network-config-dir " + work_ + "/net --storage-driver vfs --runtime " + barco_binary();
  }

  RunResult podman(const std::vector<std::string>& args) {
    std::vector<std::string> argv{
        kPodman,    "--root",       work_ + "/storage",     "--runroot",    work_ + "/run",
        "--tmpdir", work_ + "/tmp", "--network-config-dir", work_ + "/net", "--storage-driver",
        "vfs",      "--runtime",    barco_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return command(argv);
  }

  // The status barco's own record gives (podman keeps barco's default state root).
  RunResult barco_state(const std::string& id) { return barco({"state", id}); }
  std::string state_of(const std::string& id) {
    const auto r = barco_state(id);
    const auto at = r.out.find("\"status\": \"");
    return at == std::string::npos ? r.err : r.out.substr(at + 11, r.out.find('"', at + 11) - at - 11);
  }

  std::string work_;
  bool created_blob_cache_ = false;
  bool created_libpod_parent_ = false;
};

TEST_F(Podman, RunPrintsTheOutputAndTheExitStatus) {
  const auto r = podman({"run", "--rm", "--network", "none", "barco-busybox", "sh", "-c",
                         "echo hello-from-podman; grep Seccomp: /proc/self/status; hostname | wc -c"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 3U) << r.out;
  EXPECT_EQ(out[0], "hello-from-podman");
  EXPECT_EQ(out[1], "Seccomp:\t2") << "podman's seccomp profile was not loaded";
  EXPECT_EQ(podman({"run", "--rm", "--network", "none", "barco-busybox", "sh", "-c", "exit 3"}).exit_code, 3);
}

// podman --privileged lists the host's devices (/dev/ptmx among them) and every capability
// it knows: barco once failed it at make_symlink and at capset.
TEST_F(Podman, PrivilegedGetsTheHostsDevicesAndNoFilter) {
  expect_privileged(
      podman({"run", "--rm", "--privileged", "--network", "none", "barco-busybox", "sh", "-c", kPrivilegedProbe}));
}

// --user with limits: the container, the host and `podman stats` read the same cgroups.
TEST_F(Podman, UserAndLimitsAreVisibleInsideOnTheHostAndInStats) {
  const auto started =
      podman({"run", "-d", "--name", "lim", "--network", "none", "--user", "1000:1000", "--memory", "64m",
              "--pids-limit", "33", "barco-busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const auto inside = podman({"exec", "lim", "sh", "-c",
                              "id -u; cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                              "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; "
                              "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max"});
  ASSERT_EQ(inside.exit_code, 0) << inside.err;
  EXPECT_EQ(inside.out, "1000\n67108864\n33\n");
  const auto pid = podman({"inspect", "--format", "{{.State.Pid}}", "lim"});
  ASSERT_EQ(pid.exit_code, 0) << pid.err;
  const pid_t init = std::stoi(pid.out);
  EXPECT_EQ(read_text(host_cgroup_file(init, "memory", "memory.limit_in_bytes", "memory.max")), "67108864\n");
  EXPECT_EQ(read_text(host_cgroup_file(init, "pids", "pids.max", "pids.max")), "33\n");
  const auto stats = podman({"stats", "--no-stream", "--format", "{{.MemUsage}} {{.PIDs}}", "lim"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  // The shell and, now and then, its sleep: 1 or 2 processes, not the host's count.
  EXPECT_TRUE(stats.out.find(" / 67.11MB 1\n") != std::string::npos ||
              stats.out.find(" / 67.11MB 2\n") != std::string::npos)
      << "podman stats reads another cgroup: " << stats.out;
  EXPECT_EQ(podman({"stop", "-t", "5", "lim"}).exit_code, 0);
}

TEST_F(Podman, InteractiveRunGetsATerminal) {
  // script(1) gives podman a terminal, as a person at a shell would (with a stdin that stays
  // open: at EOF script would end the session before the output arrives).
  RunOptions open_stdin;
  open_stdin.open_stdin = true;
  const auto r = command(
      {"/usr/bin/script", "-qec",
       podman_line() + " run -it --rm --network none barco-busybox sh -c 'tty; echo interactive-ok'", "/dev/null"},
      open_stdin);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("interactive-ok"), std::string::npos) << r.out;
}

TEST_F(Podman, DetachedLogsExecPauseStopAndRm) {
  const auto started = podman({"run", "-d", "--name", "pd", "--network", "none", "barco-busybox", "sh", "-c",
                               "trap 'exit 0' TERM; echo up; while true; do sleep 0.1; done"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const auto id = lines(started.out).back();
  EXPECT_TRUE(fs::exists("/run/barco/" + id + "/state.json")) << "barco keeps no record of podman's container";
  const auto exec =
      podman({"exec", "pd", "sh", "-c", "grep -E 'CapEff|Seccomp:' /proc/self/status; cat /proc/1/status"});
  ASSERT_EQ(exec.exit_code, 0) << exec.err;
  const auto out = lines(exec.out);
  ASSERT_GE(out.size(), 2U);
  EXPECT_NE(exec.out.find(out[0] + "\n"), exec.out.rfind(out[0] + "\n")) << "exec's CapEff differs from PID 1's";
  EXPECT_EQ(out[1], "Seccomp:\t2");
  bool logged = false;
  for (int i = 0; i < 50 && !logged; ++i) {
    logged = podman({"logs", "pd"}).out == "up\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(logged) << podman({"logs", "pd"}).out;
  ASSERT_EQ(podman({"pause", "pd"}).exit_code, 0);
  EXPECT_EQ(podman({"inspect", "--format", "{{.State.Status}}", "pd"}).out, "paused\n");
  EXPECT_EQ(state_of(id), "paused");
  ASSERT_EQ(podman({"unpause", "pd"}).exit_code, 0);
  EXPECT_EQ(state_of(id), "running");
  const auto stop = podman({"stop", "-t", "5", "pd"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  const auto code = podman({"inspect", "--format", "{{.State.ExitCode}}", "pd"});
  EXPECT_EQ(code.out, "0\n") << "the trap did not see SIGTERM";
  EXPECT_EQ(podman({"rm", "pd"}).exit_code, 0);
  EXPECT_FALSE(fs::exists("/run/barco/" + id)) << "podman rm left barco's record";
}

}  // namespace
}  // namespace barco::it
