// checkpoint and restore: what barco checks before CRIU, and the words of its refusals.
#include "runtime/checkpoint.hpp"

#include "fake_sys.hpp"

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/sysmacros.h>

namespace barco {
namespace {

ContainerView view(ContainerStatus status) {
  ContainerView v;
  v.info.id = "web";
  v.info.oci = true;
  v.status = status;
  return v;
}

std::string message(const Result<void>& r) {
  return r ? "" : r.error().message();
}

TEST(Checkpoint, NeedsARunningContainerBeforeCriuIsAsked) {
  testing::FakeSys sys;
  EXPECT_NE(message(check_criu_can_run(sys, CriuVerb::checkpoint, "web", std::nullopt, "criu"))
                .find("checkpoint: no container 'web'"),
            std::string::npos);
  const auto stopped =
      message(check_criu_can_run(sys, CriuVerb::checkpoint, "web", view(ContainerStatus::exited), "criu"));
  EXPECT_NE(stopped.find("checkpoint: container 'web' is exited"), std::string::npos) << stopped;
  EXPECT_TRUE(sys.calls.empty());
}

TEST(Checkpoint, RestoreNeedsTheIdFree) {
  testing::FakeSys sys;
  const auto taken = message(check_criu_can_run(sys, CriuVerb::restore, "web", view(ContainerStatus::running), "criu"));
  EXPECT_NE(taken.find("restore: container 'web' exists"), std::string::npos) << taken;
  EXPECT_TRUE(sys.calls.empty());
}

TEST(Checkpoint, CriusOwnWordsSayWhyThisKernelCannot) {
  testing::FakeSys sys;
  sys.fail_at = 0;
  const auto refused =
      message(check_criu_can_run(sys, CriuVerb::checkpoint, "web", view(ContainerStatus::running), "/opt/criu"));
  EXPECT_EQ(sys.calls, std::vector<std::string>{"check_criu /opt/criu"});
  EXPECT_NE(refused.find("checkpoint: criu check: "), std::string::npos) << refused;
  EXPECT_NE(refused.find("CRIU cannot work with this kernel"), std::string::npos) << refused;
}

TEST(Checkpoint, ABarcoRunContainerIsRefusedWithTheReason) {
  testing::FakeSys sys;
  auto v = view(ContainerStatus::running);
  v.info.oci = false;
  const auto refused = message(check_criu_can_run(sys, CriuVerb::checkpoint, "web", v, "criu"));
  EXPECT_NE(refused.find("was made by barco run"), std::string::npos) << refused;
  v.info.oci = true;
  EXPECT_TRUE(check_criu_can_run(sys, CriuVerb::checkpoint, "web", v, "criu"));
  EXPECT_EQ(sys.calls, std::vector<std::string>{"check_criu criu"});
}

// A terminal's slave stays in the dump, unpaired: its master is outside, which CRIU allows
// a shell job (an --external tty fails an interactive shell that opened /dev/tty).
TEST(Checkpoint, DumpNamesTheBindMountsAndTheSwitches) {
  ContainerConfig config;
  config.mounts = {{"/proc", "proc", "proc", 0, ""}, {"/data", "bind", "/srv/data", MS_BIND | MS_REC, ""}};
  const auto mounts = external_mounts(config);
  ASSERT_EQ(mounts.size(), 1U);
  CheckpointOptions o;
  o.criu.image_path = "/img";
  o.criu.tcp_established = true;
  o.leave_running = true;
  const auto args = criu_dump_args(o, 42, mounts, "tty[8800:1b]");
  const std::vector<std::string> expected{"criu",
                                          "dump",
                                          "--tree",
                                          "42",
                                          "--images-dir",
                                          "/img",
                                          "--work-dir",
                                          "/img",
                                          "--log-file",
                                          "dump.log",
                                          "-v4",
                                          "--manage-cgroups",
                                          "--tcp-established",
                                          "--leave-running",
                                          "--external",
                                          "mnt[/data]:/data",
                                          "--shell-job"};
  EXPECT_EQ(args, expected);
}

TEST(Checkpoint, RestoreMapsTheMountsBackAndHandsOverOnlyPipes) {
  RestoreOptions o;
  o.criu.image_path = "/img";
  o.criu.work_path = "/work";
  const auto args = criu_restore_args(o, "/run/barco/c/criu-root", "/run/barco/c/criu.pid",
                                      {{"/data", "/srv/data"}, {"/dev/console", "/dev/pts/3"}},
                                      {"pipe:[7]", "/dev/null", "pipe:[9]"}, {"tty[8800:1b]", 5, "/dev/pts/3"});
  const auto joined = [&] {
    std::string out;
    for (const auto& a : args) {
      out += a + " ";
    }
    return out;
  }();
  EXPECT_NE(joined.find("restore --images-dir /img --work-dir /work --log-file restore.log -v4 --root "
                        "/run/barco/c/criu-root --pidfile /run/barco/c/criu.pid --restore-detached --restore-sibling"),
            std::string::npos)
      << joined;
  EXPECT_NE(joined.find("--external mnt[/data]:/srv/data"), std::string::npos) << joined;
  EXPECT_NE(joined.find("--inherit-fd fd[0]:pipe:[7] --inherit-fd fd[2]:pipe:[9] "), std::string::npos) << joined;
  EXPECT_EQ(joined.find("fd[1]"), std::string::npos) << joined;
  EXPECT_NE(joined.find("--inherit-fd fd[5]:tty[8800:1b]"), std::string::npos) << joined;
  EXPECT_NE(joined.find("--external mnt[/dev/console]:/dev/pts/3"), std::string::npos) << joined;
  EXPECT_EQ(tty_key(makedev(136, 0), makedev(0, 27)), "tty[8800:1b]");
}

TEST(Checkpoint, TheErrorIsCriusLastErrorLines) {
  const std::string log =
      "(00.1) Dumping\n(00.2) Error (criu/a.c:1): first\n(00.3) fine\n(00.4) Error (criu/b.c:2): second\n";
  EXPECT_EQ(criu_errors(log), "Error (criu/a.c:1): first; Error (criu/b.c:2): second");
  EXPECT_EQ(criu_errors("(00.1) all good\n"), "no error in its log");
}

}  // namespace
}  // namespace barco
