// barco run against the busybox rootfs, asserted from inside the container.
#include "harness.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace barco::it {
namespace {

using namespace std::chrono_literals;

std::set<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

std::string host_hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

// The interfaces of the suite's network namespace (the "host" here; /sys/class/net would
// show the namespace that mounted /sys instead).
std::set<std::string> host_interfaces() {
  std::set<std::string> out;
  if (auto* names = ::if_nameindex()) {
    for (auto* n = names; n->if_index != 0; ++n) {
      out.insert(n->if_name);
    }
    ::if_freenameindex(names);
  }
  return out;
}

// The host pid of a running container's PID 1, from its state record.
pid_t container_pid(const std::string& state_root, const std::string& id) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(state_root + "/" + id + "/state.json");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const auto running = text.find("\"running\"");
    const auto at = text.find("\"pid\": ");
    if (running != std::string::npos && at != std::string::npos) {
      return std::stoi(text.substr(at + 7));
    }
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

using BarcoRun = BarcoTest;

TEST_F(BarcoRun, CommandIsPid1) {
  const auto r = run({"sh", "-c", "echo $$"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
}

TEST_F(BarcoRun, HostnameIsPrivateAndDefaultsToTheId) {
  const auto r = run({"--name", "itname", "hostname"});
  EXPECT_EQ(r.out, "itname\n") << r.err;
  EXPECT_EQ(run({"--hostname", "web", "hostname"}).out, "web\n");
  EXPECT_NE(host_hostname(), "web");
}

TEST_F(BarcoRun, UtsHostSharesTheHostname) {
  const auto r = run({"--uts", "host", "hostname"});
  EXPECT_EQ(r.out, host_hostname() + "\n") << r.err;
}

TEST_F(BarcoRun, NetworkNoneHasOnlyLoopbackAndItIsUp) {
  const auto r = run({"sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/flags"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto l = lines(r.out);
  ASSERT_EQ(l.size(), 2U) << r.out;
  EXPECT_EQ(l[0], "lo");
  EXPECT_NE(std::stoul(l[1], nullptr, 16) & IFF_UP, 0UL) << "lo is down: " << l[1];
}

TEST_F(BarcoRun, NetworkHostSeesTheHostsInterfaces) {
  if (host_interfaces().size() < 2) {
    GTEST_SKIP() << "the host has only lo: sharing its network would look like --network none";
  }
  const auto r = run({"--network", "host", "ls", "/sys/class/net"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(as_set(lines(r.out)), host_interfaces());
}

TEST_F(BarcoRun, MountTableHoldsOnlyTheContainersMounts) {
  const auto r = run({"sh", "-c", "cut -d' ' -f5 /proc/self/mountinfo"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Besides the seven filesystems, only docker's masked and read-only paths (those that
  // exist on this kernel) and the container's cgroups under /sys/fs/cgroup are mount points.
  const std::set<std::string> protected_paths{"/proc/acpi",
                                              "/proc/asound",
                                              "/proc/interrupts",
                                              "/proc/kcore",
                                              "/proc/keys",
                                              "/proc/latency_stats",
                                              "/proc/sched_debug",
                                              "/proc/scsi",
                                              "/proc/timer_list",
                                              "/proc/timer_stats",
                                              "/sys/devices/virtual/powercap",
                                              "/sys/firmware",
                                              "/proc/bus",
                                              "/proc/fs",
                                              "/proc/irq",
                                              "/proc/sys",
                                              "/proc/sysrq-trigger"};
  std::set<std::string> filesystems;
  for (const auto& m : lines(r.out)) {
    if (protected_paths.count(m) == 0 && m.find("/thermal_throttle") == std::string::npos &&
        m.rfind("/sys/fs/cgroup", 0) != 0) {
      filesystems.insert(m);
    }
  }
  // docker's name files are bound over the image's, for --network none too.
  EXPECT_EQ(filesystems, (std::set<std::string>{"/", "/dev", "/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                                                "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"}))
      << r.out;
}

TEST_F(BarcoRun, SysIsReadOnly) {
  // Writes lo's own MTU back unchanged: lo is the container's (private netns), so even if
  // /sys were writable nothing on the host would change.
  const auto r = run({"sh", "-c",
                      "awk '$5 == \"/sys\" {print $6}' /proc/self/mountinfo; v=$(cat /sys/class/net/lo/mtu); "
                      "(echo $v > /sys/class/net/lo/mtu) 2>/dev/null && echo writable || echo blocked"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto l = lines(r.out);
  ASSERT_EQ(l.size(), 2U) << r.out;
  EXPECT_EQ(l[0].substr(0, 3), "ro,");
  EXPECT_EQ(l[1], "blocked");
}

TEST_F(BarcoRun, DevHoldsExactlyTheDefaultNodes) {
  const auto r =
      run({"sh", "-c",
           "ls /dev; stat -c '%n %F %t:%T %a' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto l = lines(r.out);
  const std::set<std::string> names(l.begin(), l.end() - 6);
  EXPECT_EQ(names, (std::set<std::string>{"fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr",
                                          "stdin", "stdout", "tty", "urandom", "zero"}));
  const std::vector<std::string> nodes(l.end() - 6, l.end());
  EXPECT_EQ(nodes, (std::vector<std::string>{
                       "/dev/null character special file 1:3 666", "/dev/zero character special file 1:5 666",
                       "/dev/full character special file 1:7 666", "/dev/random character special file 1:8 666",
                       "/dev/urandom character special file 1:9 666", "/dev/tty character special file 5:0 666"}));
}

TEST_F(BarcoRun, DevLinksAndPtmx) {
  const auto r =
      run({"sh", "-c", "for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done; echo ok > /dev/stdout"});
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"pts/ptmx", "/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1",
                                                    "/proc/self/fd/2", "ok"}))
      << r.err;
}

TEST_F(BarcoRun, UserAndGroupIds) {
  EXPECT_EQ(run({"-u", "1000:1000", "sh", "-c", "id -u; id -g; id -G"}).out, "1000\n1000\n1000\n");
  // by name: supplementary groups from the rootfs's /etc/group
  EXPECT_EQ(run({"-u", "user", "id"}).out, "uid=1000(user) gid=1000(user) groups=29(audio),100(users)\n");
}

TEST_F(BarcoRun, EnvAndWorkdir) {
  const auto r =
      run({"-e", "A=1", "-w", "/tmp/made", "sh", "-c", "echo $A; pwd; echo $HOME; echo $HOSTNAME; echo $PATH"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto l = lines(r.out);
  ASSERT_EQ(l.size(), 5U) << r.out;
  EXPECT_EQ(l[0], "1");
  EXPECT_EQ(l[1], "/tmp/made");
  EXPECT_EQ(l[2], "/root");
  EXPECT_EQ(l[3].size(), 12U);  // the random 12-hex id
  EXPECT_EQ(l[4], "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  std::filesystem::remove_all(test_rootfs() + "/tmp/made");
}

TEST_F(BarcoRun, VolumesReadOnlyAndReadWrite) {
  const auto dir = scratch_dir();
  std::ofstream(dir + "/f") << "host-data\n";
  const auto ro = run(
      {"-v", dir + ":/data:ro", "sh", "-c", "cat /data/f; touch /data/new 2>/dev/null && echo wrote || echo refused"});
  EXPECT_EQ(lines(ro.out), (std::vector<std::string>{"host-data", "refused"})) << ro.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/new"));
  const auto rw = run({"-v", dir + ":/data", "sh", "-c", "echo from-container > /data/new"});
  EXPECT_EQ(rw.exit_code, 0) << rw.err;
  std::ifstream in(dir + "/new");
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "from-container");
}

TEST_F(BarcoRun, ReadOnlyRootWithATmpfs) {
  const auto r = run({"--read-only", "--tmpfs", "/run", "sh", "-c",
                      "touch /x 2>/dev/null && echo root-writable || echo root-ro; touch /run/y && echo tmpfs-ok"});
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"root-ro", "tmpfs-ok"})) << r.err;
  EXPECT_FALSE(std::filesystem::exists(test_rootfs() + "/x"));
  const auto rw = run({"sh", "-c", "touch /x && echo root-writable; rm /x"});
  EXPECT_EQ(rw.out, "root-writable\n");
}

TEST_F(BarcoRun, NoFdBeyondStdioReachesTheCommand) {
  // the shell lists its own fds (the trailing ':' keeps it from exec'ing ls)
  RunOptions o;
  o.leak_fd_to_barco = true;
  const auto r = run({"sh", "-c", "ls /proc/$$/fd; :"}, o);
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"0", "1", "2"})) << r.err;
}

TEST_F(BarcoRun, CwdIsInsideTheRoot) {
  const auto r = run({"-w", "/tmp", "sh", "-c", "readlink /proc/1/cwd; cd .. && pwd"});
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"/tmp", "/"})) << r.err;
}

TEST_F(BarcoRun, ExitStatusIsTheCommands) {
  EXPECT_EQ(run({"true"}).exit_code, 0);
  EXPECT_EQ(run({"sh", "-c", "exit 7"}).exit_code, 7);
}

TEST_F(BarcoRun, KilledBySignalIs128PlusN) {
  // SIGKILL from outside to the container's PID 1 (the command itself).
  RunOptions o;
  o.on_start = [&](pid_t) {
    const pid_t init = container_pid(state_root(), "killed");
    ASSERT_GT(init, 0);
    ::kill(init, SIGKILL);
  };
  EXPECT_EQ(run({"--name", "killed", "sleep", "30"}, o).exit_code, 137);
  // SIGKILL from inside, with --init so the victim is not PID 1 (PID 1 ignores it).
  EXPECT_EQ(run({"--init", "sh", "-c", "kill -9 $$"}).exit_code, 137);
}

TEST_F(BarcoRun, SigtermToBarcoIsForwarded) {
  // with --init: the command dies of SIGTERM -> 143 (init holds the signal until it runs)
  RunOptions o;
  o.on_start = [&](pid_t barco) {
    ASSERT_GT(container_pid(state_root(), "term"), 0);
    ::kill(barco, SIGTERM);
  };
  EXPECT_EQ(run({"--name", "term", "--init", "sleep", "30"}, o).exit_code, 143);
  // without: PID 1 gets it through its own handler, once the shell has installed it
  // (PID 1 drops signals it has no handler for, as in docker).
  const auto sync = scratch_dir();
  RunOptions t;
  t.on_start = [&](pid_t barco) {
    for (int i = 0; i < 500 && !std::filesystem::exists(sync + "/trapped"); ++i) {
      std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(std::filesystem::exists(sync + "/trapped"));
    ::kill(barco, SIGTERM);
  };
  const auto r = run(
      {"-v", sync + ":/sync", "sh", "-c", "trap 'echo got-term; exit 3' TERM; touch /sync/trapped; sleep 30 & wait"},
      t);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "got-term\n");
}

TEST_F(BarcoRun, InitReapsOrphanedZombies) {
  // The subshell exits at once, its sleep becomes an orphan of PID 1, exits after 0.1 s,
  // and stays a zombie unless PID 1 reaps it. `exec sleep` makes PID 1 a non-reaper.
  auto zombies_of_container = [&](const std::string& id, bool init) {
    int zombies = -1;
    RunOptions o;
    o.on_start = [&](pid_t) {
      const pid_t pid1 = container_pid(state_root(), id);
      ASSERT_GT(pid1, 0);
      std::this_thread::sleep_for(600ms);
      zombies = 0;
      for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        if (e.path().filename().string().find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(e.path().string() + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), {});
        const auto close = text.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(text.substr(close + 2));
        std::string state;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (state == "Z" && ppid == pid1) ++zombies;
      }
    };
    std::vector<std::string> args{"--name", id};
    if (init) args.emplace_back("--init");
    args.insert(args.end(), {"sh", "-c", "(sleep 0.1 &); exec sleep 1"});
    EXPECT_EQ(run(args, o).exit_code, 0);
    return zombies;
  };
  EXPECT_EQ(zombies_of_container("noinit", false), 1) << "the control case must produce a zombie";
  EXPECT_EQ(zombies_of_container("withinit", true), 0);
}

TEST_F(BarcoRun, BarcoErrorsExit125) {
  const auto bad_flag = run({"--bogus", "--", "true"});
  EXPECT_EQ(bad_flag.exit_code, 125);
  EXPECT_NE(bad_flag.err.find("--bogus"), std::string::npos);
  const auto no_rootfs = barco({"--root", state_root(), "run", "--rootfs", "/nonexistent-rootfs", "true"});
  EXPECT_EQ(no_rootfs.exit_code, 125);
  EXPECT_NE(no_rootfs.err.find("barco: --rootfs '/nonexistent-rootfs': No such file or directory — hint:"),
            std::string::npos)
      << no_rootfs.err;
}

TEST_F(BarcoRun, NotExecutable126NotFound127) {
  const auto r126 = run({"/etc/passwd"});
  EXPECT_EQ(r126.exit_code, 126);
  EXPECT_NE(r126.err.find("barco: exec: execve(\"/etc/passwd\"): Permission denied (errno 13)"), std::string::npos)
      << r126.err;
  const auto r127 = run({"no-such-command"});
  EXPECT_EQ(r127.exit_code, 127);
  EXPECT_NE(r127.err.find("no \"no-such-command\" in the container's PATH"), std::string::npos) << r127.err;
  EXPECT_EQ(run({"--init", "no-such-command"}).exit_code, 127);
}

TEST_F(BarcoRun, ChildFailureIsReportedWithItsStep) {
  const auto r = run({"-w", "/etc/passwd", "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("barco: change_dir: chdir(\"/etc/passwd\"): Not a directory (errno 20)"), std::string::npos)
      << r.err;
  const auto t = run({"--tmpfs", "/mnt:size=bogus", "true"});
  EXPECT_EQ(t.exit_code, 125);
  EXPECT_NE(t.err.find("barco: mount_tmpfs: mount(\"tmpfs\" -> \""), std::string::npos) << t.err;
  EXPECT_NE(t.err.find("Invalid argument (errno 22)"), std::string::npos) << t.err;
}

TEST_F(BarcoRun, SecondContainerWithTheSameNameIsRefused) {
  RunOptions o;
  o.on_start = [&](pid_t first) {
    ASSERT_GT(container_pid(state_root(), "same"), 0);
    const auto second = run({"--name", "same", "true"});
    EXPECT_EQ(second.exit_code, 125);
    EXPECT_NE(second.err.find("already called 'same'"), std::string::npos) << second.err;
    ::kill(first, SIGTERM);
  };
  (void)run({"--name", "same", "--init", "sleep", "30"}, o);
}

// Runs a container named "orphan", SIGKILLs its barco and checks the container died with it
// (PR_SET_PDEATHSIG) while record and cgroup stayed behind. Returns the cgroup's path.
std::string leave_an_orphan(const std::string& state_root,
                            const std::function<RunResult(const std::vector<std::string>&, const RunOptions&)>& run) {
  std::string cgroup;
  RunOptions o;
  o.on_start = [&](pid_t barco) {
    const pid_t init = container_pid(state_root, "orphan");
    ASSERT_GT(init, 0);
    // The first cgroup in the record (the devices one on v1, the only one on v2).
    std::ifstream state(state_root + "/orphan/state.json");
    const std::string text((std::istreambuf_iterator<char>(state)), {});
    const auto at = text.find("\"/sys/fs/cgroup/");
    if (at != std::string::npos) cgroup = text.substr(at + 1, text.find('"', at + 1) - at - 1);
    ::kill(barco, SIGKILL);
    for (int i = 0; i < 200 && ::kill(init, 0) == 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_NE(::kill(init, 0), 0) << "the container outlived barco";
  };
  EXPECT_EQ(run({"--name", "orphan", "sleep", "30"}, o).exit_code, 137);
  EXPECT_TRUE(std::filesystem::exists(state_root + "/orphan")) << "a SIGKILLed barco cannot clean up itself";
  EXPECT_FALSE(cgroup.empty());
  EXPECT_TRUE(std::filesystem::exists(cgroup));
  return cgroup;
}

TEST_F(BarcoRun, KilledBarcoTakesItsContainerAlongAndTheNextRunCleansUp) {
  const auto cgroup = leave_an_orphan(state_root(), [&](const auto& a, const auto& o) { return run(a, o); });
  ASSERT_FALSE(cgroup.empty());
  EXPECT_EQ(run({"true"}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(state_root() + "/orphan")) << "the next run removes the stale record";
  EXPECT_FALSE(std::filesystem::exists(cgroup)) << "...and its cgroup";
}

TEST_F(BarcoRun, GcRemovesWhatAKilledBarcoLeft) {
  const auto cgroup = leave_an_orphan(state_root(), [&](const auto& a, const auto& o) { return run(a, o); });
  ASSERT_FALSE(cgroup.empty());
  const auto gc = barco({"--root", state_root(), "gc"});
  EXPECT_EQ(gc.exit_code, 0);
  EXPECT_EQ(gc.out, "removed orphan\n");
  EXPECT_FALSE(std::filesystem::exists(state_root() + "/orphan"));
  EXPECT_FALSE(std::filesystem::exists(cgroup));
  EXPECT_EQ(barco({"--root", state_root(), "gc"}).out, "") << "nothing left the second time";
}

TEST_F(BarcoRun, DoctorDescribesThisHost) {
  const auto table = barco({"doctor"});
  EXPECT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("full isolation here"), std::string::npos) << table.out;
  const auto json = barco({"doctor", "--json"});
  EXPECT_EQ(json.exit_code, 0);
  const bool v2_only = std::filesystem::exists("/sys/fs/cgroup/cgroup.subtree_control");
  EXPECT_NE(json.out.find(v2_only ? "\"unified (cgroup v2)\"" : "\"hybrid (v1 controllers + cgroup2)\""),
            std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"ok\": true"), std::string::npos);
}

TEST_F(BarcoRun, DryRunPrintsThePlanAndTouchesNothing) {
  const auto r = run({"--name", "dry", "--dry-run", "sh", "-c", "echo hi"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("clone3(CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET"), std::string::npos);
  EXPECT_NE(r.out.find("execve([\"sh\", \"-c\", \"echo hi\"]"), std::string::npos);
  EXPECT_EQ(r.out.find("hi\n"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(state_root() + "/dry"));
}

TEST_F(BarcoRun, UlimitIsApplied) {
  EXPECT_EQ(run({"--ulimit", "nofile=123:456", "sh", "-c", "ulimit -n; ulimit -Hn"}).out, "123\n456\n");
}

TEST_F(BarcoRun, PrivateUserNamespaceMapsRootToAnUnprivilegedRange) {
  const auto r = run({"--userns", "private", "sh", "-c", "id -u; cat /proc/self/uid_map; ls /dev"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto l = lines(r.out);
  ASSERT_GE(l.size(), 2U);
  EXPECT_EQ(l[0], "0");
  std::istringstream map(l[1]);
  uint64_t inside = 1, outside = 0, count = 0;
  map >> inside >> outside >> count;
  EXPECT_EQ(inside, 0U);
  EXPECT_GT(outside, 0U) << "container root must not be host root";
}

// The container's root is an unprivileged host uid: it cannot reach a volume below a
// directory only the host's root may enter. The parent clones the volume's tree with the
// caller's rights (open_tree) and the child attaches it, as runc and crun do; the file
// itself stays as protected as it was (root's 0600 file reads as nobody's).
TEST_F(BarcoRun, AUserNamespaceMountsVolumesItsRootCouldNotReach) {
  namespace fs = std::filesystem;
  const auto dir = scratch_dir();
  fs::create_directories(dir + "/locked/shared");
  std::ofstream(dir + "/locked/shared/readable") << "through the clone\n";
  fs::permissions(dir + "/locked/shared/readable",
                  fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir + "/locked", fs::perms::owner_all);  // 0700, host root's
  const auto r = run({"--userns", "private", "-v", dir + "/locked/shared:/mnt", "-v", dir + "/locked/shared:/vol:ro",
                      "sh", "-c", "cat /mnt/readable; touch /vol/x 2>&1 || echo ro-refused"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out).front(), "through the clone");
  EXPECT_EQ(lines(r.out).back(), "ro-refused") << "the clone keeps the bind's own flags";
}

TEST_F(BarcoRun, VerboseLogsEveryStepByName) {
  const auto r = barco({"--root", state_root(), "--verbose", "run", "--rootfs", test_rootfs(), "true"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* step :
       {"reserve_id", "clone", "make_root_private", "mount_proc", "pivot_root", "set_hostname", "exec"}) {
    EXPECT_NE(r.err.find(std::string("debug: ") + step + ":"), std::string::npos) << step << "\n" << r.err;
  }
  EXPECT_EQ(run({"true"}).err, "") << "quiet by default";
}

TEST_F(BarcoRun, TimingsMeasureTheStartUpAndEveryStepOnBothSides) {
  const auto r = run({"--timings", "-m", "64m", "sh", "-c", "exit 3"});
  EXPECT_EQ(r.exit_code, 3) << "--timings keeps the command's status";
  // A measured line ends in a number of milliseconds; "-" would mean it never arrived.
  const auto measured = [&](const std::string& label) {
    const auto at = r.err.find(label);
    if (at == std::string::npos) return false;
    const auto end = r.err.find('\n', at);
    const auto line = r.err.substr(at, end - at);
    const auto last = line.find_last_of(' ');
    return last != std::string::npos && std::isdigit(static_cast<unsigned char>(line[last + 1])) != 0;
  };
  for (const char* label : {"start-up     flags", "start-up     config", "start-up     plan", "parent       reserve_id",
                            "parent       create_cgroups", "parent       clone", "child        pivot_root",
                            "child        mask_paths", "child        drop_bounding_caps", "parent       supervise",
                            "teardown", "total (barco's main to exit status)"}) {
    EXPECT_TRUE(measured(label)) << label << " is missing or unmeasured in\n" << r.err;
  }
}

// Drives barco through a pty the test owns, like a person at a terminal.
TEST_F(BarcoRun, InteractiveShellGetsItsOwnPty) {
  int master = -1;
  winsize ws{};
  ws.ws_row = 33;
  ws.ws_col = 101;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const auto bin = barco_binary();
    const auto root = test_rootfs();
    const auto state = state_root();
    ::execl(bin.c_str(), bin.c_str(), "--root", state.c_str(), "run", "--rootfs", root.c_str(), "--hostname", "ptyhost",
            "sh", static_cast<char*>(nullptr));
    ::_exit(99);
  }
  std::string seen;
  auto read_until = [&](const std::string& needle, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (seen.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        char buf[4096];
        const ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) break;
        seen.append(buf, static_cast<size_t>(n));
      }
    }
    return seen.find(needle) != std::string::npos;
  };
  ASSERT_TRUE(read_until("# ", 5s)) << "no prompt: " << seen;
  const std::string cmd = "tty; stty size; hostname; echo $((6*7)); exit 3\n";
  ASSERT_EQ(::write(master, cmd.data(), cmd.size()), static_cast<ssize_t>(cmd.size()));
  EXPECT_TRUE(read_until("42", 5s)) << seen;
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_NE(seen.find("/dev/pts/0"), std::string::npos) << seen;
  EXPECT_NE(seen.find("33 101"), std::string::npos) << "window size not passed on: " << seen;
  EXPECT_NE(seen.find("ptyhost"), std::string::npos) << seen;
}

}  // namespace
}  // namespace barco::it
