// make_privileged, field by field against the default config.
#include "test_config.hpp"

#include <barco/privileged.hpp>

#include <gtest/gtest.h>

#include <sys/mount.h>

namespace barco {
namespace {

using testing::config_from_words;

const Mount& mount_at(const ContainerConfig& c, const std::string& dest) {
  return *std::find_if(c.mounts.begin(), c.mounts.end(), [&](const Mount& m) { return m.destination == dest; });
}

TEST(Privileged, ExactlyDockersTransformation) {
  const auto base = config_from_words({"--rootfs", "/r", "sh"});
  const CapMask bounding = 0x1ffffffffffULL & ~cap_bit(24);
  const std::vector<Device> host{{"/dev/vda", 'b', 254, 0, 0660}, {"/dev/null", 'c', 1, 3, 0666}};
  const auto p = make_privileged(base, PrivilegedHost{bounding, host});

  EXPECT_TRUE(p.privileged);
  EXPECT_EQ(p.process.capabilities, (Capabilities{bounding, bounding, bounding, bounding, 0}));
  EXPECT_FALSE(p.seccomp.has_value());
  EXPECT_TRUE(p.masked_paths.empty());
  EXPECT_TRUE(p.readonly_paths.empty());
  EXPECT_EQ(mount_at(p, "/sys").flags & MS_RDONLY, 0UL);
  EXPECT_NE(mount_at(base, "/sys").flags & MS_RDONLY, 0UL);
  // host devices join the defaults, without duplicates
  EXPECT_EQ(p.devices.size(), base.devices.size() + 1);
  EXPECT_EQ(p.devices.back().path, "/dev/vda");

  // ...and nothing else changes: namespaces, mounts other than /sys, process, root.
  EXPECT_EQ(p.namespaces.size(), base.namespaces.size());
  for (size_t i = 0; i < p.namespaces.size(); ++i) {
    EXPECT_EQ(p.namespaces[i].private_ns, base.namespaces[i].private_ns);
  }
  EXPECT_EQ(p.process.args, base.process.args);
  EXPECT_EQ(p.process.env, base.process.env);
  EXPECT_EQ(p.process.user, base.process.user);
  EXPECT_EQ(p.process.no_new_privileges, base.process.no_new_privileges);
  EXPECT_EQ(p.root.path, base.root.path);
  EXPECT_EQ(p.hostname, base.hostname);
  EXPECT_EQ(p.mounts.size(), base.mounts.size());
}

TEST(Privileged, AnExplicitProfileSurvives) {
  testing::FakeHost host;
  host.host_files["/p.json"] = R"({"defaultAction":"SCMP_ACT_ALLOW"})";
  const auto p = config_from_words({"--rootfs", "/r", "--privileged", "--security-opt", "seccomp=/p.json", "sh"}, host);
  ASSERT_TRUE(p.seccomp.has_value());
  EXPECT_EQ(p.seccomp->source, "/p.json");
}

TEST(Privileged, FromTheCommandLine) {
  testing::FakeHost host;
  const auto p =
      config_from_words({"--rootfs", "/r", "--privileged", "--network", "host", "--pid", "host", "sh"}, host);
  EXPECT_EQ(p.process.capabilities.effective, host.bounding);
  EXPECT_FALSE(p.has_private(Namespace::net));
  EXPECT_FALSE(p.has_private(Namespace::pid));
  EXPECT_TRUE(p.has_private(Namespace::mount));
  EXPECT_THROW((void)config_from_words({"--rootfs", "/r", "--privileged", "--userns", "private", "sh"}), ConfigError);
}

TEST(Privileged, DryRunShowsTheDifference) {
  const auto normal = format_plan(build_plan(config_from_words({"--rootfs", "/r", "sh"})));
  const auto priv = format_plan(build_plan(config_from_words({"--rootfs", "/r", "--privileged", "sh"})));
  EXPECT_NE(normal.find("load_seccomp"), std::string::npos);
  EXPECT_EQ(priv.find("load_seccomp"), std::string::npos);
  EXPECT_NE(normal.find("mask_paths"), std::string::npos);
  EXPECT_EQ(priv.find("mask_paths"), std::string::npos);
  EXPECT_NE(priv.find("CAP_SYS_ADMIN"), std::string::npos);
  EXPECT_NE(priv.find("mknod(\"/r/dev/vda\", b 254:0)"), std::string::npos);
}

}  // namespace
}  // namespace barco
