#include "sys/exec.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace barco {
namespace {

class FindExecutable : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/barco-exec-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/a");
    std::filesystem::create_directories(dir_ + "/b");
    std::ofstream(dir_ + "/a/tool") << "#!/bin/sh\n";  // not executable: skipped
    std::ofstream(dir_ + "/b/tool") << "#!/bin/sh\n";
    ::chmod((dir_ + "/b/tool").c_str(), 0755);
    std::filesystem::create_directories(dir_ + "/a/dironly");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FindExecutable, SearchesThePathInOrderAndSkipsNonExecutables) {
  auto r = find_executable("tool", dir_ + "/a:" + dir_ + "/b");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, dir_ + "/b/tool");
}

TEST_F(FindExecutable, NotFoundIsEnoentWithAHintNamingThePath) {
  auto r = find_executable("dironly", dir_ + "/a");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err, ENOENT);
  EXPECT_NE(r.error().hint.find(dir_ + "/a"), std::string::npos);
}

TEST_F(FindExecutable, NamesWithASlashAreNotSearched) {
  EXPECT_EQ(*find_executable("./x", "/nowhere"), "./x");
}

TEST(ExecExitCodes, DockersConvention) {
  EXPECT_EQ(exit_code_for_exec_error(ENOENT), 127);
  EXPECT_EQ(exit_code_for_exec_error(EACCES), 126);
  EXPECT_EQ(exit_code_for_exec_error(ENOEXEC), 126);
  EXPECT_EQ(exit_code_for_exec_error(E2BIG), 125);
}

TEST(ExecArgs, NullTerminatedArrays) {
  const ExecArgs a({"sh", "-c", "x"}, {"A=1"});
  EXPECT_STREQ(a.argv()[0], "sh");
  EXPECT_STREQ(a.argv()[2], "x");
  EXPECT_EQ(a.argv()[3], nullptr);
  EXPECT_STREQ(a.envp()[0], "A=1");
  EXPECT_EQ(a.envp()[1], nullptr);
}

}  // namespace
}  // namespace barco
