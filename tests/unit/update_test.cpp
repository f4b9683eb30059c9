// `update` and `events`: merging new limits, the files they become on v1 and v2, the order
// memory limits must be written in, the -r resources JSON, the record keeping the limits,
// and runc's statistics read from cgroup files.
#include "error_of.hpp"

#include <barco/container.hpp>
#include <barco/oci.hpp>
#include <barco/parse.hpp>
#include <barco/resources.hpp>

#include <gtest/gtest.h>

#include <map>

namespace barco {
namespace {

using testing::error_of;

std::map<std::string, std::string> by_file(const std::vector<ResourceWrite>& writes) {
  std::map<std::string, std::string> out;
  for (const auto& w : writes) out[w.file] = w.value;
  return out;
}

Resources initial() {
  Resources r;
  r.memory = 32 << 20;
  r.memory_reservation = 24 << 20;
  r.cpu_shares = 100;
  r.cpu_quota = CpuQuota{500000, 1000000};
  r.pids_limit = 20;
  return r;
}

TEST(Update, GivenFieldsReplaceTheContainersOthersStay) {
  ResourceUpdate u;
  u.set.memory = 64 << 20;
  u.set.pids_limit = -1;
  const auto next = apply_update(initial(), u);
  EXPECT_EQ(next.memory, 64 << 20);
  EXPECT_EQ(next.pids_limit, -1);
  EXPECT_EQ(next.memory_reservation, 24 << 20);
  EXPECT_EQ(next.cpu_quota, (CpuQuota{500000, 1000000}));
  EXPECT_EQ(next.cpu_shares, 100);
}

TEST(Update, LiftingTheMemoryLimitLiftsTheSwapLimit) {
  Resources r = initial();
  r.memory_swap = 96 << 20;
  ResourceUpdate u;
  u.set.memory = -1;
  EXPECT_EQ(apply_update(r, u).memory_swap, -1) << "v1 refuses a memory limit above memory+swap";
  u.set.memory_swap = 128 << 20;
  EXPECT_EQ(apply_update(r, u).memory_swap, 128 << 20);
}

TEST(Update, CpuPeriodAndQuotaMayComeAlone) {
  ResourceUpdate period;
  period.cpu_period = 900000;
  EXPECT_EQ(apply_update(initial(), period).cpu_quota, (CpuQuota{500000, 900000}));
  ResourceUpdate quota;
  quota.cpu_quota = -1;
  EXPECT_EQ(apply_update(initial(), quota).cpu_quota, (CpuQuota{-1, 1000000}));
  // A container created without CFS limits: the kernel's defaults fill the other half.
  EXPECT_EQ(apply_update(Resources{}, period).cpu_quota, (CpuQuota{-1, 900000}));
  quota.cpu_quota = 30000;
  EXPECT_EQ(apply_update(Resources{}, quota).cpu_quota, (CpuQuota{30000, 100000}));
}

TEST(Update, SharesAndWeightAreOneKnob) {
  Resources weighted;
  weighted.cpu_weight = 500;
  ResourceUpdate u;
  u.set.cpu_shares = 200;
  const auto next = apply_update(weighted, u);
  EXPECT_EQ(next.cpu_shares, 200);
  EXPECT_FALSE(next.cpu_weight) << "else v2 would keep writing the old weight";
}

TEST(Update, UnlimitedIsWrittenAsEachVersionSpellsIt) {
  Resources r;
  r.memory = -1;
  r.memory_swap = -1;
  r.pids_limit = -1;
  r.cpu_quota = CpuQuota{-1, 100000};
  const auto v1 = by_file(v1_resource_writes(r, false));
  EXPECT_EQ(v1.at("memory.limit_in_bytes"), "-1");
  EXPECT_EQ(v1.at("memory.memsw.limit_in_bytes"), "-1");
  EXPECT_EQ(v1.at("pids.max"), "max");
  EXPECT_EQ(v1.at("cpu.cfs_quota_us"), "-1");
  std::vector<std::string> unenforced;
  const auto v2 = by_file(v2_resource_writes(r, false, unenforced));
  EXPECT_EQ(v2.at("memory.max"), "max");
  EXPECT_EQ(v2.at("memory.swap.max"), "max");
  EXPECT_EQ(v2.at("cpu.max"), "max 100000");
  EXPECT_TRUE(unenforced.empty());
}

TEST(Update, SwapOnV2IsSwapAloneAndRealtimeIsV1Only) {
  Resources r;
  r.memory = 30 << 20;
  r.memory_swap = 50 << 20;
  r.cpu_rt_period = 800001;
  r.cpu_rt_runtime = 500001;
  std::vector<std::string> unenforced;
  EXPECT_EQ(by_file(v2_resource_writes(r, false, unenforced)).at("memory.swap.max"), std::to_string(20 << 20));
  ASSERT_EQ(unenforced.size(), 1U);
  EXPECT_NE(unenforced[0].find("realtime"), std::string::npos);
  const auto v1 = v1_resource_writes(r, false);
  EXPECT_EQ(by_file(v1).at("memory.memsw.limit_in_bytes"), std::to_string(50 << 20));
  auto at = [&](const char* file) {
    return std::find_if(v1.begin(), v1.end(), [&](const ResourceWrite& w) { return w.file == file; }) - v1.begin();
  };
  EXPECT_LT(at("cpu.rt_period_us"), at("cpu.rt_runtime_us")) << "the kernel checks runtime against the period";
}

TEST(Update, RaisingMemoryWritesTheSwapLimitFirst) {
  Resources r;
  r.memory = 60 << 20;
  r.memory_swap = 80 << 20;
  auto writes = v1_resource_writes(r, false);
  order_memory_writes(writes, 30 << 20);
  EXPECT_EQ(writes[0].file, "memory.memsw.limit_in_bytes");
  EXPECT_EQ(writes[1].file, "memory.limit_in_bytes");
  order_memory_writes(writes, 100 << 20);  // lowering: the memory limit first
  EXPECT_EQ(writes[0].file, "memory.limit_in_bytes");
  r.memory = -1;
  writes = v1_resource_writes(r, false);
  order_memory_writes(writes, 30 << 20);  // lifting the limit is raising it
  EXPECT_EQ(writes[0].file, "memory.memsw.limit_in_bytes");
}

TEST(Update, ResourcesJsonAsRuncReadsIt) {
  std::vector<std::string> warnings;
  const auto u = parse_oci_resources(
      R"({"memory": {"limit": 33554432, "reservation": 25165824}, "cpu": {"shares": 100, "quota": 500000,
          "period": 1000000, "cpus": "0", "realtimeRuntime": 500001}, "pids": {"limit": 20},
          "devices": [{"allow": true, "access": "rwm"}]})",
      warnings);
  EXPECT_EQ(u.set.memory, 33554432);
  EXPECT_EQ(u.set.memory_reservation, 25165824);
  EXPECT_EQ(u.cpu_quota, 500000);
  EXPECT_EQ(u.cpu_period, 1000000);
  EXPECT_EQ(u.set.cpuset_cpus, "0");
  EXPECT_EQ(u.set.cpu_rt_runtime, 500001);
  EXPECT_EQ(u.set.pids_limit, 20);
  ASSERT_EQ(warnings.size(), 1U) << "device rules are not updated, and the caller is told";
  EXPECT_NE(warnings[0].find("devices"), std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)parse_oci_resources("{\"memory\": {\"limit\": \"big\"}}", warnings);
            }).find("$.memory.limit: expected an integer"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)parse_oci_resources("nope", warnings); }).find("not JSON"), std::string::npos);
  // Found by fuzz_oci_config: a number no double holds is nlohmann's out_of_range, not a
  // parse_error, and once escaped the ConfigError handler and aborted `barco update`.
  EXPECT_NE(
      error_of([&] { (void)parse_oci_resources("{\"cpu\": {\"quota\": 19e5201}}", warnings); }).find("number overflow"),
      std::string::npos);
}

// runc's bats update test writes `"CPU": {"Cpus": ...}`: Go's encoding/json matches keys
// in any letter case when no exact one exists, so runc applies it, and so does barco.
TEST(Update, KeysMatchInAnyLetterCaseAsInGo) {
  std::vector<std::string> warnings;
  const auto u = parse_oci_resources(R"({"CPU": {"Cpus": "0", "shares": 100}, "Pids": {"LIMIT": 7}})", warnings);
  EXPECT_EQ(u.set.cpuset_cpus, "0");
  EXPECT_EQ(u.set.pids_limit, 7);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  const auto exact = parse_oci_resources(R"({"pids": {"limit": 9}, "Pids": {"limit": 7}})", warnings);
  EXPECT_EQ(exact.set.pids_limit, 9) << "an exact match wins, as in Go";
  // Found by fuzz_oci_config: the process was read from the document by its exact key after
  // the reader had found it in another letter case (an uncaught out_of_range).
  const auto config = parse_oci_config(R"({"ociVersion": "1.0.2", "Process": {"args": ["sh"], "cwd": "/"},
                                           "root": {"path": "rootfs"}, "linux": {"namespaces": [{"type": "mount"}]}})",
                                       OciContext{"/b", "c"});
  EXPECT_EQ(config.config.process.args, std::vector<std::string>{"sh"});
}

TEST(Update, TheRecordKeepsTheLimitsInForce) {
  StateInfo info;
  info.id = "web";
  info.resources = initial();
  info.resources.cpu_weight = 300;
  info.resources.cpu_rt_period = 900001;
  const auto back = state_from_json(to_json(info));
  EXPECT_EQ(back.resources, info.resources);
  EXPECT_FALSE(state_from_json(to_json(StateInfo{})).resources.any());
}

TEST(Update, PeriodAloneAtCreateMeansNoQuota) {
  std::vector<std::string> warnings;
  EXPECT_EQ(apply_update(Resources{}, parse_oci_resources(R"({"cpu": {"period": 1000000}})", warnings)).cpu_quota,
            (CpuQuota{-1, 1000000}));
  EXPECT_EQ(apply_update(Resources{}, parse_oci_resources(R"({"cpu": {"quota": 5000}})", warnings)).cpu_quota,
            (CpuQuota{5000, 100000}));
  EXPECT_FALSE(apply_update(Resources{}, parse_oci_resources(R"({"cpu": {}})", warnings)).cpu_quota);
}

TEST(Durations, GoSyntax) {
  EXPECT_EQ(parse_duration("5s", "--interval"), std::chrono::seconds(5));
  EXPECT_EQ(parse_duration("100ms", "--interval"), std::chrono::milliseconds(100));
  EXPECT_EQ(parse_duration("1m30s", "--interval"), std::chrono::seconds(90));
  for (const char* bad : {"", "5", "s", "5x", "0s", "-1s"}) {
    EXPECT_NE(error_of([&] { (void)parse_duration(bad, "--interval"); }).find("--interval '"), std::string::npos)
        << bad;
  }
}

TEST(Stats, CgroupV1FilesAsRuncReportsThem) {
  const std::map<std::string, std::string> files = {
      {"cpuacct.usage", "6279543\n"},
      {"cpuacct.usage_percpu", "3700668 2578875 \n"},
      {"cpuacct.stat", "user 3\nsystem 2\n"},
      {"cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 77\n"},
      {"memory.usage_in_bytes", "2048000\n"},
      {"memory.limit_in_bytes", "67108864\n"},
      {"memory.max_usage_in_bytes", "4096000\n"},
      {"memory.failcnt", "0\n"},
      {"memory.stat", "cache 1986560\nrss 53248\n"},
      {"pids.current", "2\n"},
      {"pids.max", "max\n"},
  };
  const auto stats = cgroup_stats([&](const std::string& f) -> std::optional<std::string> {
    const auto it = files.find(f);
    return it == files.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
  EXPECT_EQ(stats["cpu"]["usage"]["total"], 6279543);
  EXPECT_EQ(stats["cpu"]["usage"]["percpu"], nlohmann::json::array({3700668, 2578875}));
  EXPECT_EQ(stats["cpu"]["usage"]["user"], 30000000) << "USER_HZ ticks -> nanoseconds";
  EXPECT_EQ(stats["cpu"]["throttling"]["throttled_periods"], 1);
  EXPECT_EQ(stats["memory"]["usage"]["limit"], 67108864);
  EXPECT_EQ(stats["memory"]["usage"]["max"], 4096000);
  EXPECT_EQ(stats["memory"]["cache"], 1986560);
  EXPECT_EQ(stats["memory"]["raw"]["rss"], 53248);
  EXPECT_EQ(stats["pids"]["current"], 2);
  EXPECT_EQ(stats["pids"]["limit"], 0) << "no limit reads as 0, as runc";
}

TEST(Stats, CgroupV2FilesAsRuncReportsThem) {
  const std::map<std::string, std::string> files = {
      {"cpu.stat",
       "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\nnr_throttled 0\n"
       "throttled_usec 0\n"},
      {"memory.current", "1000\n"},
      {"memory.max", "max\n"},
      {"memory.swap.current", "24\n"},
      {"memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"},
      {"memory.stat", "anon 100\nfile 900\n"},
      {"pids.current", "1\n"},
      {"pids.max", "30\n"},
  };
  const auto stats = cgroup_stats([&](const std::string& f) -> std::optional<std::string> {
    const auto it = files.find(f);
    return it == files.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
  EXPECT_EQ(stats["cpu"]["usage"]["total"], 1500000) << "microseconds -> nanoseconds";
  EXPECT_EQ(stats["cpu"]["usage"]["kernel"], 500000);
  EXPECT_EQ(stats["memory"]["usage"]["usage"], 1000);
  EXPECT_EQ(stats["memory"]["usage"]["limit"], UINT64_MAX);
  EXPECT_EQ(stats["memory"]["usage"]["failcnt"], 3);
  EXPECT_EQ(stats["memory"]["swap"]["usage"], 1024) << "memory and swap together, as v1's memsw";
  EXPECT_EQ(stats["memory"]["cache"], 900);
  EXPECT_EQ(stats["pids"]["limit"], 30);
}

}  // namespace
}  // namespace barco
