// make bench's leak check (bench/leak-check.sh) must catch what a benchmark could leave
// behind: a check that cannot fail would make the benchmark's "nothing left" worthless.
#include "harness.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>

namespace barco::it {
namespace {

class BenchLeakCheck : public BarcoTest {
 protected:
  RunResult leak_check(const std::string& mode) {
    return command(
        {"/bin/sh", BARCO_SOURCE_DIR "/bench/leak-check.sh", mode, dir_ + "/before", dir_ + "/state", test_rootfs()});
  }
  std::string dir_;
};

TEST_F(BenchLeakCheck, CatchesAPlantedStateRecordCgroupAndMount) {
  dir_ = scratch_dir();
  std::filesystem::create_directories(dir_ + "/state/.cache");
  ASSERT_EQ(leak_check("snapshot").exit_code, 0);
  const auto clean = leak_check("compare");
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_NE(clean.out.find("nothing left behind"), std::string::npos);

  const auto parents = barco_cgroup_parents();
  ASSERT_FALSE(parents.empty()) << "no cgroup hierarchy found";
  const auto& parent = parents.front();
  const bool made_parent = std::filesystem::create_directory(parent);
  const std::string cgroup = parent + "/planted-leak-" + std::to_string(::getpid());
  const std::string record = dir_ + "/state/planted-record";
  const std::string mnt = test_rootfs() + "/mnt";
  std::filesystem::create_directory(record);
  ASSERT_TRUE(std::filesystem::create_directory(cgroup)) << cgroup;
  ASSERT_EQ(::mount("planted", mnt.c_str(), "tmpfs", 0, "size=64k"), 0) << mnt;

  const auto leaked = leak_check("compare");

  ::umount2(mnt.c_str(), MNT_DETACH);
  std::filesystem::remove(cgroup);
  if (made_parent) std::filesystem::remove(parent);
  std::filesystem::remove(record);

  EXPECT_EQ(leaked.exit_code, 1) << leaked.out;
  EXPECT_NE(leaked.err.find("state " + record), std::string::npos) << leaked.err;
  EXPECT_NE(leaked.err.find("cgroup " + cgroup), std::string::npos) << leaked.err;
  EXPECT_NE(leaked.err.find("mount " + mnt), std::string::npos) << leaked.err;
  EXPECT_EQ(leak_check("compare").exit_code, 0) << "cleaned up, the check passes again";
}

}  // namespace
}  // namespace barco::it
