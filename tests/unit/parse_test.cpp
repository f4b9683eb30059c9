#include "error_of.hpp"

#include <barco/defaults.hpp>
#include <barco/parse.hpp>
#include <barco/result.hpp>

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/resource.h>

namespace barco {
namespace {

std::optional<std::string> host_env(const std::string& key) {
  if (key == "FROM_HOST") {
    return "yes";
  }
  return std::nullopt;
}

using testing::error_of;

TEST(EnvEntry, KeepsKeyValueAsIs) {
  EXPECT_EQ(parse_env_entry("A=1=2", host_env), "A=1=2");
}

TEST(EnvEntry, BareNameTakesTheCallersValue) {
  EXPECT_EQ(parse_env_entry("FROM_HOST", host_env), "FROM_HOST=yes");
  EXPECT_EQ(parse_env_entry("UNSET_HERE", host_env), std::nullopt);
}

TEST(EnvEntry, EmptyNameIsAnErrorThatNamesTheFlag) {
  const auto msg = error_of([] { (void)parse_env_entry("=x", host_env); });
  EXPECT_NE(msg.find("--env '=x'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hint:"), std::string::npos) << msg;
}

TEST(EnvFile, SkipsCommentsAndBlankLinesAndTrims) {
  const auto env = parse_env_file("# comment\n\n  A=1  \r\nFROM_HOST\nB=x y\n", host_env);
  EXPECT_EQ(env, (std::vector<std::string>{"A=1", "FROM_HOST=yes", "B=x y"}));
}

TEST(EnvFile, ErrorNamesTheLine) {
  const auto msg = error_of([] { (void)parse_env_file("A=1\n=bad\n", host_env); });
  EXPECT_NE(msg.find("line 2"), std::string::npos) << msg;
}

TEST(MergeEnv, LaterOverridesEarlierInPlace) {
  EXPECT_EQ(merge_env({"PATH=/bin", "HOME=/root"}, {"HOME=/x", "A=1"}),
            (std::vector<std::string>{"PATH=/bin", "HOME=/x", "A=1"}));
}

TEST(UserSpec, Forms) {
  EXPECT_EQ(parse_user_spec("1000").user, "1000");
  EXPECT_FALSE(parse_user_spec("1000").group.has_value());
  EXPECT_EQ(parse_user_spec("1000:50").group, "50");
  EXPECT_EQ(parse_user_spec("web:www").user, "web");
}

TEST(UserSpec, Errors) {
  for (const char* bad : {"", ":1", "1:", "a:b:c"}) {
    EXPECT_NE(error_of([&] { (void)parse_user_spec(bad); }).find("--user"), std::string::npos) << bad;
  }
}

TEST(Volume, ReadOnlyBind) {
  const auto m = parse_volume("/srv/data:/data:ro");
  EXPECT_EQ(m.source, "/srv/data");
  EXPECT_EQ(m.destination, "/data");
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_EQ(m.recursive_attr_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY)) << ":ro covers the submounts too";
  EXPECT_EQ(parse_volume("/a:/b").recursive_attr_set, 0U);
  EXPECT_EQ(parse_volume("/a:/b:rw").recursive_attr_set, 0U);
}

TEST(Volume, Errors) {
  EXPECT_NE(error_of([] { (void)parse_volume("relative:/data"); }).find("not an absolute path"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_volume("/a:b"); }).find("not an absolute path"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_volume("/a"); }).find("HOST:CONTAINER"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_volume("/a:/b:rx"); }).find("unknown mode 'rx'"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_volume("/a::/b"); }).find("HOST:CONTAINER"), std::string::npos);
}

TEST(Tmpfs, DockerDefaultsAndOptions) {
  const auto plain = parse_tmpfs("/run");
  EXPECT_EQ(plain.type, "tmpfs");
  EXPECT_EQ(plain.flags, static_cast<unsigned long>(MS_NOSUID | MS_NODEV | MS_NOEXEC));
  const auto m = parse_tmpfs("/tmp:exec,size=64m,mode=1777,ro");
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_NOSUID | MS_NODEV | MS_RDONLY));
  EXPECT_EQ(m.data, "size=64m,mode=1777");
}

TEST(Tmpfs, Errors) {
  EXPECT_NE(error_of([] { (void)parse_tmpfs("run"); }).find("not an absolute path"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_tmpfs("/run:bogus"); }).find("unknown option 'bogus'"), std::string::npos);
}

TEST(Ulimit, SoftHardAndUnlimited) {
  const auto r = parse_ulimit("nofile=1024:2048");
  EXPECT_EQ(r.resource, RLIMIT_NOFILE);
  EXPECT_EQ(r.soft, 1024U);
  EXPECT_EQ(r.hard, 2048U);
  const auto u = parse_ulimit("core=unlimited");
  EXPECT_EQ(u.soft, RLIM_INFINITY);
  EXPECT_EQ(u.hard, RLIM_INFINITY);
  EXPECT_EQ(parse_ulimit("nproc=-1").soft, RLIM_INFINITY);
}

TEST(Ulimit, Errors) {
  EXPECT_NE(error_of([] { (void)parse_ulimit("bogus=1"); }).find("known NAME"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_ulimit("nofile"); }).find("NAME=SOFT"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_ulimit("nofile=x"); }).find("numbers"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_ulimit("nofile=10:5"); }).find("above the hard"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_ulimit("nofile=1:99999999999999999999999"); }).find("numbers"),
            std::string::npos);
}

TEST(DeviceSpec, Forms) {
  const auto a = parse_device_spec("/dev/fuse");
  EXPECT_EQ(a.container_path, "/dev/fuse");
  EXPECT_EQ(a.permissions, "rwm");
  const auto b = parse_device_spec("/dev/fuse:rw");
  EXPECT_EQ(b.container_path, "/dev/fuse");
  EXPECT_EQ(b.permissions, "rw");
  const auto c = parse_device_spec("/dev/sdb:/dev/xvdb:r");
  EXPECT_EQ(c.container_path, "/dev/xvdb");
  EXPECT_EQ(c.permissions, "r");
  EXPECT_NE(error_of([] { (void)parse_device_spec("/dev/sdb:/dev/x:rwx"); }).find("permissions"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_device_spec("fuse"); }).find("not an absolute path"), std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_device_spec("/dev/sdb:/mnt/x"); }).find("under /dev"), std::string::npos);
}

TEST(SecurityOpts, Values) {
  const auto o = parse_security_options({"no-new-privileges", "seccomp=/p.json", "systempaths=unconfined"});
  EXPECT_TRUE(o.no_new_privileges);
  EXPECT_EQ(o.seccomp, "/p.json");
  EXPECT_TRUE(o.systempaths_unconfined);
  EXPECT_FALSE(parse_security_options({"no-new-privileges=true", "no-new-privileges=false"}).no_new_privileges);
  EXPECT_EQ(parse_security_options({"seccomp=unconfined"}).seccomp, "unconfined");
  EXPECT_NE(error_of([] { (void)parse_security_options({"apparmor=x"}); }).find("--security-opt 'apparmor=x'"),
            std::string::npos);
  EXPECT_NE(error_of([] { (void)parse_security_options({"seccomp="}); }).find("not understood"), std::string::npos);
}

// Without a range for root: above useradd's ranges, and past any range someone already has.
TEST(SubId, FallbackRangeOverlapsNoExistingRange) {
  EXPECT_EQ(fallback_subid_range(""), (IdMapping{0, kFallbackUsernsStart, kUsernsSize}));
  EXPECT_EQ(fallback_subid_range("alice:100000:65536\n"), (IdMapping{0, kFallbackUsernsStart, kUsernsSize}));
  const auto taken = "bob:999990000:20000\nci:1000010000:100\n";
  EXPECT_EQ(fallback_subid_range(taken), (IdMapping{0, 1000010100, kUsernsSize}));
}

TEST(SubId, FirstRangeOfOwner) {
  const auto r = find_subid_range("alice:100000:65536\nroot:200000:1000\nroot:1:1\n", "root");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, (IdMapping{0, 200000, 1000}));
  EXPECT_FALSE(find_subid_range("root:x:1\nroot:4294967295:2\n", "root").has_value());
  EXPECT_FALSE(find_subid_range("", "root").has_value());
}

TEST(Id, RejectsMinusOneAndGarbage) {
  EXPECT_EQ(parse_id("0"), 0U);
  EXPECT_EQ(parse_id("4294967294"), 4294967294U);
  EXPECT_FALSE(parse_id("4294967295").has_value());
  EXPECT_FALSE(parse_id("-1").has_value());
  EXPECT_FALSE(parse_id("12a").has_value());
  EXPECT_FALSE(parse_id("").has_value());
}

}  // namespace
}  // namespace barco
