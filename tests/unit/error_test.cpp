#include <barco/result.hpp>

#include <gtest/gtest.h>

namespace barco {
namespace {

TEST(ErrorMessage, StepCallStrerrorErrnoAndHint) {
  const Error e{ENOENT, "mount_proc", "mount(\"proc\" -> \"/r/proc\", type=proc)", "the rootfs has no /proc"};
  EXPECT_EQ(e.message(),
            "mount_proc: mount(\"proc\" -> \"/r/proc\", type=proc): No such file or directory (errno 2) — hint: the "
            "rootfs has no /proc");
}

TEST(ErrorMessage, OmitsWhatIsNotSet) {
  EXPECT_EQ((Error{0, "", "--rootfs is required", ""}).message(), "--rootfs is required");
  EXPECT_EQ((Error{EPERM, "clone", "", ""}).message(), "clone: Operation not permitted (errno 1)");
}

TEST(InStep, NamesTheStepOnlyOnce) {
  Result<void> r = Error{EIO, "", "write()", ""};
  r = in_step(std::move(r), "outer");
  r = in_step(std::move(r), "outermost");
  EXPECT_EQ(r.error().step, "outer");
}

TEST(ResultValue, HoldsValueOrError) {
  Result<int> ok = 5;
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 5);
  Result<int> bad = Error{EINVAL, "s", "c", ""};
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().err, EINVAL);
}

}  // namespace
}  // namespace barco
