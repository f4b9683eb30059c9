// Compiling filters with libseccomp (no root needed: nothing is loaded).
#include "linux/seccomp.hpp"

#include <barco/defaults.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace barco {
namespace {

SeccompFilter default_filter(const std::string& arch = native_seccomp_arch()) {
  const auto p = parse_seccomp_profile(builtin_seccomp_profile(), "default.json");
  return resolve_seccomp_profile(p, {arch, docker_default_caps(), {6, 1}});
}

TEST(SeccompCompile, DefaultProfileCompilesForBothArchitectures) {
  for (const char* arch : {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"}) {
    auto c = compile_seccomp(default_filter(arch));
    ASSERT_TRUE(c) << arch << ": " << c.error().message();
    EXPECT_GT(c->program.size(), 100U) << arch;
    EXPECT_TRUE(c->skipped_names.empty()) << arch;
  }
}

TEST(SeccompCompile, EveryNameInTheDefaultProfileIsARealSyscall) {
  EXPECT_EQ(unknown_syscall_names(parse_seccomp_profile(builtin_seccomp_profile(), "default.json")),
            std::vector<std::string>{});
}

// aarch64 has only the *at variants and no fork/vfork: the profile lists both worlds, and
// the names an arch lacks are simply not compiled in. This lists them so a reader can see.
TEST(SeccompCompile, NamesMissingPerArchitectureAreTheExpectedOnes) {
  const auto p = parse_seccomp_profile(builtin_seccomp_profile(), "default.json");
  const auto arm64 = names_missing_on(p, "SCMP_ARCH_AARCH64");
  for (const char* legacy : {"open", "stat", "fork", "vfork", "mkdir", "pipe", "poll", "select", "arch_prctl"}) {
    EXPECT_NE(std::find(arm64.begin(), arm64.end(), legacy), arm64.end()) << legacy << " should be missing on aarch64";
  }
  for (const char* needed : {"openat", "newfstatat", "clone", "execve", "mkdirat", "pipe2", "ppoll", "pselect6"}) {
    EXPECT_EQ(std::find(arm64.begin(), arm64.end(), needed), arm64.end()) << needed << " must exist on aarch64";
  }
  const auto amd64 = names_missing_on(p, "SCMP_ARCH_X86_64");
  for (const char* needed : {"open", "openat", "fork", "clone", "arch_prctl"}) {
    EXPECT_EQ(std::find(amd64.begin(), amd64.end(), needed), amd64.end()) << needed;
  }
}

TEST(SeccompCompile, TyposAreFound) {
  const auto p = parse_seccomp_profile(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["kexec_lod","read"],"action":"SCMP_ACT_ERRNO"}]})",
      "t.json");
  EXPECT_EQ(unknown_syscall_names(p), std::vector<std::string>{"kexec_lod"});
  auto c = compile_seccomp(resolve_seccomp_profile(p, {native_seccomp_arch(), 0, {6, 1}}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->skipped_names, std::vector<std::string>{"kexec_lod"});
}

TEST(SeccompCompile, RepeatedArgumentIndexBecomesOneRulePerCondition) {
  const auto p = parse_seccomp_profile(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["personality"],
      "action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"},{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}]})",
                                       "t.json");
  auto c = compile_seccomp(resolve_seccomp_profile(p, {native_seccomp_arch(), 0, {6, 1}}));
  ASSERT_TRUE(c) << c.error().message();
}

TEST(SeccompCompile, CacheReturnsTheSameProgramAndIgnoresForeignFiles) {
  char tmpl[] = "/tmp/barco-cache-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = std::string(tmpl) + "/cache";
  const auto filter = default_filter();
  auto first = compile_seccomp_cached(filter, dir);
  ASSERT_TRUE(first);
  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
  const auto entry = std::filesystem::directory_iterator(dir)->path();
  auto second = compile_seccomp_cached(filter, dir);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->program.size(), second->program.size());
  EXPECT_EQ(0, std::memcmp(first->program.data(), second->program.data(), first->program.size() * sizeof(sock_filter)));
  // A tampered entry whose stored key does not match is not used.
  std::ofstream(entry, std::ios::trunc) << "not the key";
  auto third = compile_seccomp_cached(filter, dir);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->program.size(), first->program.size());
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace barco
