#include "runtime/state.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace barco {
namespace {

class State : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/barco-state-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  RealSys sys_;  // the record's files are real here: what is left on disk is the test

  static StateInfo info(const std::string& id) {
    StateInfo s;
    s.id = id;
    s.rootfs = "/r";
    s.command = {"sh"};
    return s;
  }
  [[nodiscard]] size_t entries() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(root_), {}));
  }
  std::string root_;
};

// The writable layer and log: created with the record, removed with it, never those of a
// live container whose id a second reservation tried; a data_dir in a record that does not
// end in its id (an edited state.json) is not trusted for removal.
TEST_F(State, DataDirComesAndGoesWithTheRecord) {
  auto i = info("web");
  i.data_dir = root_ + "/data/web";
  {
    auto r = StateRecord::reserve(sys_, root_ + "/state", i);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_TRUE(std::filesystem::is_directory(i.data_dir));
    std::ofstream(i.data_dir + "/container.log") << "x";
    EXPECT_FALSE(StateRecord::reserve(sys_, root_ + "/state", i)) << "a live id was reserved twice";
    EXPECT_TRUE(std::filesystem::exists(i.data_dir + "/container.log")) << "the losing reservation removed the data";
  }
  EXPECT_FALSE(std::filesystem::exists(i.data_dir));
  auto j = to_json(i);
  j["data_dir"] = "/etc";
  EXPECT_EQ(state_from_json(j).data_dir, "");
  j["data_dir"] = root_ + "/data/../web";
  EXPECT_EQ(state_from_json(j).data_dir, "");
  EXPECT_EQ(state_from_json(to_json(i)).data_dir, i.data_dir);
}

// Found by fuzz_state_json: a pid of 2.2e20 was converted to int (undefined behaviour), and
// 4294967297 wrapped around to pid 1. A number that does not fit is no number.
TEST(StateJson, NumbersOutOfRangeAreNotRead) {
  const auto s = state_from_json(nlohmann::json::parse(
      R"({"id": "x", "pid": 222222222222222222222, "barco_pid": 4294967297, "pid_start_time": -1,
          "exit_code": 1.5, "cpu_weight": 1e300})"));
  EXPECT_EQ(s.pid, 0);
  EXPECT_EQ(s.barco_pid, 0);
  EXPECT_EQ(s.pid_start_time, 0U);
  EXPECT_FALSE(s.exit_code.has_value());
  const auto fine = state_from_json(nlohmann::json::parse(R"({"pid": 42, "exit_code": 137})"));
  EXPECT_EQ(fine.pid, 42);
  EXPECT_EQ(fine.exit_code, 137);
}

TEST_F(State, RecordExistsWhileOwnedAndIsRemovedAfter) {
  {
    auto r = StateRecord::reserve(sys_, root_, info("c1"));
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(std::filesystem::exists(root_ + "/c1/state.json"));
    ASSERT_TRUE(r->mark_running(1234));
    std::ifstream in(root_ + "/c1/state.json");
    const auto j = nlohmann::json::parse(in);
    EXPECT_EQ(j["status"], "running");
    EXPECT_EQ(j["pid"], 1234);
    EXPECT_EQ(j["barco_pid"], ::getpid());
    EXPECT_EQ(j["command"], nlohmann::json::array({"sh"}));
  }
  EXPECT_EQ(entries(), 0U);
}

TEST_F(State, SecondReservationOfALiveIdIsRefusedAndLeavesNothing) {
  auto first = StateRecord::reserve(sys_, root_, info("dup"));
  ASSERT_TRUE(first);
  auto second = StateRecord::reserve(sys_, root_, info("dup"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().err, EEXIST);
  EXPECT_NE(second.error().hint.find("already called 'dup'"), std::string::npos);
  EXPECT_EQ(entries(), 1U);  // no .new-* directory left behind
}

TEST_F(State, StaleRecordsOfDeadBarcosAreSweptAway) {
  std::filesystem::create_directories(root_ + "/old");
  std::ofstream(root_ + "/old/state.json") << R"({"id":"old","barco_pid":2147483000,"barco_start_time":1})";
  std::filesystem::create_directories(root_ + "/garbage");
  std::ofstream(root_ + "/garbage/state.json") << R"({"barco_pid":"not a number"})";
  std::filesystem::create_directories(root_ + "/.new-2147483001");
  auto r = StateRecord::reserve(sys_, root_, info("fresh"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(std::filesystem::exists(root_ + "/old"));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/garbage"));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/.new-2147483001"));
  EXPECT_TRUE(std::filesystem::exists(root_ + "/fresh"));
}

TEST_F(State, AStaleRecordDoesNotBlockItsId) {
  std::filesystem::create_directories(root_ + "/again");
  std::ofstream(root_ + "/again/state.json") << R"({"id":"again","barco_pid":2147483000,"barco_start_time":1})";
  EXPECT_TRUE(StateRecord::reserve(sys_, root_, info("again")));
}

TEST_F(State, ReservationFailureNamesThePath) {
  auto r = StateRecord::reserve(sys_, "/proc/barco-cannot-be-here", info("x"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("/proc/barco-cannot-be-here"), std::string::npos);
}

TEST(ProcessStartTime, OwnIsNonZeroAMissingOneIsZero) {
  EXPECT_GT(process_start_time(::getpid()), 0ULL);
  EXPECT_EQ(process_start_time(2147483000), 0ULL);
}

}  // namespace
}  // namespace barco
