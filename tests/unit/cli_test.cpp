#include "test_config.hpp"

#include <barco/defaults.hpp>
#include <barco/oci.hpp>
#include <barco/plan.hpp>
#include <barco/runtime.hpp>

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/resource.h>

#include <regex>

namespace barco {
namespace {

using testing::config_from_words;
using testing::FakeHost;

bool has_env(const ContainerConfig& c, const std::string& entry) {
  return std::find(c.process.env.begin(), c.process.env.end(), entry) != c.process.env.end();
}

std::string config_error(std::vector<std::string> words, const FakeHost& host = {}) {
  try {
    (void)config_from_words(std::move(words), host);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CliToConfig, Defaults) {
  const auto c = config_from_words({"--rootfs", "/r", "sh"});
  EXPECT_EQ(c.id, "0123456789ab");
  EXPECT_EQ(c.hostname, "0123456789ab");
  EXPECT_EQ(c.root.path, "/r");
  EXPECT_FALSE(c.root.readonly);
  EXPECT_EQ(c.process.args, std::vector<std::string>{"sh"});
  EXPECT_EQ(c.process.cwd, "/");
  EXPECT_EQ(c.process.user, User{});
  EXPECT_FALSE(c.process.terminal);
  EXPECT_FALSE(c.process.stdin_open);
  EXPECT_TRUE(has_env(c, std::string("PATH=") + kDefaultPath));
  EXPECT_TRUE(has_env(c, "HOSTNAME=0123456789ab"));
  EXPECT_TRUE(has_env(c, "HOME=/root"));
  EXPECT_EQ(c.mounts, default_mounts());
  EXPECT_EQ(c.devices, default_devices());
  for (auto ns :
       {Namespace::mount, Namespace::pid, Namespace::uts, Namespace::ipc, Namespace::net, Namespace::cgroup}) {
    EXPECT_TRUE(c.has_private(ns)) << namespace_name(ns);
  }
  EXPECT_FALSE(c.has_private(Namespace::user));
  EXPECT_FALSE(c.init);
}

TEST(CliToConfig, TheIssueExample) {
  const auto c = config_from_words(
      {"--rootfs", "/r", "--hostname", "web", "-e", "A=1", "-w", "/tmp", "-u", "1000:1000", "--", "id"});
  EXPECT_EQ(c.hostname, "web");
  EXPECT_TRUE(has_env(c, "A=1"));
  EXPECT_TRUE(has_env(c, "HOSTNAME=web"));
  EXPECT_TRUE(has_env(c, "HOME=/home/user"));
  EXPECT_EQ(c.process.cwd, "/tmp");
  EXPECT_EQ(c.process.user.uid, 1000U);
  EXPECT_EQ(c.process.user.gid, 1000U);
  EXPECT_EQ(c.process.args, std::vector<std::string>{"id"});
}

TEST(CliToConfig, EverythingAfterTheCommandBelongsToIt) {
  const auto c = config_from_words({"--rootfs", "/r", "sh", "-c", "echo", "-e", "A=1", "--rootfs", "x"});
  EXPECT_EQ(c.process.args, (std::vector<std::string>{"sh", "-c", "echo", "-e", "A=1", "--rootfs", "x"}));
  EXPECT_FALSE(has_env(c, "A=1"));
  const auto d = config_from_words({"--rootfs", "/r", "-eA=1", "-it", "--", "--weird", "-x"});
  EXPECT_EQ(d.process.args, (std::vector<std::string>{"--weird", "-x"}));
  EXPECT_TRUE(has_env(d, "A=1"));
  EXPECT_TRUE(d.process.terminal);
  EXPECT_TRUE(d.process.stdin_open);
}

TEST(CliToConfig, EnvFileThenEnvFlagsOverride) {
  FakeHost host;
  host.host_files["/e"] = "A=from-file\nB=2\nFROM_HOST\n";
  const auto c =
      config_from_words({"--rootfs", "/r", "--env-file", "/e", "-e", "A=flag", "-e", "HOME=/h", "true"}, host);
  EXPECT_TRUE(has_env(c, "A=flag"));
  EXPECT_FALSE(has_env(c, "A=from-file"));
  EXPECT_TRUE(has_env(c, "B=2"));
  EXPECT_TRUE(has_env(c, "FROM_HOST=yes"));
  EXPECT_TRUE(has_env(c, "HOME=/h"));
  EXPECT_FALSE(has_env(c, "HOME=/root"));
  EXPECT_NE(config_error({"--rootfs", "/r", "--env-file", "/missing", "true"}).find("--env-file '/missing'"),
            std::string::npos);
}

TEST(CliToConfig, TtyDefaultsToStdinBeingATerminal) {
  FakeHost host;
  host.tty = true;
  const auto c = config_from_words({"--rootfs", "/r", "sh"}, host);
  EXPECT_TRUE(c.process.terminal);
  EXPECT_TRUE(c.process.stdin_open);
  EXPECT_TRUE(has_env(c, "TERM=xterm"));
  EXPECT_FALSE(config_from_words({"--rootfs", "/r", "-T", "sh"}, host).process.terminal);
  EXPECT_TRUE(config_from_words({"--rootfs", "/r", "-t", "sh"}).process.terminal);
}

TEST(CliToConfig, VolumesTmpfsReadOnlyAfterDefaults) {
  const auto c =
      config_from_words({"--rootfs", "/r", "-v", "/srv/data:/data:ro", "--tmpfs", "/run", "--read-only", "ls"});
  EXPECT_TRUE(c.root.readonly);
  ASSERT_EQ(c.mounts.size(), default_mounts().size() + 2);
  EXPECT_EQ(c.mounts[c.mounts.size() - 2].destination, "/data");
  EXPECT_EQ(c.mounts[c.mounts.size() - 2].recursive_attr_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  EXPECT_EQ(c.mounts.back().destination, "/run");
  EXPECT_NE(config_error({"--rootfs", "/r", "-v", "/nope:/data", "ls"}).find("/nope does not exist"),
            std::string::npos);
}

TEST(CliToConfig, SharingHostNamespaces) {
  const auto c = config_from_words(
      {"--rootfs", "/r", "--network", "host", "--pid", "host", "--ipc", "host", "--uts", "host", "ip", "addr"});
  for (auto ns : {Namespace::net, Namespace::pid, Namespace::ipc, Namespace::uts}) {
    EXPECT_FALSE(c.has_private(ns)) << namespace_name(ns);
  }
  EXPECT_TRUE(c.has_private(Namespace::mount));
  EXPECT_FALSE(has_env(c, "HOSTNAME=0123456789ab"));
  EXPECT_TRUE(config_from_words({"--rootfs", "/r", "--network", "none", "true"}).has_private(Namespace::net));
  EXPECT_NE(config_error({"--rootfs", "/r", "--network", "overlay", "true"}).find("--network 'overlay': unknown mode"),
            std::string::npos);
  EXPECT_NE(config_error({"--rootfs", "/r", "--pid", "container:x", "true"}).find("--pid"), std::string::npos);
  EXPECT_NE(config_error({"--rootfs", "/r", "--uts", "host", "--hostname", "x", "true"}).find("--uts host"),
            std::string::npos);
}

TEST(CliToConfig, PrivateUserNamespaceUsesRootsSubordinateRange) {
  FakeHost host;
  host.host_files["/etc/subuid"] = "root:300000:65536\n";
  const auto c = config_from_words({"--rootfs", "/r", "--userns", "private", "id"}, host);
  EXPECT_TRUE(c.has_private(Namespace::user));
  EXPECT_EQ(c.uid_mappings, (std::vector<IdMapping>{{0, 300000, 65536}}));
  EXPECT_EQ(c.gid_mappings, (std::vector<IdMapping>{{0, kFallbackUsernsStart, kUsernsSize}}))
      << "no range for root in /etc/subgid: one above useradd's, not the 100000 its first user gets";
  EXPECT_NE(config_error({"--rootfs", "/r", "--userns", "maybe", "id"}).find("--userns 'maybe'"), std::string::npos);
}

TEST(CliToConfig, UlimitsAndInit) {
  const auto c = config_from_words({"--rootfs", "/r", "--ulimit", "nofile=1024:2048", "--init", "true"});
  ASSERT_EQ(c.process.rlimits.size(), 1U);
  EXPECT_EQ(c.process.rlimits[0], (Rlimit{RLIMIT_NOFILE, 1024, 2048}));
  EXPECT_TRUE(c.init);
}

TEST(CliToConfig, ClearErrors) {
  EXPECT_NE(config_error({"--rootfs", "/missing", "sh"}).find("--rootfs '/missing': No such file"), std::string::npos);
  EXPECT_NE(config_error({"--rootfs", "/r", "--name", "bad/name", "sh"}).find("not a valid container name"),
            std::string::npos);
  EXPECT_NE(config_error({"--rootfs", "/r", "-w", "tmp", "sh"}).find("not an absolute path"), std::string::npos);
  EXPECT_NE(config_error({"--rootfs", "/r", "-u", "ghost", "sh"}).find("no user 'ghost'"), std::string::npos);
  EXPECT_NE(config_error({"--rootfs", "/r"}).find("no command given"), std::string::npos);
  EXPECT_NE(config_error({"--rootfs", "/r", "--hostname", std::string(65, 'h'), "sh"}).find("64"), std::string::npos);
}

TEST(CliToConfig, SecurityDefaults) {
  const auto c = config_from_words({"--rootfs", "/r", "sh"});
  EXPECT_EQ(c.process.capabilities.bounding, docker_default_caps());
  EXPECT_EQ(c.process.capabilities.effective, docker_default_caps());
  EXPECT_EQ(c.process.capabilities.inheritable, 0U);
  EXPECT_FALSE(c.process.no_new_privileges);
  ASSERT_TRUE(c.seccomp.has_value());
  EXPECT_FALSE(c.seccomp_explicit);
  EXPECT_NE(std::find(c.masked_paths.begin(), c.masked_paths.end(), "/proc/kcore"), c.masked_paths.end());
  EXPECT_NE(std::find(c.masked_paths.begin(), c.masked_paths.end(), "/sys/devices/system/cpu/cpu0/thermal_throttle"),
            c.masked_paths.end());
  EXPECT_EQ(c.readonly_paths, default_readonly_paths());
}

TEST(CliToConfig, SecurityFlags) {
  const auto c = config_from_words({"--rootfs", "/r", "--cap-drop", "ALL", "--cap-add", "net_admin", "--security-opt",
                                    "no-new-privileges", "--security-opt", "seccomp=unconfined", "--security-opt",
                                    "systempaths=unconfined", "--device", "/dev/fuse", "sh"});
  EXPECT_EQ(c.process.capabilities.effective, cap_bit(12));
  EXPECT_TRUE(c.process.no_new_privileges);
  EXPECT_FALSE(c.seccomp.has_value());
  EXPECT_TRUE(c.masked_paths.empty());
  EXPECT_TRUE(c.readonly_paths.empty());
  EXPECT_EQ(c.devices.back(), (Device{"/dev/fuse", 'c', 10, 229, 0666}));
  EXPECT_NE(config_error({"--rootfs", "/r", "--device", "/dev/nothing", "sh"}).find("not a character or block device"),
            std::string::npos);
  EXPECT_NE(
      config_error({"--rootfs", "/r", "--cap-add", "BOGUS", "sh"}).find("--cap-add/--cap-drop: unknown capability"),
      std::string::npos);
  EXPECT_NE(config_error({"--rootfs", "/r", "--security-opt", "seccomp=/missing.json", "sh"}).find("cannot be read"),
            std::string::npos);
  // the fake host, like this machine, lacks CAP_SYS_RESOURCE
  EXPECT_NE(config_error({"--rootfs", "/r", "--cap-add", "SYS_RESOURCE", "sh"})
                .find("--cap-add: barco itself does not hold CAP_SYS_RESOURCE"),
            std::string::npos);
}

TEST(CommandSplit, UnknownFlagIsLeftToCli11) {
  CLI::App app;
  cli::RunFlags flags;
  auto* run = app.add_subcommand("run");
  cli::add_run_flags(*run, flags);
  const std::vector<std::string> words{"barco", "run", "--rootfs", "/r", "--bogus", "--", "sh"};
  const size_t at = cli::find_command_start(*run, words, 2);
  EXPECT_EQ(words[at], "--");  // --bogus stays on barco's side, where CLI11 rejects it
  std::vector<std::string> head(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(at));
  std::vector<char*> argv;
  for (auto& w : head) argv.push_back(w.data());
  EXPECT_THROW(app.parse(static_cast<int>(argv.size()), argv.data()), CLI::ParseError);
}

}  // namespace
}  // namespace barco

namespace barco {
namespace {

// runc's layout, which callers parse: "<name> version X.Y.Z", then "commit:", then "spec:".
TEST(Version, RuncsLayoutWithTheLibrariesAndTheBuild) {
  const auto info = version_info();
  EXPECT_TRUE(std::regex_match(info.version, std::regex(R"(\d+\.\d+\.\d+)"))) << info.version;
  EXPECT_TRUE(std::regex_match(info.commit, std::regex(R"([0-9a-f]{12}(-dirty)?|unknown)"))) << info.commit;
  EXPECT_EQ(info.spec, kOciVersion);
  EXPECT_TRUE(std::regex_match(info.libseccomp, std::regex(R"(2\.\d+\.\d+)"))) << info.libseccomp;
  EXPECT_NE(info.build.find(", "), std::string::npos) << info.build;
  EXPECT_EQ(
      version_text({"1.2.3", "abcdef012345", "1.2.0", "2.5.4", "Release, static, x86_64"}),
      "barco version 1.2.3 (a drop-in for runc version 1.1.5)\ncommit: abcdef012345\nspec: 1.2.0\nlibseccomp: 2.5.4\n"
      "build: Release, static, x86_64\n");
}

}  // namespace
}  // namespace barco
