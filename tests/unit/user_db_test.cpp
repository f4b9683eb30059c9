#include <barco/result.hpp>
#include <barco/user_db.hpp>

#include <gtest/gtest.h>

namespace barco {
namespace {

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "user:x:1000:1000:user:/home/user:/bin/sh\n"
    "broken line\n"
    "web:x:33:33::/var/www:/bin/false\n";
constexpr const char* kGroup =
    "root:x:0:\n"
    "users:x:100:user,web\n"
    "audio:x:29:user\n"
    "user:x:1000:user\n"
    "www:x:33:\n";

TEST(ResolveUser, NameGivesIdsHomeAndSupplementaryGroups) {
  const auto r = resolve_user(UserSpec{"user", std::nullopt}, kPasswd, kGroup);
  EXPECT_EQ(r.user.uid, 1000U);
  EXPECT_EQ(r.user.gid, 1000U);
  EXPECT_EQ(r.home, "/home/user");
  // its own primary group (1000) is not repeated among the supplementary ones
  EXPECT_EQ(r.user.additional_gids, (std::vector<uint32_t>{100, 29}));
}

TEST(ResolveUser, NumericIdsNeedNoEntryAndGetNoSupplementaryGroups) {
  const auto r = resolve_user(UserSpec{"1000", std::string("1000")}, kPasswd, kGroup);
  EXPECT_EQ(r.user.uid, 1000U);
  EXPECT_TRUE(r.user.additional_gids.empty());
  const auto unknown = resolve_user(UserSpec{"4242", std::nullopt}, kPasswd, kGroup);
  EXPECT_EQ(unknown.user.uid, 4242U);
  EXPECT_EQ(unknown.user.gid, 0U);
  EXPECT_EQ(unknown.home, "/");
}

TEST(ResolveUser, GroupByName) {
  EXPECT_EQ(resolve_user(UserSpec{"web", std::string("users")}, kPasswd, kGroup).user.gid, 100U);
}

TEST(ResolveUser, UnknownNamesAreClearErrors) {
  try {
    (void)resolve_user(UserSpec{"nobody-here", std::nullopt}, kPasswd, kGroup);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no user 'nobody-here'"), std::string::npos);
  }
  EXPECT_THROW((void)resolve_user(UserSpec{"user", std::string("nogroup")}, kPasswd, kGroup), ConfigError);
}

}  // namespace
}  // namespace barco
