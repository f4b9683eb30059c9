// Detached containers end to end: run -d, ps, logs, exec, stop, kill, pause, rm, --overlay,
// a killed monitor, and concurrent barco calls. Every test removes what it started; the
// harness then checks that no record, cgroup, mount or process is left.
#include "harness.hpp"

#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace barco::it {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class Lifecycle : public BarcoTest {
 protected:
  // A test that failed half-way must not leave containers running into the next one; the
  // harness's leak checks run after this.
  void TearDown() override {
    if (!state_root().empty() && std::filesystem::exists(state_root())) {
      for (const auto& c : ps_json()) {
        ADD_FAILURE() << "the test left container " << c["id"];
        (void)b({"rm", "-f", c["id"].get<std::string>()});
      }
    }
    BarcoTest::TearDown();
  }

  // barco --root R <args>
  RunResult b(std::vector<std::string> args, const RunOptions& options = {}) {
    args.insert(args.begin(), {"--root", state_root()});
    return barco(args, options);
  }

  nlohmann::json ps_json() {
    const auto r = b({"ps", "-a", "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  nlohmann::json container(const std::string& id) {
    for (const auto& c : ps_json()) {
      if (c["id"] == id) {
        return c;
      }
    }
    return nullptr;
  }

  // Polls `barco ps` until the container has exited (or 10 s passed).
  nlohmann::json wait_exited(const std::string& id) {
    for (int i = 0; i < 500; ++i) {
      auto c = container(id);
      if (c.is_null() || c["status"] == "exited") {
        return c;
      }
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << id << " did not exit";
    return container(id);
  }

  void remove(const std::string& id) {
    const auto r = b({"rm", "-f", id});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }

  void run_detached(const std::string& id, const std::vector<std::string>& command,
                    const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args{"run", "-d", "--name", id, "--rootfs", test_rootfs()};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), command.begin(), command.end());
    const auto r = b(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.out, id + "\n");
  }
};

std::map<std::string, std::string> status_fields(const std::string& status) {
  std::map<std::string, std::string> out;
  for (const auto& line : lines(status)) {
    const auto colon = line.find(':');
    const auto value = line.find_first_not_of(" \t", colon == std::string::npos ? colon : colon + 1);
    if (colon != std::string::npos) {
      out[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
    }
  }
  return out;
}

// Names, types, sizes, modes and contents of every entry: any write, removal or chmod changes it.
std::string tree_digest(const std::string& root) {
  std::string digest;
  std::vector<fs::path> paths;
  for (const auto& e : fs::recursive_directory_iterator(root, fs::directory_options::none)) {
    paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    const auto st = fs::symlink_status(p);
    digest += p.string() + " " + std::to_string(static_cast<int>(st.type())) + " " +
              std::to_string(static_cast<unsigned>(st.permissions()));
    if (st.type() == fs::file_type::regular) {
      std::ifstream in(p, std::ios::binary);
      uint64_t h = 1469598103934665603ULL;
      for (char c; in.get(c);) {
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
      }
      digest += " " + std::to_string(fs::file_size(p)) + " " + std::to_string(h);
    } else if (st.type() == fs::file_type::symlink) {
      digest += " -> " + fs::read_symlink(p).string();
    }
    digest += "\n";
  }
  return digest;
}

TEST_F(Lifecycle, DetachedRunPrintsTheIdAndKeepsRunningUntilRm) {
  run_detached("bg", {"sleep", "30"});
  const auto c = container("bg");
  ASSERT_FALSE(c.is_null());
  EXPECT_EQ(c["status"], "running");
  const pid_t pid = c["pid"].get<int>();
  EXPECT_EQ(::kill(pid, 0), 0) << "the container's init is not alive";
  const auto table = b({"ps"});
  EXPECT_NE(table.out.find("bg"), std::string::npos) << table.out;
  remove("bg");
  EXPECT_NE(::kill(pid, 0), 0) << "rm -f left the init alive";
  EXPECT_TRUE(container("bg").is_null());
}

TEST_F(Lifecycle, LogsHoldStdoutAndStderrAndTheExitCodeIsRecorded) {
  run_detached("job", {"sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 7"});
  const auto c = wait_exited("job");
  EXPECT_EQ(c["exit_code"], 7);
  EXPECT_TRUE(b({"ps"}).out.find("job") == std::string::npos) << "ps without -a lists exited containers";
  const auto logs = b({"logs", "job"});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("to-stdout"), std::string::npos);
  EXPECT_NE(logs.out.find("to-stderr"), std::string::npos);
  remove("job");
}

TEST_F(Lifecycle, LogsFollowUntilTheContainerExits) {
  run_detached("tail", {"sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.2; done"});
  const auto logs = b({"logs", "-f", "tail"});
  EXPECT_EQ(lines(logs.out), (std::vector<std::string>{"line1", "line2", "line3"}));
  remove("tail");
}

TEST_F(Lifecycle, DetachedTtyOutputGoesToTheLog) {
  run_detached("tty", {"sh", "-c", "tty; echo done"}, {"-t"});
  wait_exited("tty");
  const auto logs = b({"logs", "tty"});
  EXPECT_NE(logs.out.find("/dev/pts/0"), std::string::npos) << logs.out;
  remove("tty");
}

TEST_F(Lifecycle, ExecHasTheContainersIsolation) {
  run_detached("iso", {"sleep", "30"});
  const std::string script =
      "for n in mnt pid net uts ipc cgroup; do echo $n $(readlink /proc/self/ns/$n) $(readlink /proc/1/ns/$n); done;"
      "cat /proc/self/status; echo ===; cat /proc/1/status; echo ===; cat /proc/self/cgroup; echo ===; "
      "cat /proc/1/cgroup";
  const auto r = b({"exec", "iso", "sh", "-c", script});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t at; (at = r.out.find("===\n", start)) != std::string::npos; start = at + 4) {
    parts.push_back(r.out.substr(start, at - start));
  }
  parts.push_back(r.out.substr(start));
  ASSERT_EQ(parts.size(), 4U) << r.out;
  const auto ns_lines = lines(parts[0].substr(0, parts[0].find("Name:")));
  ASSERT_EQ(ns_lines.size(), 6U) << parts[0];
  for (const auto& line : ns_lines) {
    std::istringstream in(line);
    std::string name, self, init;
    in >> name >> self >> init;
    EXPECT_EQ(self, init) << "exec is not in the container's " << name << " namespace";
  }
  const auto self = status_fields(parts[0].substr(parts[0].find("Name:")));
  const auto init = status_fields(parts[1]);
  for (const char* field : {"CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb", "Seccomp", "NoNewPrivs", "Uid"}) {
    EXPECT_EQ(self.at(field), init.at(field)) << field;
  }
  EXPECT_EQ(self.at("Seccomp"), "2") << "exec runs without the container's seccomp filter";
  EXPECT_EQ(parts[2], parts[3]) << "exec is not in the container's cgroups";
  remove("iso");
}

TEST_F(Lifecycle, ExecRunsFromAnUnwritableViewOfBarco) {
  run_detached("sealed", {"sleep", "30"});
  bool sealed = false;
  RunOptions watch;
  // Watched until it re-executed itself (slow emulated VMs take a while).
  watch.on_start = [&](pid_t barco_pid) {
    for (int i = 0; i < 1500 && !sealed && ::kill(barco_pid, 0) == 0; ++i) {
      sealed = runs_from_unwritable_binary(barco_pid);
      std::this_thread::sleep_for(10ms);
    }
  };
  const auto r = b({"exec", "sealed", "sleep", "2"}, watch);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(sealed) << "the barco joining the container runs from the host's file (CVE-2019-5736)";
  remove("sealed");
}

TEST_F(Lifecycle, ExecUserEnvWorkdirAndExitCodes) {
  run_detached("who", {"sleep", "30"});
  const auto r = b({"exec", "-u", "1000:1000", "-e", "FOO=bar", "-w", "/tmp", "who", "sh", "-c",
                    "id -u; id -g; echo $FOO; pwd; grep CapEff /proc/self/status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 5U) << r.out;
  EXPECT_EQ(out[0], "1000");
  EXPECT_EQ(out[1], "1000");
  EXPECT_EQ(out[2], "bar");
  EXPECT_EQ(out[3], "/tmp");
  EXPECT_EQ(out[4], "CapEff:\t0000000000000000") << "a non-root exec user keeps no capabilities";
  EXPECT_EQ(b({"exec", "who", "sh", "-c", "exit 4"}).exit_code, 4);
  EXPECT_EQ(b({"exec", "who", "no-such-command"}).exit_code, 127);
  const auto stopped = b({"exec", "nobody-here", "true"});
  EXPECT_EQ(stopped.exit_code, 255) << "an unknown id is runc's failure";
  EXPECT_NE(stopped.err.find("no container 'nobody-here'"), std::string::npos) << stopped.err;
  remove("who");
}

TEST_F(Lifecycle, ExecWithATerminalGetsAPtyOfTheContainersDevpts) {
  run_detached("pty", {"sleep", "30"});
  const auto r = b({"exec", "-t", "pty", "sh", "-c", "tty; grep -c ' /dev/console ' /proc/self/mountinfo"});
  EXPECT_EQ(r.exit_code, 1) << "grep found a /dev/console mount: exec must not change the container's mounts";
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 2U) << r.out << r.err;
  EXPECT_EQ(out[0].rfind("/dev/pts/", 0), 0U) << out[0];
  EXPECT_EQ(out[1], "0");
  remove("pty");
}

TEST_F(Lifecycle, DetachedUserNamespaceContainerLogsWithoutOverlay) {
  run_detached("mapped", {"sh", "-c", "id -u; cat /proc/self/uid_map"}, {"--userns", "private"});
  EXPECT_EQ(wait_exited("mapped")["exit_code"], 0);
  const auto out = lines(b({"logs", "mapped"}).out);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0], "0");
  std::istringstream map(out[1]);
  uint64_t inside = 1, outside = 0, count = 0;
  map >> inside >> outside >> count;
  EXPECT_EQ(inside, 0U) << out[1];
  EXPECT_NE(outside, 0U) << "container root is host root: " << out[1];
  EXPECT_EQ(count, 65536U) << out[1];
  const auto refused = run({"--overlay", "--userns", "private", "true"});
  EXPECT_EQ(refused.exit_code, 125);
  EXPECT_NE(refused.err.find("--overlay with --userns private is not supported"), std::string::npos);
  remove("mapped");
}

TEST_F(Lifecycle, StopDeliversSigtermToTheTrapThenRecordsItsExit) {
  run_detached("trap", {"sh", "-c", "trap 'echo got TERM; exit 3' TERM; echo ready; while true; do sleep 0.1; done"});
  for (int i = 0; i < 100 && b({"logs", "trap"}).out.find("ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  const auto start = std::chrono::steady_clock::now();
  const auto r = b({"stop", "trap"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "stop waited for the SIGKILL timeout";
  EXPECT_NE(b({"logs", "trap"}).out.find("got TERM"), std::string::npos);
  EXPECT_EQ(container("trap")["exit_code"], 3);
  remove("trap");
}

TEST_F(Lifecycle, StopKillsWhatIgnoresSigtermAfterTheTimeout) {
  run_detached("stubborn", {"sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"});
  for (int i = 0; i < 100 && b({"logs", "stubborn"}).out.find("ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(b({"stop", "-t", "1", "stubborn"}).exit_code, 0);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 900ms);
  EXPECT_EQ(container("stubborn")["exit_code"], 128 + SIGKILL);
  remove("stubborn");
}

TEST_F(Lifecycle, KillSendsTheNamedSignal) {
  run_detached("sig", {"sh", "-c", "trap 'echo usr1; exit 0' USR1; echo ready; while true; do sleep 0.1; done"});
  for (int i = 0; i < 100 && b({"logs", "sig"}).out.find("ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(b({"kill", "-s", "USR1", "sig"}).exit_code, 0);
  EXPECT_EQ(wait_exited("sig")["exit_code"], 0);
  EXPECT_NE(b({"logs", "sig"}).out.find("usr1"), std::string::npos);
  const auto bad = b({"kill", "-s", "NOPE", "sig"});
  EXPECT_EQ(bad.exit_code, 125);
  EXPECT_NE(bad.err.find("not a signal"), std::string::npos) << bad.err;
  remove("sig");
}

TEST_F(Lifecycle, RmRefusesARunningContainerWithoutForce) {
  run_detached("busy", {"sleep", "30"});
  const auto r = b({"rm", "busy"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("rm -f"), std::string::npos) << r.err;
  EXPECT_EQ(container("busy")["status"], "running");
  remove("busy");
}

TEST_F(Lifecycle, PauseFreezesAndResumeThaws) {
  run_detached("frozen", {"sleep", "30"});
  ASSERT_EQ(b({"pause", "frozen"}).exit_code, 0);
  EXPECT_EQ(container("frozen")["status"], "paused");
  // What the kernel says about the init's own cgroups: v1 freezer.state, v2 cgroup.events.
  const pid_t init = container("frozen")["pid"].get<int>();
  const std::string unified =
      fs::exists("/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
  auto kernel_says_frozen = [&] {
    bool frozen = false;
    std::ifstream cgroups("/proc/" + std::to_string(init) + "/cgroup");
    for (std::string line; std::getline(cgroups, line);) {
      const auto path = line.substr(line.find(':', line.find(':') + 1) + 1);
      std::string text;
      if (line.find(":freezer:") != std::string::npos) {
        std::ifstream(("/sys/fs/cgroup/freezer" + path + "/freezer.state").c_str()) >> text;
        frozen = frozen || text == "FROZEN";
      } else if (line.rfind("0::", 0) == 0) {
        std::ifstream events(unified + path + "/cgroup.events");
        for (std::string event; std::getline(events, event);) {
          frozen = frozen || event == "frozen 1";
        }
      }
    }
    return frozen;
  };
  bool frozen = kernel_says_frozen();
  for (int i = 0; i < 200 && !frozen; ++i) {  // freezing completes asynchronously
    std::this_thread::sleep_for(10ms);
    frozen = kernel_says_frozen();
  }
  EXPECT_TRUE(frozen) << "the kernel does not report the container's cgroup as frozen";
  ASSERT_EQ(b({"resume", "frozen"}).exit_code, 0);
  EXPECT_EQ(container("frozen")["status"], "running");
  EXPECT_EQ(b({"exec", "frozen", "true"}).exit_code, 0);
  remove("frozen");
}

TEST_F(Lifecycle, OverlayLeavesTheRootfsUntouched) {
  const auto before = tree_digest(test_rootfs());
  run_detached("cow", {"sh", "-c",
                       "echo changed > /etc/passwd && rm /bin/ls && mkdir /new && chmod 700 /etc && "
                       "echo x > /root-file && cat /etc/passwd && test ! -e /bin/ls && echo writes-ok"});
  EXPECT_EQ(wait_exited("cow")["exit_code"], 0);
  const auto logs = b({"logs", "cow"}).out;
  EXPECT_NE(logs.find("writes-ok"), std::string::npos) << logs;
  EXPECT_EQ(tree_digest(test_rootfs()), before) << "the container changed the image directory";
  EXPECT_TRUE(fs::exists(data_root() + "/cow/overlay/upper/new"))
      << "the writes are not in the upper layer under the data root (on disk, not in /run's memory)";
  EXPECT_FALSE(fs::exists(state_root() + "/cow/overlay")) << "the layer is in the state root";
  remove("cow");
  EXPECT_FALSE(fs::exists(data_root() + "/cow")) << "rm left the upper layer";
}

// --data-root is a global flag with a value: its value must not be read as the command.
TEST_F(Lifecycle, DataRootFlagBeforeTheCommandPlacesTheLayer) {
  const auto elsewhere = scratch_dir();
  const auto r = barco({"--data-root", elsewhere, "--root", state_root(), "run", "--rootfs", test_rootfs(), "--overlay",
                        "--", "sh", "-c", "echo x > /written"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("unknown command"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(elsewhere)) << "the foreground run's layer was not removed";
  const auto d = barco({"--data-root", elsewhere, "--root", state_root(), "run", "-d", "--name", "placed", "--rootfs",
                        test_rootfs(), "--", "sleep", "30"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(fs::exists(elsewhere + "/placed")) << "run -d's layer is not under --data-root";
  EXPECT_FALSE(fs::exists(data_root() + "/placed")) << "--data-root lost to BARCO_DATA_ROOT";
  EXPECT_EQ(b({"rm", "-f", "placed"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(elsewhere + "/placed")) << "rm left the layer";
}

// The log is on disk under the data root and holds --log-max-size bytes: a container that
// writes without end fills neither /run's memory nor the disk.
TEST_F(Lifecycle, TheLogHoldsAtMostLogMaxSize) {
  run_detached("chatty", {"sh", "-c", "echo first; head -c 300000 /dev/zero | tr '\\0' a; echo; echo last"},
               {"--log-max-size", "64k"});
  EXPECT_EQ(wait_exited("chatty")["exit_code"], 0) << "the container blocked on its output";
  const auto log = data_root() + "/chatty/container.log";
  ASSERT_TRUE(fs::exists(log));
  EXPECT_LE(fs::file_size(log), 65536U + 100U);
  const auto out = b({"logs", "chatty"}).out;
  EXPECT_EQ(out.rfind("first\n", 0), 0U) << out.substr(0, 100);
  EXPECT_NE(out.find("barco: the log reached --log-max-size"), std::string::npos);
  EXPECT_EQ(out.find("last"), std::string::npos) << "output past the limit was written";
  remove("chatty");
}

TEST_F(Lifecycle, ForegroundOverlayRunIsRemovedWithItsLayer) {
  const auto before = tree_digest(test_rootfs());
  const auto r = run({"--overlay", "sh", "-c", "rm /bin/cat && echo gone"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "gone\n");
  EXPECT_EQ(tree_digest(test_rootfs()), before);
}

TEST_F(Lifecycle, AKilledMonitorTakesTheContainerWithItAndPsSaysSo) {
  run_detached("orphan", {"sleep", "30"});
  std::ifstream in(state_root() + "/orphan/state.json");
  const auto record = nlohmann::json::parse(in);
  const pid_t monitor = record["barco_pid"].get<int>();
  const pid_t init = record["pid"].get<int>();
  ASSERT_GT(monitor, 1);
  ASSERT_EQ(::kill(monitor, SIGKILL), 0);
  for (int i = 0; i < 200 && ::kill(init, 0) == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(::kill(init, 0), 0) << "the container outlived its monitor";
  const auto c = container("orphan");
  EXPECT_EQ(c["status"], "exited");
  EXPECT_EQ(c["exit_code"], 128 + SIGKILL);
  EXPECT_NE(c["note"].get<std::string>().find("monitor"), std::string::npos);
  // rm cleans up what the monitor could not (cgroups, layer, record): the harness checks.
  remove("orphan");
}

TEST_F(Lifecycle, ARunWithTheIdOfAnExitedContainerIsRefused) {
  run_detached("once", {"true"});
  wait_exited("once");
  const auto r = run({"--name", "once", "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("barco rm"), std::string::npos) << r.err;
  remove("once");
}

TEST_F(Lifecycle, TwentyParallelRunsAndRemovalsNeverCorruptState) {
  constexpr int kContainers = 20;
  std::vector<std::thread> threads;
  std::atomic<int> started{0};
  for (int i = 0; i < kContainers; ++i) {
    threads.emplace_back([&, i] {
      const auto r = b({"run", "-d", "--name", "par" + std::to_string(i), "--rootfs", test_rootfs(), "sleep", "30"});
      started += r.exit_code == 0 ? 1 : 0;
    });
  }
  // Two runs racing for one name: exactly one wins.
  std::atomic<int> same{0};
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] {
      same += b({"run", "-d", "--name", "same", "--rootfs", test_rootfs(), "sleep", "30"}).exit_code == 0 ? 1 : 0;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(started, kContainers);
  EXPECT_EQ(same, 1);
  const auto all = ps_json();
  EXPECT_EQ(all.size(), static_cast<size_t>(kContainers + 1));
  for (const auto& c : all) {
    EXPECT_EQ(c["status"], "running") << c.dump();
  }
  threads.clear();
  std::atomic<int> removed{0};
  for (const auto& c : all) {
    threads.emplace_back([&, id = c["id"].get<std::string>()] { removed += b({"rm", "-f", id}).exit_code == 0; });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(removed, kContainers + 1);
  EXPECT_TRUE(ps_json().empty());
}

// runc's --preserve-fds: the caller's fds 3..3+N-1 reach the command (run and exec), and
// nothing else of the caller's or barco's does.
TEST_F(Lifecycle, PreserveFdsPassesTheCallersFdsAndNothingElse) {
  const auto dir = scratch_dir();
  std::ofstream(dir + "/hello") << "hello\n";
  const std::string bin = "'" + barco_binary() + "' --root '" + state_root() + "' ";
  const auto shell = [&](const std::string& script) { return command({"/bin/sh", "-c", script}); };
  // fd 5 is open too, beyond the count: it must not arrive.
  const auto r = shell(
      "exec 3</dev/null 4<'" + dir + "/hello' 5<'" + dir + "/hello'; exec " + bin + "run --rootfs '" + test_rootfs() +
      "' --preserve-fds 2 sh -c 'cat /proc/self/fd/4; for n in 3 4 5 6 7 8 9; do [ -e /proc/self/fd/$n ] "
      "&& echo $n; done; true'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"hello", "3", "4"}));

  run_detached("keeper", {"sleep", "30"});
  const auto e = shell("exec 3<'" + dir + "/hello'; exec " + bin + "exec --preserve-fds 1 keeper cat /proc/self/fd/3");
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.out, "hello\n");
  remove("keeper");
}

TEST_F(Lifecycle, PreserveFdsRefusesADirectoryAndAnFdTheCallerDidNotPass) {
  const std::string run = "exec '" + barco_binary() + "' --root '" + state_root() + "' run --rootfs '" + test_rootfs() +
                          "' --preserve-fds ";
  const auto dir = command({"/bin/sh", "-c", "exec 3</tmp; " + run + "1 true"});
  EXPECT_EQ(dir.exit_code, 125);
  EXPECT_NE(dir.err.find("--preserve-fds 1: fd 3 is a directory of the host"), std::string::npos) << dir.err;
  EXPECT_NE(dir.err.find("CVE-2024-21626"), std::string::npos) << dir.err;
  // The caller (ctest, a CI runner) may itself have fds 3 and 4 open: closed here.
  const auto closed = command({"/bin/sh", "-c", "exec 3<&- 4<&-; " + run + "2 true"});
  EXPECT_EQ(closed.exit_code, 125);
  EXPECT_NE(closed.err.find("--preserve-fds 2: fstat(3): Bad file descriptor"), std::string::npos) << closed.err;
  EXPECT_TRUE(ps_json().empty()) << "a refused start left a record";
}

// runc's exec --cgroup: a sub cgroup of the container's, and never a way out of it.
TEST_F(Lifecycle, ExecJoinsASubCgroupButNoneOutside) {
  run_detached("subcg", {"sleep", "30"});
  const auto pid = container("subcg")["pid"].get<int>();
  // v1: the memory hierarchy, named; pure v2: the one hierarchy, unnamed.
  std::string memory;
  std::string spec = "memory:sub";
  std::string expect = ":memory:/sub\n";
  std::ifstream cgroup("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(cgroup, line);) {
    if (const auto at = line.find(":memory:"); at != std::string::npos && fs::exists("/sys/fs/cgroup/memory")) {
      memory = "/sys/fs/cgroup/memory" + line.substr(at + 8);
    }
  }
  if (memory.empty() && fs::exists("/sys/fs/cgroup/cgroup.controllers")) {
    std::ifstream again("/proc/" + std::to_string(pid) + "/cgroup");
    for (std::string line; std::getline(again, line);) {
      if (line.rfind("0::", 0) == 0) {
        memory = "/sys/fs/cgroup" + line.substr(3);
        spec = "sub";
        expect = "0::/sub\n";
      }
    }
  }
  if (memory.empty()) {
    remove("subcg");
    GTEST_SKIP() << "no memory cgroup of its own on this host";
  }
  ASSERT_TRUE(fs::create_directory(memory + "/sub")) << memory;
  const auto in = b({"exec", "--cgroup", spec, "subcg", "cat", "/proc/self/cgroup"});
  EXPECT_EQ(in.exit_code, 0) << in.err;
  EXPECT_NE(in.out.find(expect), std::string::npos) << in.out;
  const auto up = b({"exec", "--cgroup", "..", "subcg", "true"});
  EXPECT_NE(up.exit_code, 0);
  EXPECT_NE(up.err.find(".. is not a sub cgroup path"), std::string::npos) << up.err;
  const auto missing = b({"exec", "--cgroup", "nonexistent", "subcg", "true"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("/nonexistent: No such file or directory"), std::string::npos) << missing.err;
  const auto unknown = b({"exec", "--cgroup", "whaaat:/", "subcg", "true"});
  EXPECT_NE(unknown.err.find("unknown controller whaaat"), std::string::npos) << unknown.err;
  remove("subcg");
  EXPECT_FALSE(fs::exists(memory)) << "rm left the container's cgroup (with its sub cgroup)";
}

}  // namespace
}  // namespace barco::it
