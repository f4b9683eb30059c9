// The OCI runtime CLI end to end, as a caller like podman's conmon drives it: spec, create,
// state, start, kill, delete, hooks, run --bundle, exec --process, and the errors.
#include "harness.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace barco::it {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class Oci : public BarcoTest {
 protected:
  RunResult b(std::vector<std::string> args) {
    args.insert(args.begin(), {"--root", state_root()});
    return barco(args);
  }

  // `barco spec` in a fresh bundle, then `edit` on its config.json. The rootfs is the shared
  // busybox tree, read-only.
  std::string bundle(const std::function<void(nlohmann::json&)>& edit) {
    const auto dir = scratch_dir();
    const auto spec = barco({"spec", "--bundle", dir});
    EXPECT_EQ(spec.exit_code, 0) << spec.err;
    auto config = nlohmann::json::parse(slurp(dir + "/config.json"));
    config["root"]["path"] = test_rootfs();
    config["root"]["readonly"] = true;
    config["process"]["terminal"] = false;
    edit(config);
    std::ofstream(dir + "/config.json") << config.dump(1);
    return dir;
  }

  // create's container inherits its stdout and stderr: they go to files, not to the
  // harness's pipes (which would stay open as long as the container runs).
  RunResult create(const std::string& bundle_dir, const std::string& id, const std::string& extra = "") {
    const std::string cmd = "exec '" + barco_binary() + "' --root '" + state_root() + "' create --bundle '" +
                            bundle_dir + "' " + extra + " " + id + " >'" + bundle_dir + "/out' 2>'" + bundle_dir +
                            "/err'";
    auto r = command({"/bin/sh", "-c", cmd});
    r.err = slurp(bundle_dir + "/err");
    return r;
  }

  nlohmann::json state(const std::string& id) {
    const auto r = b({"state", id});
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }

  void wait_for_status(const std::string& id, const std::string& status) {
    for (int i = 0; i < 500 && state(id).value("status", "") != status; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(state(id).value("status", ""), status);
  }
};

TEST_F(Oci, CreateStateStartKillDelete) {
  const auto dir = bundle([](nlohmann::json& c) {
    c["process"]["args"] = {"sh", "-c",
                            "echo started; trap 'echo terminated; exit 0' TERM; while true; do sleep 0.1; done"};
  });
  const auto created = create(dir, "oci1", "--pid-file '" + dir + "/pid'");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto s = state("oci1");
  EXPECT_EQ(s["status"], "created");
  EXPECT_EQ(s["ociVersion"].get<std::string>().substr(0, 2), "1.");
  EXPECT_EQ(s["bundle"], fs::canonical(dir).string());
  const int pid = s["pid"].get<int>();
  EXPECT_EQ(slurp(dir + "/pid"), std::to_string(pid));
  EXPECT_EQ(::kill(pid, 0), 0);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(slurp(dir + "/out").find("started"), std::string::npos) << "the command ran before start";

  const auto started = b({"start", "oci1"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(state("oci1")["status"], "running");
  for (int i = 0; i < 200 && slurp(dir + "/out").find("started") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(slurp(dir + "/out").find("started"), std::string::npos);
  EXPECT_NE(b({"start", "oci1"}).exit_code, 0) << "a second start succeeded";

  ASSERT_EQ(b({"kill", "oci1", "TERM"}).exit_code, 0);
  wait_for_status("oci1", "stopped");
  EXPECT_NE(slurp(dir + "/out").find("terminated"), std::string::npos) << "SIGTERM did not reach the trap";

  ASSERT_EQ(b({"delete", "oci1"}).exit_code, 0);
  const auto gone = b({"state", "oci1"});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.err.find("no container 'oci1'"), std::string::npos) << gone.err;
}

// --log: containerd's shim and conmon read a failed call's reason from the log file, in
// logrus' JSON or text form; the error also stays on stderr.
TEST_F(Oci, LogFileLinesInRuncsTwoForms) {
  const auto dir = scratch_dir();
  const auto json = b({"--log", dir + "/json.log", "--log-format", "json", "kill", "nosuch", "KILL"});
  EXPECT_NE(json.exit_code, 0);
  EXPECT_NE(json.err.find("nosuch"), std::string::npos) << json.err;
  const auto line = nlohmann::json::parse(slurp(dir + "/json.log"));
  EXPECT_EQ(line["level"], "error");
  EXPECT_NE(line["msg"].get<std::string>().find("no container 'nosuch'"), std::string::npos) << line;
  EXPECT_TRUE(line.contains("time"));
  (void)b({"--log", dir + "/text.log", "--log-format", "text", "kill", "nosuch", "KILL"});
  const auto text = slurp(dir + "/text.log");
  EXPECT_EQ(text.rfind("time=\"", 0), 0U) << text;
  EXPECT_NE(text.find("\" level=error msg=\""), std::string::npos) << text;
  EXPECT_NE(text.find("no container 'nosuch'"), std::string::npos) << text;
}

// runc runs them from the container's root directory: hooks written for runc use relative paths.
TEST_F(Oci, CreateContainerHooksRunInTheContainersRoot) {
  const auto log = scratch_dir() + "/cwd.log";
  std::string root;
  const auto dir = bundle([&](nlohmann::json& c) {
    c["process"]["args"] = {"true"};
    const nlohmann::json hook = {{"path", "/bin/sh"}, {"args", {"sh", "-c", "pwd > " + log}}};
    c["hooks"]["createContainer"] = nlohmann::json::array({hook});
    root = c["root"]["path"].get<std::string>();
  });
  const auto r = b({"run", "--bundle", dir, "hookcwd"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(log), fs::canonical(fs::path(dir) / root).string() + "\n");
}

// linux.resources.unified: on a pure v2 host the file is written in the container's own
// cgroup (read back from inside, where the cgroup namespace makes it the root); where the
// controllers are on v1 the start is refused and nothing is left.
TEST_F(Oci, UnifiedResourcesAreWrittenOnV2AndRefusedOnV1) {
  const auto dir = bundle([](nlohmann::json& c) {
    c["process"]["args"] = {"cat", "/sys/fs/cgroup/memory.high"};
    c["linux"]["resources"]["unified"] = {{"memory.high", "67108864"}};
  });
  const auto r = b({"run", "--bundle", dir, "unified"});
  if (fs::exists("/sys/fs/cgroup/cgroup.controllers")) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "67108864\n");
  } else {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("linux.resources.unified: invalid configuration"), std::string::npos) << r.err;
  }
}

// runc #3248: a read-only /dev still gets its nodes (made before it turns read-only), and
// only the tmpfs is read-only, not devpts or shm below it.
TEST_F(Oci, AReadOnlyDevGetsItsNodesFirst) {
  const auto dir = bundle([](nlohmann::json& c) {
    for (auto& m : c["mounts"]) {
      if (m["destination"] == "/dev") {
        m["options"].push_back("ro");
      }
    }
    c["process"]["args"] = {"sh", "-c",
                            "grep '^tmpfs /dev ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; "
                            "echo x > /dev/null && echo null-ok; touch /dev/new 2>/dev/null || echo dev-ro; "
                            "touch /dev/shm/f && echo shm-rw"};
  });
  const auto r = b({"run", "--bundle", dir, "rodev"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"ro", "null-ok", "dev-ro", "shm-rw"}));
}

// A startContainer hook runs under the container's filter: one the filter kills says so.
TEST_F(Oci, AHookKilledBySeccompIsNamedSo) {
  const auto dir = bundle([](nlohmann::json& c) {
    c["process"]["args"] = {"true"};
    c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                             {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_KILL"}}}}};
    const nlohmann::json hook = {{"path", "/bin/mkdir"}, {"args", {"mkdir", "/tmp/x"}}};
    c["hooks"]["startContainer"] = nlohmann::json::array({hook});
  });
  const auto r = b({"run", "--bundle", dir, "sighook"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(
      r.err.find("error running hook (startContainer hook /bin/mkdir): killed by SIGSYS, bad system call (signal 31)"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("a seccomp filter refused one of its system calls"), std::string::npos) << r.err;
}

TEST_F(Oci, HooksRunInOrderWithTheStateOnStdin) {
  const auto log = scratch_dir() + "/hooks.log";
  auto host_hook = [&](const std::string& phase) {
    return nlohmann::json{{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo " + phase + " $(cat) >> " + log}}};
  };
  const auto dir = bundle([&](nlohmann::json& c) {
    c["process"]["args"] = {"sh", "-c", "echo command-ran"};
    c["hooks"] = {{"prestart", {host_hook("prestart")}},
                  {"createRuntime", {host_hook("createRuntime")}},
                  {"createContainer", {host_hook("createContainer")}},
                  // Runs inside the container: the path is the container's /bin/sh.
                  {"startContainer", {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo startContainer $(cat)"}}}}},
                  {"poststart", {host_hook("poststart")}},
                  {"poststop", {host_hook("poststop")}}};
  });
  const auto created = create(dir, "hooked");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto phases = [&] {
    std::vector<std::string> out;
    for (const auto& line : lines(slurp(log))) {
      out.push_back(line.substr(0, line.find(' ')));
      const auto state = nlohmann::json::parse(line.substr(line.find(' ') + 1));
      EXPECT_EQ(state.value("id", ""), "hooked") << line;
      // A stopped container's state has no pid (runtime-spec): poststop sees none.
      EXPECT_EQ(state.value("pid", 0) > 0, out.back() != "poststop") << line;
    }
    return out;
  };
  EXPECT_EQ(phases(), (std::vector<std::string>{"prestart", "createRuntime", "createContainer"}));
  ASSERT_EQ(b({"start", "hooked"}).exit_code, 0);
  EXPECT_EQ(phases(), (std::vector<std::string>{"prestart", "createRuntime", "createContainer", "poststart"}));
  wait_for_status("hooked", "stopped");
  const auto out = lines(slurp(dir + "/out"));
  ASSERT_EQ(out.size(), 2U) << slurp(dir + "/out") << slurp(dir + "/err");
  EXPECT_EQ(out[0].rfind("startContainer {", 0), 0U) << out[0];
  EXPECT_EQ(out[1], "command-ran");
  ASSERT_EQ(b({"delete", "hooked"}).exit_code, 0);
  EXPECT_EQ(phases().back(), "poststop");
}

// The spec: a failing poststart or poststop hook is a warning and the hooks after it still
// run; the annotations are in `state` and in every hook's state.
TEST_F(Oci, FailingPoststartAndPoststopHooksDoNotStopTheNextOnesAndTheStateHasTheAnnotations) {
  const auto log = scratch_dir() + "/hooks.log";
  const nlohmann::json failing = {{"path", "/bin/sh"}, {"args", {"sh", "-c", "exit 7"}}};
  auto recording = [&](const std::string& phase) {
    return nlohmann::json{{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo " + phase + " $(cat) >> " + log}}};
  };
  const auto dir = bundle([&](nlohmann::json& c) {
    c["process"]["args"] = {"sleep", "30"};
    c["annotations"] = {{"org.example.lab", "hooks"}};
    c["hooks"] = {{"poststart", {failing, recording("poststart")}}, {"poststop", {failing, recording("poststop")}}};
  });
  ASSERT_EQ(create(dir, "annot").exit_code, 0);
  EXPECT_EQ(state("annot")["annotations"], (nlohmann::json{{"org.example.lab", "hooks"}}));
  const auto started = b({"start", "annot"});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_NE(started.err.find("error running hook (poststart hook /bin/sh): exited with 7"), std::string::npos)
      << started.err;
  const auto deleted = b({"delete", "--force", "annot"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_NE(deleted.err.find("error running hook (poststop hook /bin/sh): exited with 7"), std::string::npos)
      << deleted.err;
  const auto recorded = lines(slurp(log));
  ASSERT_EQ(recorded.size(), 2U) << slurp(log);
  for (const auto& line : recorded) {
    const auto hook_state = nlohmann::json::parse(line.substr(line.find(' ') + 1));
    EXPECT_EQ(hook_state["annotations"], (nlohmann::json{{"org.example.lab", "hooks"}})) << line;
  }
  EXPECT_EQ(recorded[0].rfind("poststart ", 0), 0U);
  EXPECT_EQ(recorded[1].rfind("poststop ", 0), 0U);
}

// An exec into a container of the OCI verbs behaves as runc's: stdin is passed without -i, 255 for barco's own
// failures (the command's status otherwise), and a pid file that cannot be written kills the
// process it names.
TEST_F(Oci, ExecIntoAnOciContainerBehavesAsRuncs) {
  const auto dir = bundle([](nlohmann::json& c) { c["process"]["args"] = {"sleep", "30"}; });
  ASSERT_EQ(create(dir, "ociexec").exit_code, 0);
  ASSERT_EQ(b({"start", "ociexec"}).exit_code, 0);
  EXPECT_EQ(b({"exec", "ociexec", "false"}).exit_code, 1);
  EXPECT_EQ(b({"exec", "ociexec", "sh", "-c", "exit 42"}).exit_code, 42);
  // runc's exec reads the caller's stdin without -i.
  const auto piped =
      command({"/bin/sh", "-c",
               "echo 'echo from-stdin' | '" + barco_binary() + "' --root '" + state_root() + "' exec ociexec sh"});
  EXPECT_EQ(piped.out, "from-stdin\n") << piped.err;
  EXPECT_EQ(b({"exec", "ociexec", "no-such-binary"}).exit_code, 255);
  EXPECT_EQ(b({"exec", "nosuchcontainer", "true"}).exit_code, 255);
  const auto pid_file = b({"exec", "--pid-file", "/nonexistent/dir/pid", "ociexec", "sleep", "31"});
  EXPECT_EQ(pid_file.exit_code, 255);
  EXPECT_NE(pid_file.err.find("/nonexistent/dir/pid"), std::string::npos) << pid_file.err;
  EXPECT_EQ(b({"ps", "ociexec"}).out.find("sleep 31"), std::string::npos)
      << "the exec'd process whose pid file failed is still running";
  b({"pause", "ociexec"});
  const auto paused = b({"exec", "ociexec", "true"});
  EXPECT_EQ(paused.exit_code, 255);
  EXPECT_NE(paused.err.find("cannot exec in a paused container"), std::string::npos) << paused.err;
  b({"resume", "ociexec"});
  EXPECT_EQ(b({"delete", "--force", "ociexec"}).exit_code, 0);
}

// runc's rules: kill of a stopped container fails (but kill --all does not); delete of a paused one needs --force,
// which thaws it (a frozen process dies of SIGKILL only once thawed) and removes its cgroups
// (the harness checks none is left).
TEST_F(Oci, KillOfAStoppedContainerFailsAndDeleteForceRemovesAPausedOne) {
  const auto dir = bundle([](nlohmann::json& c) { c["process"]["args"] = {"true"}; });
  ASSERT_EQ(create(dir, "done").exit_code, 0);
  ASSERT_EQ(b({"start", "done"}).exit_code, 0);
  wait_for_status("done", "stopped");
  const auto killed = b({"kill", "done", "KILL"});
  EXPECT_NE(killed.exit_code, 0);
  EXPECT_NE(killed.err.find("not running"), std::string::npos) << killed.err;
  // --all signals what is left in its cgroups: nothing here, which is no error (runc's rule).
  const auto all = b({"kill", "--all", "done", "0"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(b({"delete", "done"}).exit_code, 0);

  const auto sleeper = bundle([](nlohmann::json& c) { c["process"]["args"] = {"sleep", "30"}; });
  ASSERT_EQ(create(sleeper, "frozen").exit_code, 0);
  ASSERT_EQ(b({"start", "frozen"}).exit_code, 0);
  ASSERT_EQ(b({"pause", "frozen"}).exit_code, 0);
  EXPECT_NE(b({"delete", "frozen"}).exit_code, 0) << "a paused container was deleted without --force";
  const auto exec_paused = b({"exec", "frozen", "true"});
  EXPECT_NE(exec_paused.exit_code, 0);
  EXPECT_NE(exec_paused.err.find("exec --ignore-paused"), std::string::npos) << exec_paused.err;
  const auto forced = b({"delete", "--force", "frozen"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(b({"state", "frozen"}).exit_code, 0);
}

// A cgroup someone froze before create would stop the container at its first step: refused
// (as runc does), and the cgroup is left as it was found.
TEST_F(Oci, CreateIntoAFrozenCgroupIsRefusedAndTheCgroupKept) {
  const std::string freezer = "/sys/fs/cgroup/freezer";
  const bool v1 = fs::exists(freezer + "/freezer.state") || fs::exists(freezer + "/tasks");
  const bool v2 = fs::exists("/sys/fs/cgroup/cgroup.subtree_control");
  if (!v1 && !v2) {
    GTEST_SKIP() << "no freezer";
  }
  const std::string dir = v1 ? freezer + "/barco-frozen-test" : "/sys/fs/cgroup/barco-frozen-test";
  ASSERT_TRUE(fs::create_directory(dir));
  std::ofstream(dir + (v1 ? "/freezer.state" : "/cgroup.freeze")) << (v1 ? "FROZEN" : "1");
  const auto b_dir = bundle([](nlohmann::json& c) {
    c["process"]["args"] = {"true"};
    c["linux"]["cgroupsPath"] = "/barco-frozen-test";
  });
  const auto r = create(b_dir, "iced");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("container's cgroup unexpectedly frozen"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir)) << "the frozen cgroup was not barco's to remove";
  std::ofstream(dir + (v1 ? "/freezer.state" : "/cgroup.freeze")) << (v1 ? "THAWED" : "0");
  ::rmdir(dir.c_str());
}

TEST_F(Oci, AFailingCreateRuntimeHookFailsCreateAndLeavesNothing) {
  const auto dir = bundle([](nlohmann::json& c) {
    c["hooks"] = {{"createRuntime", {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "exit 3"}}}}}};
  });
  const auto r = create(dir, "badhook");
  EXPECT_EQ(r.exit_code, 1) << "runc's status for a failed create";
  EXPECT_NE(r.err.find("error running hook (createRuntime hook /bin/sh): exited with 3"), std::string::npos) << r.err;
}

TEST_F(Oci, ErrorsNameTheProblem) {
  const auto missing = b({"create", "--bundle", "/nonexistent/bundle", "x1"});
  EXPECT_EQ(missing.exit_code, 1) << "runc's status for a failed create";
  EXPECT_NE(missing.err.find("not a directory"), std::string::npos) << missing.err;

  const auto empty = scratch_dir();
  const auto no_config = b({"create", "--bundle", empty, "x2"});
  EXPECT_NE(no_config.err.find("no config.json"), std::string::npos) << no_config.err;

  std::ofstream(empty + "/config.json") << "{ not json";
  const auto bad_json = b({"create", "--bundle", empty, "x3"});
  EXPECT_EQ(bad_json.exit_code, 1) << "runc's status for a failed create";
  EXPECT_NE(bad_json.err.find("is not valid JSON"), std::string::npos) << bad_json.err;

  const auto future = bundle([](nlohmann::json& c) { c["ociVersion"] = "2.0.0"; });
  const auto bad_version = b({"create", "--bundle", future, "x4"});
  EXPECT_EQ(bad_version.exit_code, 1) << "runc's status for a failed create";
  EXPECT_NE(bad_version.err.find("$.ociVersion: '2.0.0' is not supported"), std::string::npos) << bad_version.err;

  const auto no_args = bundle([](nlohmann::json& c) { c["process"]["args"] = nlohmann::json::array(); });
  EXPECT_NE(b({"create", "--bundle", no_args, "x5"}).err.find("$.process.args"), std::string::npos);

  const auto dir = bundle([](nlohmann::json& c) { c["process"]["args"] = {"sleep", "30"}; });
  ASSERT_EQ(create(dir, "twice").exit_code, 0);
  const auto again = create(dir, "twice");
  EXPECT_EQ(again.exit_code, 1) << "runc's status for a failed create";
  EXPECT_NE(again.err.find("already called 'twice'"), std::string::npos) << again.err;
  EXPECT_EQ(b({"delete", "--force", "twice"}).exit_code, 0);
}

TEST_F(Oci, RunBundleRunsInTheForegroundWithTheCommandsStatus) {
  const auto dir = bundle([](nlohmann::json& c) {
    c["process"]["args"] = {"sh", "-c", "hostname; grep Seccomp: /proc/self/status; exit 3"};
    c["hostname"] = "from-bundle";
  });
  const auto r = b({"run", "--bundle", dir, "fg"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"from-bundle", "Seccomp:\t2"}));
}

TEST_F(Oci, TheCommandRunsWithTheConfigsUmask) {
  const auto dir = bundle([](nlohmann::json& c) {
    c["process"]["args"] = {"sh", "-c", "grep Umask: /proc/self/status; touch /dev/shm/f; stat -c %a /dev/shm/f"};
    c["process"]["user"]["umask"] = 63;  // 077
  });
  const auto r = b({"run", "--bundle", dir, "umask"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"Umask:\t0077", "600"}));
}

// docker, ctr and podman list every host device for --privileged, /dev/ptmx and
// /dev/console included (and some paths twice): the container starts, /dev/ptmx stays the
// link to its own devpts, and every listed node exists.
TEST_F(Oci, PrivilegedDeviceListsWithPtmxAndConsoleStart) {
  const auto dir = bundle([](nlohmann::json& c) {
    c["process"]["args"] = {"sh", "-c",
                            "readlink /dev/ptmx; ls /dev/console /dev/tty0 /dev/null >/dev/null && echo nodes"};
    auto dev = [](const char* path, int major, int minor) {
      return nlohmann::json{{"path", path}, {"type", "c"}, {"major", major}, {"minor", minor}, {"fileMode", 0666}};
    };
    c["linux"]["devices"] = {dev("/dev/ptmx", 5, 2), dev("/dev/console", 5, 1), dev("/dev/tty0", 4, 0),
                             dev("/dev/null", 1, 3), dev("/dev/null", 1, 3)};
  });
  const auto r = b({"run", "--bundle", dir, "priv"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"pts/ptmx", "nodes"})) << r.err;
}

// runc's forms that its callers and its own tests use: `run ID` in the bundle directory,
// `run -d` (create + start; the record stays until delete), `list`, `--keep`, exec into a
// created container, and `delete --force` of an unknown id succeeding.
TEST_F(Oci, RuncsRunFormsAndList) {
  const auto dir = bundle([](nlohmann::json& c) { c["process"]["args"] = {"sh", "-c", "echo from-cwd; exit 4"}; });
  const auto in_dir = [&](const std::string& args) {
    return command({"/bin/sh", "-c",
                    "cd '" + dir + "' && exec '" + barco_binary() + "' --root '" + state_root() + "' " + args + " >'" +
                        dir + "/out' 2>'" + dir + "/err'"});
  };
  EXPECT_EQ(in_dir("run fg").exit_code, 4) << slurp(dir + "/err");
  EXPECT_EQ(slurp(dir + "/out"), "from-cwd\n");
  EXPECT_NE(b({"state", "fg"}).exit_code, 0) << "a foreground run removes its record";
  EXPECT_EQ(in_dir("run --keep kept").exit_code, 4);
  EXPECT_EQ(state("kept")["status"], "stopped");
  // An OCI container without cgroupsPath lives at <barco's own cgroup>/<id>, as runc's.
  const auto kept_cgroups = nlohmann::json::parse(slurp(state_root() + "/kept/state.json"))["cgroups"];
  ASSERT_FALSE(kept_cgroups.empty());
  for (const auto& dir : kept_cgroups) {
    EXPECT_TRUE(fs::is_directory(dir.get<std::string>())) << dir << ": --keep keeps the cgroups until delete";
  }
  EXPECT_EQ(b({"delete", "kept"}).exit_code, 0);
  for (const auto& dir : kept_cgroups) {
    EXPECT_FALSE(fs::exists(dir.get<std::string>())) << dir << " was left after delete";
  }

  auto config = nlohmann::json::parse(slurp(dir + "/config.json"));
  config["process"]["args"] = {"sleep", "30"};
  std::ofstream(dir + "/config.json") << config.dump();
  ASSERT_EQ(in_dir("run -d bg").exit_code, 0) << slurp(dir + "/err");
  EXPECT_EQ(state("bg")["status"], "running") << "run -d returns once the command runs";
  const auto quiet = b({"list", "-q"});
  EXPECT_EQ(quiet.out, "bg\n");
  const auto list_json = b({"list", "--format", "json"}).out;
  const auto listed = nlohmann::json::parse(list_json);
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_TRUE(list_json.starts_with(R"([{"ociVersion":")")) << "runc's field order: " << list_json;
  EXPECT_NE(list_json.find(R"(,"id":"bg","pid":)"), std::string::npos) << list_json;
  EXPECT_LT(list_json.find(R"("status":)"), list_json.find(R"("bundle":)")) << list_json;
  EXPECT_LT(list_json.find(R"("rootfs":)"), list_json.find(R"("created":)")) << list_json;
  EXPECT_EQ(listed[0]["id"], "bg");
  EXPECT_EQ(listed[0]["status"], "running");
  EXPECT_EQ(listed[0]["bundle"], fs::canonical(dir).string());
  const auto table = lines(b({"ps", "bg"}).out);  // ps(1) -ef, the container's lines only
  ASSERT_EQ(table.size(), 2U) << b({"ps", "bg"}).out;
  EXPECT_NE(table[0].find("PID"), std::string::npos);
  EXPECT_TRUE(table[1].ends_with("sleep 30")) << table[1];
  EXPECT_EQ(lines(b({"ps", "bg", "-o", "pid,comm"}).out).size(), 2U);
  EXPECT_EQ(nlohmann::json::parse(b({"ps", "--format", "json", "bg"}).out),
            nlohmann::json::array({state("bg")["pid"]}));
  EXPECT_EQ(b({"kill", "bg", "0"}).exit_code, 0) << "signal 0: the container runs";
  ASSERT_EQ(b({"kill", "--all", "bg", "KILL"}).exit_code, 0);
  wait_for_status("bg", "stopped");
  EXPECT_NE(b({"kill", "bg", "0"}).exit_code, 0) << "signal 0: it does not any more";
  EXPECT_EQ(b({"delete", "bg"}).exit_code, 0);

  ASSERT_EQ(create(dir, "early").exit_code, 0);
  const auto entered = b({"exec", "early", "echo", "inside-created"});
  EXPECT_EQ(entered.exit_code, 0) << entered.err;
  EXPECT_EQ(entered.out, "inside-created\n");
  const auto flags = b({"exec", "--cwd", "/bin", "--additional-gids", "100", "early", "sh", "-c", "pwd; id -G"});
  EXPECT_EQ(lines(flags.out), (std::vector<std::string>{"/bin", "0 100"})) << flags.err;
  EXPECT_EQ(b({"delete", "--force", "early"}).exit_code, 0);
  EXPECT_EQ(b({"delete", "--force", "never-was"}).exit_code, 0);
  EXPECT_NE(b({"delete", "never-was"}).exit_code, 0);
}

// runc's features barco used to refuse: a FIFO in linux.devices, filesystem data on a bind
// (ignored, with a warning), and disableOOMKiller (v1: the container's memory.oom_control).
TEST_F(Oci, FifoDevicesBindDataAndDisableOomKiller) {
  const bool v1 = fs::exists("/sys/fs/cgroup/memory/memory.oom_control");
  const auto dir = bundle([&](nlohmann::json& c) {
    c["process"]["args"] = {"sh", "-c",
                            "test -p /dev/fifo && echo fifo; grep -s oom_kill_disable "
                            "/sys/fs/cgroup/memory/memory.oom_control || true"};
    c["linux"]["devices"] = {{{"path", "/dev/fifo"}, {"type", "p"}, {"fileMode", 0600}}};
    c["linux"]["resources"]["memory"] = {{"limit", 67108864}, {"disableOOMKiller", true}};
    c["mounts"].push_back(
        {{"destination", "/mnt"}, {"type", "bind"}, {"source", "/tmp"}, {"options", {"rbind", "mode=755"}}});
  });
  const auto r = b({"run", "--bundle", dir, "fifo"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("'mode=755' ignored"), std::string::npos) << r.err;
  const auto out = lines(r.out);
  ASSERT_FALSE(out.empty()) << r.err;
  EXPECT_EQ(out[0], "fifo");
  if (v1) {
    ASSERT_EQ(out.size(), 2U) << r.out;
    EXPECT_EQ(out[1], "oom_kill_disable 1");
  }
}

// rootfsPropagation shared and unbindable apply to the container's / (made after every
// mount was private, so no peer group is shared with the host's mounts).
TEST_F(Oci, RootfsPropagationIsApplied) {
  for (const auto& [propagation, tag] :
       std::vector<std::pair<std::string, std::string>>{{"rshared", "shared:"}, {"unbindable", "unbindable"}}) {
    const auto dir = bundle([&](nlohmann::json& c) {
      c["process"]["args"] = {"sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo"};
      c["linux"]["rootfsPropagation"] = propagation;
    });
    const auto r = b({"run", "--bundle", dir, "prop"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(tag), std::string::npos) << propagation << ": " << r.out;
  }
}

// Without a cgroup namespace a fresh cgroup mount would show the host's whole tree: the
// container's own cgroup is bound at /sys/fs/cgroup (as runc), so its limit is where it
// looks, and /proc/self/cgroup names its host path, for run and exec alike.
TEST_F(Oci, WithoutACgroupNamespaceTheContainerSeesItsOwnCgroup) {
  const bool v1 = fs::exists("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  const auto dir = bundle([&](nlohmann::json& c) {
    auto& ns = c["linux"]["namespaces"];
    ns.erase(std::remove_if(ns.begin(), ns.end(), [](const nlohmann::json& n) { return n["type"] == "cgroup"; }),
             ns.end());
    c["linux"]["resources"]["memory"] = {{"limit", 67108864}};
    c["process"]["args"] = {"sh", "-c",
                            std::string("cat ") +
                                (v1 ? "/sys/fs/cgroup/memory/memory.limit_in_bytes" : "/sys/fs/cgroup/memory.max") +
                                "; tail -1 /proc/self/cgroup; sleep 30"};
  });
  ASSERT_EQ(create(dir, "nocgns").exit_code, 0);
  ASSERT_EQ(b({"start", "nocgns"}).exit_code, 0);
  for (int i = 0; i < 200 && lines(slurp(dir + "/out")).size() < 2; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  const auto out = lines(slurp(dir + "/out"));
  ASSERT_EQ(out.size(), 2U) << slurp(dir + "/out") << slurp(dir + "/err");
  EXPECT_EQ(out[0], "67108864");
  EXPECT_TRUE(out[1].ends_with("/nocgns")) << out[1];
  const auto exec = b({"exec", "nocgns", "tail", "-1", "/proc/self/cgroup"});
  EXPECT_EQ(exec.out, out[1] + "\n") << "exec joins the same cgroup";
  EXPECT_EQ(b({"delete", "--force", "nocgns"}).exit_code, 0);
}

TEST_F(Oci, ExecWithAProcessFile) {
  const auto dir = bundle([](nlohmann::json& c) { c["process"]["args"] = {"sleep", "30"}; });
  ASSERT_EQ(create(dir, "withexec").exit_code, 0);
  ASSERT_EQ(b({"start", "withexec"}).exit_code, 0);
  const auto process = dir + "/process.json";
  std::ofstream(process) << nlohmann::json{{"args", {"sh", "-c", "echo from-process-file; id -u"}},
                                           {"cwd", "/"},
                                           {"env", {"PATH=/bin:/usr/bin"}},
                                           {"user", {{"uid", 1000}, {"gid", 1000}}}}
                                .dump();
  const auto r = b({"exec", "--process", process, "withexec"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"from-process-file", "1000"}));
  EXPECT_EQ(b({"delete", "--force", "withexec"}).exit_code, 0);
}

// CVE-2016-9962 and its kin: the set-up init waits in barco's code until start, visible to
// whatever joins its pid namespace (exec into a created container, a hook). It must hold no
// fd of barco's caller (fd 7, a host directory) and must be non-dumpable: its /proc/PID
// files are then owned by the host's root, not by the container's (mapped) root, so a
// process of the container's user can neither ptrace it nor open /proc/PID/fd.
TEST_F(Oci, CreatedInitIsNotDumpableAndHoldsNoHostFd) {
  const auto dir = bundle([](nlohmann::json& c) {
    c["process"]["args"] = {"true"};
    c["linux"]["namespaces"].push_back({{"type", "user"}});
    c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
    c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
  });
  const std::string cmd = "exec 7</tmp; exec '" + barco_binary() + "' --root '" + state_root() + "' create --bundle '" +
                          dir + "' dumpable >'" + dir + "/out' 2>'" + dir + "/err'";
  ASSERT_EQ(command({"/bin/sh", "-c", cmd}).exit_code, 0) << slurp(dir + "/err");
  const int pid = state("dumpable")["pid"].get<int>();
  const std::string proc = "/proc/" + std::to_string(pid);
  struct stat st {};
  ASSERT_EQ(::stat((proc + "/fd").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0U) << "a dumpable init's /proc files belong to the container's root (host uid 200000)";
  for (const auto& e : fs::directory_iterator(proc + "/fd")) {
    const auto target = fs::read_symlink(e.path()).string();
    if (std::stoi(e.path().filename().string()) <= 2) continue;  // the caller's stdio, as runc keeps it
    EXPECT_TRUE(target.rfind("socket:", 0) == 0 || target.ends_with("/exec.fifo"))
        << "fd " << e.path().filename() << " -> " << target << " reached the container (only the sync socket and "
        << "the exec FIFO may)";
  }
  // The attack itself: a process with the container root's host uid tries to open its fds.
  const pid_t child = ::fork();
  if (child == 0) {
    if (::setresgid(200000, 200000, 200000) != 0 || ::setresuid(200000, 200000, 200000) != 0) ::_exit(2);
    ::_exit(::open((proc + "/fd").c_str(), O_RDONLY | O_DIRECTORY) >= 0 ? 1 : 0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the container's uid opened /proc/PID/fd of barco's waiting init";
  EXPECT_EQ(b({"delete", "--force", "dumpable"}).exit_code, 0);
}

// linux.sysctl wrote any key through /proc/sys: kernel.core_pattern runs a host program on
// the next crash anywhere, net.* without a network namespace changes the host's network.
TEST_F(Oci, SysctlOutsideTheContainersNamespacesIsRefused) {
  for (const auto& [key, namespaces] : std::vector<std::pair<std::string, bool>>{
           {"kernel.core_pattern", true}, {"net.ipv4.ip_forward", false}, {"vm.overcommit_memory", true}}) {
    const auto dir = bundle([&, key = key, keep = namespaces](nlohmann::json& c) {
      c["linux"]["sysctl"] = {{key, "1"}};
      if (!keep) {
        c["linux"]["namespaces"] = nlohmann::json::array({{{"type", "mount"}}, {{"type", "pid"}}});
      }
    });
    const auto r = create(dir, "sysctl");
    EXPECT_EQ(r.exit_code, 1) << "runc's status for a failed create" << key;
    EXPECT_NE(r.err.find("'" + key + "' is refused"), std::string::npos) << r.err;
    EXPECT_NE(b({"state", "sysctl"}).exit_code, 0) << "a refused config left a container";
  }
  const auto dir = bundle([](nlohmann::json& c) {
    c["process"]["args"] = {"cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmni"};
    c["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmni", "1234"}};
  });
  const auto r = b({"run", "--bundle", dir, "sysctl-ok"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), (std::vector<std::string>{"1", "1234"}));
}

// CVE-2025-52881's shape: something mounted over a /proc/sys file (here a host file bound
// by the config; in the advisory a racing container's) turned the sysctl write into a write
// to that file. The write now goes below a checked procfs without crossing any mount.
TEST_F(Oci, SysctlWriteCoveredByAMountIsRefused) {
  const auto dir = bundle([&](nlohmann::json& c) {
    c["linux"]["sysctl"] = {{"kernel.shmmni", "77"}};
    c["mounts"].push_back({{"destination", "/proc/sys/kernel/shmmni"},
                           {"type", "bind"},
                           {"source", "decoy"},
                           {"options", {"bind", "rw"}}});
  });
  std::ofstream(dir + "/decoy") << "untouched";
  const auto r = create(dir, "redirected");
  EXPECT_EQ(r.exit_code, 1) << "runc's status for a failed create" << r.err;
  EXPECT_NE(r.err.find("write_sysctl"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("covered by a mount"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(dir + "/decoy"), "untouched");
  EXPECT_NE(b({"state", "redirected"}).exit_code, 0) << "a refused config left a container";
}

// runc's --debug: logrus lines on stderr, or only in the --log file when there is one; the
// steps that do the phases runc names carry runc's phrase.
TEST_F(Oci, DebugWritesLogrusLinesWithRuncsPhaseNames) {
  const auto dir = bundle([](nlohmann::json& c) { c["process"]["args"] = {"true"}; });
  const auto on_stderr = b({"--debug", "run", "--bundle", dir, "dbg1"});
  EXPECT_EQ(on_stderr.exit_code, 0) << on_stderr.err;
  EXPECT_NE(on_stderr.err.find("\" level=debug msg=\"make_root_private: "), std::string::npos) << on_stderr.err;
  for (const char* phrase : {"(runc: nsexec container setup)", "(runc: child process in init())",
                             "(runc: init: closing the pipe to signal completion)"}) {
    EXPECT_NE(on_stderr.err.find(phrase), std::string::npos) << phrase << "\n" << on_stderr.err;
  }
  const auto logged =
      b({"--debug", "--log", dir + "/log.json", "--log-format", "json", "run", "--bundle", dir, "dbg2"});
  EXPECT_EQ(logged.exit_code, 0) << logged.err;
  EXPECT_EQ(logged.err.find("debug"), std::string::npos) << "debug lines went to stderr too:\n" << logged.err;
  const auto log = slurp(dir + "/log.json");
  EXPECT_NE(log.find(R"("level":"debug")"), std::string::npos) << log;
  EXPECT_NE(log.find("(runc: child process in init())"), std::string::npos) << log;

  const auto sleeper = bundle([](nlohmann::json& c) { c["process"]["args"] = {"sleep", "30"}; });
  ASSERT_EQ(create(sleeper, "dbg3").exit_code, 0);
  const auto exec = b({"--debug", "exec", "dbg3", "true"});
  EXPECT_EQ(exec.exit_code, 0) << exec.err;
  EXPECT_NE(exec.err.find("(runc: setns_init: about to exec)"), std::string::npos) << exec.err;
  const auto verbose = b({"--verbose", "exec", "dbg3", "true"});
  EXPECT_NE(verbose.err.find("barco debug: exec: "), std::string::npos) << "--verbose keeps barco's form";
  EXPECT_EQ(verbose.err.find("runc:"), std::string::npos) << verbose.err;
  EXPECT_EQ(b({"delete", "--force", "dbg3"}).exit_code, 0);
}

// Callers and runc's tests read the first lines of runc's help and version texts.
TEST_F(Oci, HelpAndVersionBeginAsRuncs) {
  const auto help = barco({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out.rfind("NAME:\n   barco - ", 0), 0U) << help.out;
  EXPECT_NE(help.out.find("drop-in for runc - Open Container Initiative runtime\n"), std::string::npos) << help.out;
  for (const char* verb : {"checkpoint", "delete", "exec", "list", "restore", "run", "update"}) {
    const auto sub = barco({verb, "-h"});
    EXPECT_EQ(sub.exit_code, 0) << verb;
    EXPECT_EQ(sub.out.rfind(std::string("NAME:\n   barco ") + verb + " (runc " + verb + ") - ", 0), 0U) << sub.out;
  }
  const auto logs = barco({"logs", "--help"});
  EXPECT_EQ(logs.out.rfind("NAME:\n   barco logs - ", 0), 0U) << logs.out;  // runc has no logs
  const auto unknown = barco({"foo", "-h"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("No help topic for 'foo'"), std::string::npos) << unknown.err;

  const auto version = barco({"-v"});
  EXPECT_EQ(version.exit_code, 0);
  std::vector<std::string> lines;
  std::istringstream text(version.out);
  for (std::string line; std::getline(text, line);) {
    lines.push_back(line);
  }
  ASSERT_GE(lines.size(), 3U) << version.out;
  EXPECT_TRUE(
      std::regex_search(lines[0], std::regex(R"(^barco version \S+ \(a drop-in for runc version \d+\.\d+\.\d+\))")))
      << lines[0];
  EXPECT_EQ(lines[1].rfind("commit: ", 0), 0U);
  EXPECT_TRUE(std::regex_match(lines[2], std::regex(R"(spec: \d+\.\d+\.\d+)"))) << lines[2];
}

// CRIU cannot run on every kernel (Debian 12's 3.17 fails `criu check` on 6.18): checkpoint
// and restore say why in CRIU's own words, after checking the container.
TEST_F(Oci, CheckpointAndRestoreSayWhyCriuCannotRun) {
  const auto dir = scratch_dir();
  const auto criu = dir + "/criu";
  std::ofstream(criu) << "#!/bin/sh\n[ \"$1\" = check ] && echo 'vdso: Unexpected rt vDSO area bounds' >&2\nexit 1\n";
  ASSERT_EQ(::chmod(criu.c_str(), 0755), 0);
  const auto sleeper = bundle([](nlohmann::json& c) { c["process"]["args"] = {"sleep", "30"}; });
  ASSERT_EQ(create(sleeper, "cp").exit_code, 0);
  const auto created = b({"--criu", criu, "checkpoint", "--image-path", dir + "/img", "--leave-running", "cp"});
  EXPECT_EQ(created.exit_code, 1);
  EXPECT_NE(created.err.find("checkpoint: container 'cp' is created"), std::string::npos) << created.err;
  ASSERT_EQ(b({"start", "cp"}).exit_code, 0);
  const auto refused = b({"--criu", criu, "checkpoint", "--image-path", dir + "/img", "--leave-running", "cp"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("checkpoint: criu check: " + criu + ": vdso: Unexpected rt vDSO area bounds"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(state("cp").value("status", ""), "running");
  const auto missing = b({"--criu", dir + "/none", "restore", "--image-path", dir + "/img", "-b", sleeper, "new"});
  EXPECT_NE(missing.err.find("restore: criu check: " + dir + "/none: not found — hint: install CRIU"),
            std::string::npos)
      << missing.err;
  EXPECT_EQ(b({"delete", "--force", "cp"}).exit_code, 0);
}

TEST_F(Oci, FeaturesDescribeTheRuntime) {
  const auto r = barco({"features"});
  ASSERT_EQ(r.exit_code, 0);
  const auto f = nlohmann::json::parse(r.out);
  EXPECT_EQ(f["ociVersionMin"], "1.0.0");
  EXPECT_TRUE(f["linux"]["seccomp"]["enabled"].get<bool>());
  EXPECT_EQ(f["hooks"].size(), 6U);
}

}  // namespace
}  // namespace barco::it
