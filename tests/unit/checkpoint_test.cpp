// checkpoint and restore: what barco checks before CRIU, and the words of its refusals.
#include "runtime/checkpoint.hpp"

#include "fake_sys.hpp"

#include <gtest/gtest.h>

namespace barco {
namespace {

ContainerView view(ContainerStatus status) {
  ContainerView v;
  v.info.id = "web";
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

TEST(Checkpoint, WhereCriuWorksTheErrorSaysBarcosPartIsNotBuilt) {
  testing::FakeSys sys;
  const auto r = check_criu_can_run(sys, CriuVerb::restore, "web", std::nullopt, "criu");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err, ENOSYS);
  EXPECT_NE(r.error().message().find("barco's restore through it is not built yet"), std::string::npos);
}

}  // namespace
}  // namespace barco
