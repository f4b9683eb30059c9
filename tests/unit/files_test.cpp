// The parent's file helpers against a hostile directory: a planted link under a temporary
// name, and the ELF prefix the sealed copy takes.
#include "sys/sealed_exe.hpp"

#include <barco/files.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace barco {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/barco-files-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// --pid-file in a directory another user can write: the temporary name is predictable
// (<file>.tmp-<pid>), and a link planted there used to be followed (O_TRUNC of its target).
TEST_F(TempDir, AtomicWriteNeverFollowsALinkPlantedUnderItsTemporaryName) {
  const auto victim = dir_ / "victim";
  std::ofstream(victim) << "keep me";
  const auto pid_file = dir_ / "pid";
  fs::create_symlink(victim, pid_file.string() + ".tmp-" + std::to_string(::getpid()));
  ASSERT_TRUE(write_file_atomic(pid_file, "42"));
  EXPECT_EQ(slurp(victim), "keep me");
  EXPECT_EQ(slurp(pid_file), "42");
  EXPECT_FALSE(fs::is_symlink(pid_file));
}

TEST_F(TempDir, ImageFilesMustBeRegularAndSmall) {
  fs::create_directories(dir_ / "etc");
  std::ofstream(dir_ / "etc/passwd") << "root:x:0:0::/root:/bin/sh\n";
  ASSERT_EQ(::mkfifo((dir_ / "etc/group").c_str(), 0644), 0);
  std::ofstream(dir_ / "etc/huge") << std::string(kMaxImageFileBytes + 1, 'x');
  EXPECT_TRUE(read_file_in_root(dir_, "/etc/passwd"));
  const auto fifo = read_file_in_root(dir_, "/etc/group");
  ASSERT_FALSE(fifo);
  EXPECT_NE(fifo.error().hint.find("not a regular file"), std::string::npos);
  const auto huge = read_file_in_root(dir_, "/etc/huge");
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().err, EFBIG);
}

// The sealed copy is the loadable part of barco's own ELF file: smaller than the file (its
// debug sections stay behind) but covering every segment.
TEST(SealedExe, LoadableSizeEndsAtTheLastSegment) {
  const std::string self = fs::read_symlink("/proc/self/exe");
  const std::string image = slurp(self);
  const auto* bytes = reinterpret_cast<const unsigned char*>(image.data());
  const size_t n = loadable_size(bytes, image.size());
  EXPECT_GT(n, 0U);
  EXPECT_LE(n, image.size());
  const std::string not_elf = "#!/bin/sh\n";
  EXPECT_EQ(loadable_size(reinterpret_cast<const unsigned char*>(not_elf.data()), not_elf.size()), not_elf.size());
}

}  // namespace
}  // namespace barco
