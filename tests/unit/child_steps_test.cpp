// The child's walk over the plan, through FakeSys: which kernel calls, in which order, and
// what happens when call N fails.
#include "fake_sys.hpp"
#include "runtime/child.hpp"
#include "test_config.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>

#include <algorithm>

namespace barco {
namespace {

using testing::config_from_words;
using testing::FakeSys;

PlanHost test_host() {
  PlanHost host;
  host.state_root = "/s";
  return host;
}

struct ChildRun {
  FakeSys sys;
  Result<void> result;
};

class ChildSteps : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pair = SyncChannel::make_pair();
    ASSERT_TRUE(pair.has_value());
    parent_ = std::move(pair->first);
    child_ = std::move(pair->second);
  }

  Result<void> run(const Plan& plan, FakeSys& sys) {
    ChildOptions options;
    options.seccomp_program = &program_;
    return run_child_setup(plan, sys, child_, options);
  }

  std::vector<sock_filter> program_{3};

  SyncChannel parent_;
  SyncChannel child_;
};

TEST_F(ChildSteps, MountsInPlanOrderWithDockersFlags) {
  FakeSys sys;
  ASSERT_TRUE(run(build_plan(config_from_words({"--rootfs", "/r", "sh"}), test_host()), sys));
  const auto& c = sys.calls;
  EXPECT_EQ(c.at(2), "unshare " + std::to_string(CLONE_NEWCGROUP));
  EXPECT_EQ(c.at(3), "mount  -> / type= flags=" + std::to_string(MS_REC | MS_PRIVATE));
  EXPECT_EQ(c.at(4), "mount /r -> /r type= flags=" + std::to_string(MS_BIND | MS_REC));
  EXPECT_LT(sys.index_of("mount tmpfs -> /r/dev type=tmpfs"), sys.index_of("mknod /r/dev/null"));
  EXPECT_LT(sys.index_of("mknod /r/dev/null"), sys.index_of("mount devpts -> /r/dev/pts"));
  EXPECT_GE(sys.index_of("mount proc -> /r/proc type=proc flags=" + std::to_string(MS_NOSUID | MS_NODEV | MS_NOEXEC)),
            0);
  EXPECT_GE(sys.index_of("mount sysfs -> /r/sys type=sysfs flags=" +
                         std::to_string(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)),
            0);
  EXPECT_GE(sys.index_of("symlink pts/ptmx <- /r/dev/ptmx"), 0);
  const int pivot = sys.index_of("pivot_root . .");
  ASSERT_GE(pivot, 0);
  EXPECT_EQ(c.at(pivot - 1), "chdir /r");
  EXPECT_EQ(c.at(pivot + 1), "mount  -> . type= flags=" + std::to_string(MS_SLAVE | MS_REC));
  EXPECT_EQ(c.at(pivot + 2), "umount2 . " + std::to_string(MNT_DETACH));
  EXPECT_LT(pivot, sys.index_of("sethostname 0123456789ab"));
  EXPECT_LT(sys.index_of("setresgid 0"), sys.index_of("setresuid 0"));
  EXPECT_EQ(c.at(0), "non_dumpable") << "first: nothing of the container may reach the child";
  EXPECT_EQ(c.at(1), "close_fds_except " + std::to_string(child_.fd()));
  const int last_close =
      static_cast<int>(std::find(c.rbegin(), c.rend(), "close_fds_except " + std::to_string(child_.fd())) - c.rbegin());
  EXPECT_GT(static_cast<int>(c.size()) - 1 - last_close, sys.index_of("chdir /")) << "closed again after pivot_root";
  EXPECT_LT(static_cast<int>(c.size()) - 1 - last_close, sys.index_of("capbset_drop"))
      << "before the privileges are dropped and the filter loaded";
}

TEST_F(ChildSteps, ReadOnlyVolumeGetsABindRemount) {
  FakeSys sys;
  sys.directories = {"/srv/data"};
  ASSERT_TRUE(
      run(build_plan(config_from_words({"--rootfs", "/r", "-v", "/srv/data:/data:ro", "sh"}), test_host()), sys));
  const int bind = sys.index_of("mount /srv/data -> /r/data type= flags=" + std::to_string(MS_BIND | MS_REC));
  ASSERT_GE(bind, 0);
  EXPECT_EQ(sys.calls.at(bind + 1),
            "mount_setattr /r/data set=" + std::to_string(MOUNT_ATTR_RDONLY) + " clear=0 recursive")
      << "read-only on every submount, and no remount that would drop the source's nosuid/nodev/noexec";
  EXPECT_EQ(sys.calls.at(bind - 1), "make_path /r /data dir");
}

TEST_F(ChildSteps, FileVolumeGetsAFileMountPoint) {
  FakeSys sys;
  ASSERT_TRUE(
      run(build_plan(config_from_words({"--rootfs", "/r", "-v", "/etc/hosts:/etc/hosts", "sh"}), test_host()), sys));
  EXPECT_GE(sys.index_of("make_path /r /etc/hosts file"), 0);
}

TEST_F(ChildSteps, ReadOnlyRootIsRemountedAfterPivot) {
  FakeSys sys;
  ASSERT_TRUE(run(build_plan(config_from_words({"--rootfs", "/r", "--read-only", "sh"}), test_host()), sys));
  EXPECT_GT(sys.index_of("mount  -> / type= flags=" + std::to_string(MS_BIND | MS_REMOUNT | MS_RDONLY)),
            sys.index_of("pivot_root"));
}

TEST_F(ChildSteps, UserAndGroupsAreSetGroupsFirstUidLast) {
  FakeSys sys;
  ASSERT_TRUE(run(build_plan(config_from_words({"--rootfs", "/r", "-u", "user", "sh"}), test_host()), sys));
  const int groups = sys.index_of("setgroups 100");
  ASSERT_GE(groups, 0);
  EXPECT_EQ(sys.calls.at(groups + 1), "setresgid 1000");
  EXPECT_EQ(sys.calls.at(groups + 2), "setresuid 1000");
}

TEST_F(ChildSteps, CapabilitiesInMinijailsOrder) {
  FakeSys sys;
  ASSERT_TRUE(
      run(build_plan(config_from_words({"--rootfs", "/r", "-u", "1000", "--cap-add", "NET_ADMIN", "sh"}), test_host()),
          sys));
  const int seccomp = sys.index_of("seccomp 3");
  const int first_drop = sys.index_of("capbset_drop");
  const int keep = sys.index_of("keepcaps");
  const int uid = sys.index_of("setresuid 1000");
  const int capset = sys.index_of("capset");
  ASSERT_GE(seccomp, 0);
  EXPECT_LT(seccomp, first_drop) << "without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes first";
  EXPECT_LT(first_drop, keep);
  EXPECT_LT(keep, uid);
  EXPECT_LT(uid, capset);
  EXPECT_EQ(sys.calls.at(capset), "capset 4096 4096 4096");
  EXPECT_EQ(sys.calls.at(capset + 1), "ambient 12");
  // Exactly the capabilities outside docker's set (plus NET_ADMIN) leave the bounding set.
  int drops = 0;
  for (const auto& c : sys.calls) drops += c.rfind("capbset_drop", 0) == 0 ? 1 : 0;
  EXPECT_EQ(drops, 41 - 15);
  EXPECT_EQ(sys.index_of("capbset_drop 12"), -1);
  EXPECT_GE(sys.index_of("capbset_drop 21"), 0);
}

TEST_F(ChildSteps, MaskingRefusesADevNullThatIsNotTheNullDevice) {
  FakeSys sys;
  sys.null_device.st_rdev = makedev(8, 0);  // an image swapped /dev/null for a disk
  auto r = run(build_plan(config_from_words({"--rootfs", "/r", "sh"}), test_host()), sys);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().step, "mask_paths");
  EXPECT_NE(r.error().hint.find("CVE-2025-31133"), std::string::npos);
  EXPECT_EQ(sys.index_of("mount /proc/self/fd"), -1) << "nothing may be bound from it";
}

TEST_F(ChildSteps, MaskingBindsFilesTmpfsOnDirsAndSkipsMissing) {
  FakeSys sys;
  sys.directories = {"/proc/acpi"};
  sys.missing = {"/proc/kcore"};
  ASSERT_TRUE(run(build_plan(config_from_words({"--rootfs", "/r", "sh"}), test_host()), sys));
  EXPECT_GE(sys.index_of("mount tmpfs -> /proc/acpi type=tmpfs flags=" + std::to_string(MS_RDONLY)), 0);
  EXPECT_GE(sys.index_of("mount /proc/self/fd/-1 -> /proc/keys type= flags=" + std::to_string(MS_BIND)), 0);
  EXPECT_EQ(sys.index_of("mount /proc/self/fd/-1 -> /proc/kcore"), -1);
  const int sys_bind = sys.index_of("mount /proc/sys -> /proc/sys type= flags=" + std::to_string(MS_BIND | MS_REC));
  ASSERT_GE(sys_bind, 0);
  EXPECT_EQ(sys.calls.at(sys_bind + 1),
            "mount_setattr /proc/sys set=" +
                std::to_string(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC) +
                " clear=0 recursive")
      << "a remount would leave a submount (binfmt_misc) writable";
}

TEST_F(ChildSteps, CwdOutsideTheRootIsRefused) {
  FakeSys sys;
  sys.cwd = "(unreachable)/host";
  auto r = run(build_plan(config_from_words({"--rootfs", "/r", "sh"}), test_host()), sys);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().step, "change_dir");
  EXPECT_NE(r.error().message().find("outside the container's root"), std::string::npos);
}

// The listener reaches the parent over the sync socket, and the child keeps no copy: a
// container process holding it would keep notified calls waiting once the agent is gone.
TEST_F(ChildSteps, ANotifyFilterHandsItsListenerToTheParentAndKeepsNoCopy) {
  auto config = config_from_words({"--rootfs", "/r", "sh"});
  config.seccomp = parse_seccomp_profile(R"({"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"/run/a.sock",
      "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]})",
                                         "p.json");
  FakeSys sys;
  ASSERT_TRUE(run(build_plan(config, test_host()), sys));
  EXPECT_GE(sys.index_of("seccomp_listener 3"), 0);
  EXPECT_EQ(sys.index_of("seccomp 3"), -1);
  ASSERT_GE(sys.last_listener_fd, 0);
  EXPECT_EQ(::fcntl(sys.last_listener_fd, F_GETFD), -1) << "the child's copy is still open";
  UniqueFd passed;
  auto m = parent_.receive(&passed);
  ASSERT_TRUE(m && m->has_value());
  EXPECT_EQ((*m)->type, MessageType::seccomp_listener);
  EXPECT_TRUE(passed.valid());
}

TEST_F(ChildSteps, ThePtyIsTheCommandsUsersAndHasTheConsoleSize) {
  auto config = config_from_words({"--rootfs", "/r", "-t", "-u", "1000:1000", "sh"});
  config.process.console_size = {10, 110};
  FakeSys sys;
  ASSERT_TRUE(run(build_plan(config, test_host()), sys));
  const int slave = sys.index_of("open_pty_slave");
  ASSERT_GE(slave, 0);
  EXPECT_EQ(sys.calls.at(slave + 1), "chown_fd_owner 1000");
  EXPECT_EQ(sys.calls.at(slave + 2), "winsize 10x110");
  EXPECT_LT(slave + 2, sys.index_of("setresuid 1000")) << "fchown needs the privileges set_user drops";

  FakeSys as_root;
  ASSERT_TRUE(run(build_plan(config_from_words({"--rootfs", "/r", "-t", "sh"}), test_host()), as_root));
  EXPECT_EQ(as_root.index_of("chown_fd_owner"), -1);
  EXPECT_EQ(as_root.index_of("winsize"), -1) << "without consoleSize the relay sets the size";
}

TEST_F(ChildSteps, PreservedFdsAreKeptByBothCloses) {
  auto config = config_from_words({"--rootfs", "/r", "--preserve-fds", "2", "sh"});
  EXPECT_EQ(config.process.preserve_fds, 2);
  FakeSys sys;
  ASSERT_TRUE(run(build_plan(config, test_host()), sys));
  int closes = 0;
  for (const auto& c : sys.calls) {
    if (c.rfind("close_fds_except", 0) == 0) {
      ++closes;
      EXPECT_TRUE(c.ends_with(" 3 4")) << c;  // after barco's own fds, and nothing beyond 4
    }
  }
  EXPECT_EQ(closes, 2);
}

// A failure at any call stops the walk at once and is reported with the step it belongs to.
TEST_F(ChildSteps, FailureAtCallNStopsAndNamesTheStep) {
  const auto plan = build_plan(
      config_from_words({"--rootfs", "/r", "-v", "/etc/hosts:/h", "--ulimit", "nofile=9", "sh"}), test_host());
  FakeSys reference;
  ASSERT_TRUE(run(plan, reference));
  // Which step each call belongs to, by re-running with the step logs on.
  for (int n = 0; n < static_cast<int>(reference.calls.size()); ++n) {
    if (reference.calls[n].rfind("umask", 0) == 0) {
      continue;
    }
    FakeSys sys;
    sys.fail_at = n;
    sys.fail_errno = EACCES;
    auto r = run(plan, sys);
    ASSERT_FALSE(r) << "call " << n << " " << reference.calls[n];
    EXPECT_EQ(static_cast<int>(sys.calls.size()), n + 1) << "no call may follow the failing one";
    EXPECT_EQ(r.error().err, EACCES);
    EXPECT_FALSE(r.error().step.empty());
    EXPECT_TRUE(std::any_of(plan.steps.begin(), plan.steps.end(), [&](const Step& s) {
      return s.name == r.error().step;
    })) << r.error().step;
    EXPECT_NE(r.error().message().find(reference.calls[n]), std::string::npos) << r.error().message();
  }
}

TEST_F(ChildSteps, MountFailureNamesTheMountStep) {
  FakeSys reference;
  const auto plan = build_plan(config_from_words({"--rootfs", "/r", "sh"}), test_host());
  ASSERT_TRUE(run(plan, reference));
  FakeSys sys;
  sys.fail_at = reference.index_of("mount proc");
  auto r = run(plan, sys);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().step, "mount_proc");
}

TEST_F(ChildSteps, UserNamespaceWaitsForTheParentsMapsFirst) {
  const auto plan = build_plan(config_from_words({"--rootfs", "/r", "--userns", "private", "sh"}), test_host());
  FakeSys sys;
  // No maps_written message and the parent end closed: the child must fail at that step.
  parent_.close();
  auto r = run(plan, sys);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().step, "wait_for_id_maps");
  EXPECT_EQ(sys.calls.size(), 2U) << "only make_non_dumpable and close_host_fds come before";
}

TEST_F(ChildSteps, UserNamespaceBindsHostDevicesInsteadOfMknod) {
  const auto plan = build_plan(config_from_words({"--rootfs", "/r", "--userns", "private", "sh"}), test_host());
  ASSERT_TRUE(parent_.send(Message{MessageType::maps_written, 0, {}, {}, {}}));
  FakeSys sys;
  ASSERT_TRUE(run(plan, sys));
  EXPECT_EQ(sys.calls.at(2), "setresgid 0");
  EXPECT_EQ(sys.calls.at(3), "setresuid 0");
  EXPECT_EQ(sys.index_of("mknod"), -1);
  EXPECT_GE(sys.index_of("mount /dev/null -> /r/dev/null type= flags=" + std::to_string(MS_BIND)), 0);
}

// A devices cgroup that does not allow a listed node refuses its mknod (docker's
// --privileged lists can): the host's node is bound instead, as runc does, but only when it
// is the device the config names.
TEST_F(ChildSteps, RefusedMknodBindsTheSameHostNodeAndRefusesAnother) {
  auto config = config_from_words({"--rootfs", "/r", "sh"});
  config.devices.push_back({"/dev/fuse", 'c', 10, 229, 0666});
  const auto plan = build_plan(config, test_host());
  FakeSys sys;
  sys.mknod_refused = {"/r/dev/fuse"};
  sys.host_devices["/dev/fuse"] = makedev(10, 229);
  ASSERT_TRUE(run(plan, sys));
  EXPECT_GE(sys.index_of("mount /dev/fuse -> /r/dev/fuse type= flags=" + std::to_string(MS_BIND)), 0);

  FakeSys other;
  other.mknod_refused = {"/r/dev/fuse"};
  other.host_devices["/dev/fuse"] = makedev(10, 230);
  const auto refused = run(plan, other);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().step, "make_device");
  EXPECT_NE(refused.error().message().find("is not device 10:229"), std::string::npos) << refused.error().message();
  EXPECT_EQ(other.index_of("mount /dev/fuse"), -1);
}

}  // namespace
}  // namespace barco
