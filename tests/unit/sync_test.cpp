#include "runtime/sync.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

namespace barco {
namespace {

TEST(Sync, ErrorRoundTripKeepsEveryField) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair);
  const Error e{ENOTDIR, "change_dir", "chdir(\"/etc/passwd\")", "a hint"};
  ASSERT_TRUE(pair->second.send(Message::from_error(e)));
  auto m = pair->first.receive();
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*m)->type, MessageType::error);
  const auto back = (*m)->to_error();
  EXPECT_EQ(back.err, ENOTDIR);
  EXPECT_EQ(back.step, "change_dir");
  EXPECT_EQ(back.call, "chdir(\"/etc/passwd\")");
  EXPECT_EQ(back.hint, "a hint");
}

TEST(Sync, PassesAFileDescriptor) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair);
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(pair->second.send(Message{MessageType::pty_master, 0, {}, {}, {}}, fd));
  ::close(fd);
  UniqueFd received;
  auto m = pair->first.receive(&received);
  ASSERT_TRUE(m && m->has_value());
  EXPECT_EQ((*m)->type, MessageType::pty_master);
  ASSERT_TRUE(received.valid());
  EXPECT_EQ(::fcntl(received.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

TEST(Sync, EofWhenThePeerCloses) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair);
  pair->second.close();
  auto m = pair->first.receive();
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->has_value());
}

TEST(Sync, BothEndsAreCloseOnExec) {
  auto pair = SyncChannel::make_pair();
  ASSERT_TRUE(pair);
  EXPECT_EQ(::fcntl(pair->first.fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(::fcntl(pair->second.fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

}  // namespace
}  // namespace barco
