// Unit tests of request authentication and framing (agent/protocol).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

#include "agent/protocol/auth.h"
#include "agent/protocol/line_framer.h"

namespace faultline::agent::protocol {
namespace {

TEST(Hmac, MatchesRfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Authenticator, AcceptsSignedRequestsWithIncreasingCounters) {
  Authenticator auth("secret", "nonce1");
  auto first = auth.verify(make_envelope("secret", "nonce1", 1, R"({"id":1,"op":"hello"})"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ((*first)["op"], "hello");
  auto skip = auth.verify(make_envelope("secret", "nonce1", 7, R"({"id":2,"op":"list"})"));
  ASSERT_TRUE(skip.ok());
  EXPECT_EQ(auth.last_counter(), 7u);
}

TEST(Authenticator, RefusesWrongToken) {
  Authenticator auth("secret", "n");
  auto result = auth.verify(make_envelope("not-the-secret", "n", 1, R"({"id":1,"op":"hello"})"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(result.error().message.find("signature does not match"), std::string::npos);
  EXPECT_EQ(auth.last_counter(), 0u);
}

TEST(Authenticator, RefusesReplayAndOtherConnectionsNonce) {
  Authenticator auth("secret", "n");
  auto line = make_envelope("secret", "n", 1, R"({"id":1,"op":"hello"})");
  ASSERT_TRUE(auth.verify(line).ok());
  auto replay = auth.verify(line);
  ASSERT_FALSE(replay.ok());
  EXPECT_NE(replay.error().message.find("replayed"), std::string::npos);
  // Signed for another connection's nonce: refused even with a fresh counter.
  auto other = auth.verify(make_envelope("secret", "other-nonce", 5, R"({"id":1,"op":"hello"})"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kUnauthenticated);
}

TEST(Authenticator, RefusesAlteredBody) {
  Authenticator auth("secret", "n");
  auto line = make_envelope("secret", "n", 1, R"({"id":1,"op":"list"})");
  auto pos = line.find("list");
  line.replace(pos, 4, "heal");
  ASSERT_FALSE(auth.verify(line).ok());
}

TEST(Authenticator, RefusesUnauthenticatedTruncatedGarbage) {
  Authenticator auth("secret", "n");
  auto unauthenticated = auth.verify(R"({"body":"{\"id\":1,\"op\":\"hello\"}"})");
  ASSERT_FALSE(unauthenticated.ok());
  EXPECT_EQ(unauthenticated.error().code, ErrorCode::kUnauthenticated);
  auto full = make_envelope("secret", "n", 1, R"({"id":1,"op":"hello"})");
  auto truncated = auth.verify(std::string_view(full).substr(0, full.size() / 2));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, ErrorCode::kInvalidInput);
  for (std::string garbage : {"", "\x01\x02\xff", "[]", "42", "null", R"({"counter":-1,"mac":"x","body":"{}"})"}) {
    EXPECT_FALSE(auth.verify(garbage).ok()) << garbage;
  }
  EXPECT_EQ(auth.last_counter(), 0u);
}

TEST(LineFramer, SplitsLinesAndRefusesOversizedWithoutBufferingIt) {
  std::vector<std::string> lines;
  std::vector<std::size_t> oversized;
  LineFramer framer(
      8, [&](std::string_view line) { lines.emplace_back(line); },
      [&](std::size_t seen) { oversized.push_back(seen); });
  framer.feed("ab\ncd");
  framer.feed("e\r\n0123456789");
  EXPECT_LE(framer.buffered(), 8u);
  framer.feed("0123456789\nok\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "ab");
  EXPECT_EQ(lines[1], "cde");
  EXPECT_EQ(lines[2], "ok");
  ASSERT_EQ(oversized.size(), 1u);
}

class TokenFile : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("faultline-token-" + std::to_string(::getpid()));
    std::ofstream(path_) << "s3cret\n";
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(TokenFile, ReadsPrivateFileAndStripsNewline) {
  ::chmod(path_.c_str(), 0600);
  auto token = read_token_file(path_);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(*token, "s3cret");
}

TEST_F(TokenFile, RefusesGroupOrWorldReadable) {
  for (mode_t mode : {0644, 0640, 0604}) {
    ::chmod(path_.c_str(), mode);
    auto token = read_token_file(path_);
    ASSERT_FALSE(token.ok()) << std::oct << mode;
    EXPECT_NE(token.error().message.find("chmod 600"), std::string::npos);
  }
}

}  // namespace
}  // namespace faultline::agent::protocol
