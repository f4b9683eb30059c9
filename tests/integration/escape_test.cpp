// Escapes played from the attacker's side: a hostile process inside a running container, a
// hostile image, a hostile caller's path. Each test names the hole it closes (the table in
// docs/security-model.md lists them with their CVEs) and fails if that defence is removed.
#include "harness.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace barco::it {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class Escape : public BarcoTest {
 protected:
  void TearDown() override {
    for (const auto& id : started_) {
      (void)b({"rm", "-f", id});
    }
    BarcoTest::TearDown();
  }

  // barco --root R <args>
  RunResult b(std::vector<std::string> args, const RunOptions& options = {}) {
    args.insert(args.begin(), {"--root", state_root()});
    return barco(args, options);
  }

  // A detached container running `script` (then sleeping), removed by TearDown. Its /dev is
  // its own tmpfs, so the hostile changes touch nothing shared.
  void start(const std::string& id, const std::string& script) {
    const auto r = b({"run", "-d", "--no-overlay", "--name", id, "--rootfs", test_rootfs(), "sh", "-c",
                      script + " && touch /dev/.ready; sleep 60"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    started_.push_back(id);
    for (int i = 0; i < 200; ++i) {
      if (b({"exec", "-i", id, "sh", "-c", "test -e /dev/.ready"}).exit_code == 0) {
        return;
      }
      std::this_thread::sleep_for(20ms);
    }
    FAIL() << id << ": the hostile set-up did not finish";
  }

  // A minimal image of the test's own: busybox and whatever `prepare` puts next to it.
  std::string image(const std::function<void(const std::string&)>& prepare) {
    const auto root = scratch_dir();
    fs::create_directories(root + "/bin");
    fs::create_directories(root + "/etc");
    fs::copy_file(test_rootfs() + "/bin/busybox", root + "/bin/busybox");
    for (const char* tool : {"sh", "true", "id"}) {
      fs::create_symlink("busybox", root + "/bin/" + tool);
    }
    prepare(root);
    return root;
  }

  std::vector<std::string> started_;
};

// The hole: `barco exec` opened the container's /dev/null by name after joining it, holding
// a host directory fd (fd 7 here, as a careless caller passes it; a cgroup v2 directory fd
// in barco itself). A link /dev/null -> /proc/self/fd/7 made that fd the command's stdin,
// and `..` from it walks the host. Defences: close_host_fds right after clone, and the
// open of /dev/null inside the root without magic links, checked to be char 1:3.
// fd 2 is open in the exec'ing child too (the caller's stderr): the link to it proves the
// magic-link refusal on its own, the link to fd 7 the early close as well.
TEST_F(Escape, ExecRefusesADevNullTheContainerReplacedWithAnFdLink) {
  for (const std::string fd : {"7", "2"}) {
    const auto id = "devnull" + fd;
    start(id, "rm /dev/null && ln -s /proc/self/fd/" + fd + " /dev/null");
    RunOptions leak;
    leak.leak_fd_to_barco = true;
    const auto r = b({"exec", id, "sh", "-c", "ls -a /proc/self/fd/0/; echo reached"}, leak);
    EXPECT_EQ(r.exit_code, 125) << r.out << r.err;
    EXPECT_EQ(r.out.find("reached"), std::string::npos) << "the command ran with stdin " << r.out;
    EXPECT_NE(r.err.find("detach_stdin"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not the null device"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(fd == "7" ? "No such file" : "Too many levels of symbolic links"), std::string::npos) << r.err;
  }
}

// A FIFO in /dev/null's place: a plain open(O_RDONLY) blocked barco exec for ever.
TEST_F(Escape, ExecDoesNotBlockOnAFifoInPlaceOfDevNull) {
  start("fifo", "rm /dev/null && mkfifo /dev/null");
  const auto before = std::chrono::steady_clock::now();
  const auto r = b({"exec", "fifo", "true"});
  EXPECT_LT(std::chrono::steady_clock::now() - before, 10s);
  EXPECT_EQ(r.exit_code, 125) << r.err;
  EXPECT_NE(r.err.find("not the null device"), std::string::npos) << r.err;
}

// exec -t opened the container's /dev/ptmx by name with the same privileges.
TEST_F(Escape, ExecTtyRefusesAPtmxTheContainerReplaced) {
  start("ptmx", "rm /dev/ptmx && ln -s /proc/self/fd/7 /dev/ptmx");
  RunOptions leak;
  leak.leak_fd_to_barco = true;
  const auto r = b({"exec", "-t", "ptmx", "sh", "-c", "echo reached"}, leak);
  EXPECT_EQ(r.exit_code, 125) << r.out << r.err;
  EXPECT_EQ(r.out.find("reached"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("setup_terminal"), std::string::npos) << r.err;
}

// CVE-2019-5736: a process that holds the runtime's binary through /proc/<pid>/exe (from
// inside the container: the target of `exec /proc/self/exe`, or any barco process in its
// pid namespace) reopens it for writing once the runtime has exited. barco runs from a
// read-only view of itself, so that open fails.
TEST_F(Escape, RuntimeBinaryHeldThroughProcExeCannotBeReopenedForWriting) {
  int held = -1;
  RunOptions o;
  o.on_start = [&](pid_t pid) {
    const std::string exe = "/proc/" + std::to_string(pid) + "/exe";
    // Before the re-exec the exe is the host's file; the attacker takes it once it is not.
    for (int i = 0; i < 400 && held < 0; ++i) {
      if (runs_from_unwritable_binary(pid)) {
        held = ::open(exe.c_str(), O_PATH | O_CLOEXEC);
      } else {
        std::this_thread::sleep_for(5ms);
      }
    }
  };
  const auto r = run({"sleep", "0.5"}, o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_GE(held, 0) << "barco's /proc/PID/exe never became a read-only view of its binary";
  const std::string again = "/proc/self/fd/" + std::to_string(held);
  const int writable = ::open(again.c_str(), O_WRONLY | O_CLOEXEC);
  const int err = errno;
  EXPECT_LT(writable, 0) << "the runtime's binary was reopened for writing";
  EXPECT_EQ(err, EROFS);
  if (writable >= 0) ::close(writable);
  ::close(held);
}

// ../ in an id named a directory outside the state root: rm -f deleted it, and kill, stop,
// exec and state read a state.json through it.
TEST_F(Escape, IdsWithPathsNameNoContainer) {
  const auto victim = fs::path(state_root()).parent_path() / ("victim-" + std::to_string(::getpid()));
  fs::create_directories(victim);
  std::ofstream(victim / "state.json") << "{}";
  const std::string id = "../" + victim.filename().string();
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"rm", "-f", id}, {"kill", id}, {"stop", id}, {"exec", id, "true"}, {"state", id}, {"delete", id}}) {
    const auto r = b(cmd);
    EXPECT_NE(r.exit_code, 0) << cmd.front();
    EXPECT_NE(r.err.find("not a valid container id"), std::string::npos) << cmd.front() << ": " << r.err;
  }
  EXPECT_TRUE(fs::exists(victim / "state.json")) << "rm -f removed a directory outside the state root";
  fs::remove_all(victim);
}

// A hostile image: /etc/passwd as a FIFO hung every run (the home directory is looked up
// even without -u), /etc/group as a device or a huge file exhausted a root exec's memory.
TEST_F(Escape, HostileImageFilesAreRefusedNotRead) {
  const auto fifo =
      image([](const std::string& root) { ASSERT_EQ(::mkfifo((root + "/etc/passwd").c_str(), 0644), 0); });
  const auto before = std::chrono::steady_clock::now();
  auto r = barco({"--root", state_root(), "run", "--rootfs", fifo, "true"});
  EXPECT_LT(std::chrono::steady_clock::now() - before, 10s);
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("/etc/passwd is not a regular file"), std::string::npos) << r.err;

  const auto zero = image([](const std::string& root) {
    std::ofstream(root + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
    ASSERT_EQ(::mknod((root + "/etc/zero").c_str(), S_IFCHR | 0644, makedev(1, 5)), 0);
    fs::create_symlink("/etc/zero", root + "/etc/group");
  });
  r = barco({"--root", state_root(), "run", "--rootfs", zero, "-u", "root:root", "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("/etc/group is not a regular file"), std::string::npos) << r.err;

  const auto huge =
      image([](const std::string& root) { std::ofstream(root + "/etc/passwd") << std::string(5 << 20, '#'); });
  r = barco({"--root", state_root(), "run", "--rootfs", huge, "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("larger than 4 MiB"), std::string::npos) << r.err;
}

// A `:ro` volume was remounted read-only at its top only: a filesystem mounted below the
// source stayed writable inside the container, and the remount dropped the source's own
// nosuid and noexec. The host side runs in a private mount namespace of the test's.
TEST_F(Escape, ReadOnlyVolumeIsReadOnlyAllTheWayDownAndKeepsItsSourcesFlags) {
  const auto src = scratch_dir();
  const std::string mount = "'" + test_rootfs() + "/bin/mount'";
  const std::string script = mount + " -t tmpfs -o nosuid,noexec tmpfs '" + src + "' && mkdir '" + src + "/sub' && " +
                             mount + " -t tmpfs tmpfs '" + src + "/sub' && exec '" + barco_binary() + "' --root '" +
                             state_root() + "' run --rootfs '" + test_rootfs() + "' -v '" + src +
                             ":/vol:ro' sh -c 'grep -E \" /vol(/sub)? \" /proc/self/mountinfo; touch /vol/sub/x'";
  // busybox's unshare and mount, from the test rootfs: the VMs have nothing else.
  const auto r =
      command({test_rootfs() + "/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script});
  EXPECT_NE(r.exit_code, 0) << "a file was created in a submount of a read-only volume";
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  const auto mounts = lines(r.out);
  ASSERT_EQ(mounts.size(), 2U) << r.out;
  for (const auto& m : mounts) {
    EXPECT_NE(m.find(" ro,"), std::string::npos) << m;
  }
  EXPECT_NE(mounts[0].find("nosuid"), std::string::npos) << "the source's nosuid was dropped: " << mounts[0];
  EXPECT_NE(mounts[0].find("noexec"), std::string::npos) << "the source's noexec was dropped: " << mounts[0];
}

// CVE-2019-19921, CVE-2023-27561/28642 (runc), CVE-2025-54867 (youki): an image whose /proc
// is a symlink had procfs mounted where the link led, so the masked and read-only paths
// (named under /proc) protected nothing, or an LSM label was written to a plain file.
TEST_F(Escape, ImageWithASymlinkedProcIsRefused) {
  const auto root = image([](const std::string& r) {
    fs::create_directories(r + "/fake");
    fs::create_symlink("fake", r + "/proc");
  });
  const auto r = barco({"--root", state_root(), "run", "--rootfs", root, "true"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("mount_proc"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/proc is a symlink"), std::string::npos) << r.err;
}

// A --privileged container without a pty held the caller's terminal as fds 0-2, and
// CAP_SYS_ADMIN lifts TIOCSTI's controlling-terminal check: keystrokes typed into the
// caller's shell. A pty plays the person at the terminal; the container must see pipes, with
// the output still relayed.
TEST_F(Escape, ContainerWithoutAPtyNeverHoldsTheCallersTerminal) {
  const auto r = run_on_pty({barco_binary(), "--root", state_root(), "run", "--rootfs", test_rootfs(), "--privileged",
                             "-T", "sh", "-c",
                             "for fd in 0 1 2; do [ -t $fd ] && echo holds-terminal-$fd; done; "
                             "readlink /proc/self/fd/1; echo relayed"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("holds-terminal"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pipe:["), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("relayed"), std::string::npos) << "the output did not reach the terminal: " << r.out;
}

}  // namespace
}  // namespace barco::it
