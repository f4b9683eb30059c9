// What `barco ps` says about a record: the monitor's word when it is alive, the truth
// derived from the processes when it is not.
#include "runtime/containers.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace barco {
namespace {

StateInfo record(const std::string& status) {
  StateInfo s;
  s.id = "c";
  s.status = parse_status(status);
  s.pid = 10;
  s.detached = true;
  s.auto_remove = false;
  return s;
}

TEST(DeriveView, ALiveMonitorIsBelieved) {
  EXPECT_EQ(derive_view(record("running"), "/d", true, true).status, ContainerStatus::running);
  EXPECT_EQ(derive_view(record("paused"), "/d", true, true).status, ContainerStatus::paused);
}

TEST(DeriveView, AnExitRecordedByTheMonitorStays) {
  auto s = record("exited");
  s.exit_code = 3;
  const auto v = derive_view(s, "/d", false, false);
  EXPECT_EQ(v.status, ContainerStatus::exited);
  EXPECT_EQ(v.info.exit_code, 3);
  EXPECT_TRUE(v.note.empty());
}

TEST(DeriveView, ADeadMonitorMeansTheContainerWasKilledWithIt) {
  const auto v = derive_view(record("running"), "/d", false, false);
  EXPECT_EQ(v.status, ContainerStatus::exited);
  EXPECT_EQ(v.info.exit_code, 128 + SIGKILL);
  EXPECT_NE(v.note.find("PDEATHSIG"), std::string::npos);
}

TEST(DeriveView, AnInitThatOutlivedItsMonitorIsRunningButUnsupervised) {
  const auto v = derive_view(record("running"), "/d", false, true);
  EXPECT_EQ(v.status, ContainerStatus::running);
  EXPECT_NE(v.note.find("monitor is gone"), std::string::npos);
}

TEST(ContainerStatus, NamesRoundTripAndAnUnknownWordIsExited) {
  for (const auto s : {ContainerStatus::creating, ContainerStatus::created, ContainerStatus::running,
                       ContainerStatus::paused, ContainerStatus::exited}) {
    EXPECT_EQ(parse_status(status_name(s)), s);
  }
  EXPECT_EQ(parse_status("bogus"), ContainerStatus::exited);
}

TEST(DeriveView, OciContainersHaveNoMonitor) {
  auto s = record("created");
  s.oci = true;
  EXPECT_EQ(derive_view(s, "/d", false, true).status, ContainerStatus::created);
  EXPECT_EQ(derive_view(s, "/d", false, false).status, ContainerStatus::exited);
  EXPECT_EQ(oci_status(derive_view(s, "/d", false, false)), "stopped");
}

}  // namespace
}  // namespace barco
