#include <barco/capabilities.hpp>
#include <barco/result.hpp>

#include <gtest/gtest.h>

#include <linux/capability.h>

namespace barco {
namespace {

TEST(Capabilities, DockersDefaultSet) {
  EXPECT_EQ(docker_default_caps(), 0xa80425fbULL);
  EXPECT_EQ(capability_names(docker_default_caps()),
            "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_SETGID,CAP_SETUID,CAP_SETPCAP,"
            "CAP_NET_BIND_SERVICE,CAP_NET_RAW,CAP_SYS_CHROOT,CAP_MKNOD,CAP_AUDIT_WRITE,CAP_SETFCAP");
}

TEST(Capabilities, NamesWithOrWithoutPrefixAnyCase) {
  EXPECT_EQ(parse_capability("SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(parse_capability("cap_sys_admin"), CAP_SYS_ADMIN);
  EXPECT_EQ(parse_capability("Net_Raw"), CAP_NET_RAW);
  EXPECT_EQ(capability_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
}

TEST(Capabilities, UnknownNameListsTheValidOnes) {
  try {
    (void)parse_capability("SYS_ADMINN");
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown capability 'SYS_ADMINN'"), std::string::npos);
    EXPECT_NE(msg.find("SYS_ADMIN "), std::string::npos);
    EXPECT_NE(msg.find("ALL"), std::string::npos);
  }
  EXPECT_THROW((void)parse_capability("ALL"), ConfigError);  // "ALL" is for the flag parser
}

TEST(Capabilities, DockersAddDropRules) {
  const CapMask base = docker_default_caps();
  EXPECT_EQ(apply_cap_flags(base, {}, {}), base);
  EXPECT_EQ(apply_cap_flags(base, {"SYS_ADMIN"}, {}), base | cap_bit(CAP_SYS_ADMIN));
  EXPECT_EQ(apply_cap_flags(base, {}, {"NET_RAW"}), base & ~cap_bit(CAP_NET_RAW));
  EXPECT_EQ(apply_cap_flags(base, {"NET_ADMIN"}, {"ALL"}), cap_bit(CAP_NET_ADMIN));
  EXPECT_EQ(apply_cap_flags(base, {}, {"all"}), 0U);
  EXPECT_EQ(apply_cap_flags(base, {"ALL"}, {"SYS_ADMIN"}), all_known_caps() & ~cap_bit(CAP_SYS_ADMIN));
}

TEST(Capabilities, RootGetsTheSetNonRootOnlyWhatWasAdded) {
  const CapMask caps = docker_default_caps() | cap_bit(CAP_NET_ADMIN);
  EXPECT_EQ(capabilities_for(caps, cap_bit(CAP_NET_ADMIN), 0), (Capabilities{caps, caps, caps, 0, 0}));
  const auto user = capabilities_for(caps, cap_bit(CAP_NET_ADMIN), 1000);
  EXPECT_EQ(user.bounding, caps);
  EXPECT_EQ(user.effective, cap_bit(CAP_NET_ADMIN));
  EXPECT_EQ(user.ambient, cap_bit(CAP_NET_ADMIN));
  EXPECT_EQ(user.inheritable, cap_bit(CAP_NET_ADMIN));
  EXPECT_EQ(capabilities_for(caps, 0, 1000).effective, 0U);
}

}  // namespace
}  // namespace barco
