// The one process launcher (common/process/launch.h), on real programs.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/process/launch.h"

using namespace faultline;
using namespace faultline::process;

namespace {

LaunchOptions sh(const std::string& script) {
  LaunchOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.out = Stream::capture();
  o.err = Stream::capture();
  return o;
}

}  // namespace

TEST(Launch, RunCapturesBothStreamsAndTheExitCode) {
  auto f = run(sh("echo out; echo err >&2; exit 3"));
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->exit_code, 3);
  EXPECT_EQ(f->out, "out\n");
  EXPECT_EQ(f->err, "err\n");
  EXPECT_FALSE(f->timed_out);
}

TEST(Launch, ASignalIsReportedAs128PlusItsNumber) {
  auto f = run(sh("kill -KILL $$"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->exit_code, 128 + SIGKILL);
}

TEST(Launch, InputIsFedAndClosed) {
  auto o = sh("wc -c");
  o.in = Stream::input();
  o.input = std::string(100000, 'x');  // more than a pipe holds
  auto f = run(o);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->out, "100000\n");
}

TEST(Launch, ATimeoutKillsTheWholeGroupPromptly) {
  auto o = sh("sleep 30 & echo started; wait");
  o.group = Group::kNewSession;
  const Nanos start = monotonic_now();
  auto f = run(o, 300'000'000);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->timed_out);
  EXPECT_EQ(f->exit_code, 128 + SIGKILL);
  EXPECT_EQ(f->out, "started\n");
  EXPECT_LT(monotonic_now() - start, 2'000'000'000);
}

TEST(Launch, ABackgroundChildHoldingTheOutputDoesNotHangRun) {
  const Nanos start = monotonic_now();
  auto f = run(sh("sleep 5 & echo done"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->exit_code, 0);
  EXPECT_EQ(f->out, "done\n");
  EXPECT_LT(monotonic_now() - start, 2'000'000'000);
}

TEST(Launch, AMissingProgramIsAnErrorNotAnExit127) {
  LaunchOptions o;
  o.argv = {"faultline-no-such-program"};
  auto f = run(o);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, ErrorCode::kNotFound);
  EXPECT_NE(f.error().message.find("faultline-no-such-program"), std::string::npos);
}

TEST(Launch, EnvironmentWorkingDirectoryAndAppendedLog) {
  auto dir = std::filesystem::temp_directory_path() / ("launch-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "log") << "before\n";
  LaunchOptions o;
  o.argv = {"/bin/sh", "-c", "echo $FL_TEST_VAR; pwd"};
  o.env["FL_TEST_VAR"] = "value";
  o.working_dir = dir;
  o.out = Stream::append_to(dir / "log");
  auto f = run(o);
  ASSERT_TRUE(f.ok());
  std::ifstream in(dir / "log");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "before\nvalue\n" + dir.string() + "\n");
  std::filesystem::remove_all(dir);
}

TEST(Launch, StartInANewGroupNoFdsLeakAndAnExecSetupHook) {
  // Not close-on-exec, and a number no shell uses for itself: it must not
  // reach the child anyway.
  int opened = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(opened, 0);
  const int leak = 200;
  ASSERT_EQ(::dup2(opened, leak), leak);
  ::close(opened);
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  LaunchOptions o;
  o.argv = {"/bin/sh", "-c",
            "echo pgid=$(ps -o pgid= -p $$ | tr -d ' ') leak=$([ -e /proc/$$/fd/" + std::to_string(leak) +
                " ] && echo yes || echo no) umask=$(umask)"};
  o.group = Group::kNewGroup;
  o.out = Stream::to_fd(pipefd[1]);
  o.exec_setup = [] {
    ::umask(027);
    return 0;
  };
  auto child = start(o);
  ::close(pipefd[1]);
  ::close(leak);
  ASSERT_TRUE(child.ok()) << child.error().message;
  EXPECT_EQ(child->wait(), 0);
  char buffer[256] = {};
  auto n = ::read(pipefd[0], buffer, sizeof buffer - 1);
  ::close(pipefd[0]);
  ASSERT_GT(n, 0);
  std::string line(buffer);
  EXPECT_NE(line.find("pgid=" + std::to_string(child->pid())), std::string::npos) << line;
  EXPECT_NE(line.find("leak=no"), std::string::npos) << line;
  EXPECT_NE(line.find("umask=0027"), std::string::npos) << line;
}

TEST(Launch, AFailingExecSetupFailsTheLaunch) {
  LaunchOptions o;
  o.argv = {"/bin/true"};
  o.exec_setup = [] { return EPERM; };
  auto f = run(o);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("cannot start"), std::string::npos) << f.error().message;
}
