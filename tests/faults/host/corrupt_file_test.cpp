// corrupt-file on a real file: bitflip and truncate change the bytes the
// chunk selection names (and only those), and heal by a fresh mechanism
// instance restores the exact original bytes and length.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <random>

#include "faults/registry.h"
#include "tests/faults/host/fresh_mechanism.h"

namespace faultline::faults {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("hostfaults-corrupt-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  static inline int counter = 0;
};

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string make_file(const std::filesystem::path& p, std::size_t size) {
  std::string bytes(size, '\0');
  std::mt19937 rng(42);
  for (auto& c : bytes) c = static_cast<char>(rng());
  std::ofstream(p, std::ios::binary) << bytes;
  return bytes;
}

HostContext host_in(const TempDir& dir) {
  HostContext host;
  host.state_dir = dir.path / "state";
  std::filesystem::create_directories(host.state_dir);
  return host;
}

TEST(CorruptFile, BitflipTouchesOnlySelectedChunksAndHealRestoresExactly) {
  TempDir dir;
  auto file = dir.path / "data.wal";
  std::string original = make_file(file, 64 * 1024);
  auto host = host_in(dir);
  auto spec = FaultSpec::parse(nlohmann::json{{"kind", "corrupt-file"}, {"path", file.string()}, {"mode", "bitflip"},
                                              {"start", 4096}, {"end", 60000}, {"chunk_size", "4KiB"},
                                              {"modulus", 3}, {"index", 1}, {"probability", 0.01}, {"seed", 7}});
  ASSERT_TRUE(spec);
  auto record = MechanismRegistry::instance().plan(*spec, host);
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_EQ(read_all(file), original) << "plan must not change the file";
  EXPECT_TRUE(std::filesystem::exists((*record)["backup"].get<std::string>()));

  auto mechanism = MechanismRegistry::instance().find("corrupt-file", (*record)["mechanism"]);
  ASSERT_TRUE((*mechanism)->apply(*record, host));
  std::string corrupted = read_all(file);
  ASSERT_EQ(corrupted.size(), original.size());
  int flipped_bits = 0;
  for (std::size_t i = 0; i < original.size(); ++i) {
    auto diff = static_cast<unsigned char>(original[i] ^ corrupted[i]);
    if (!diff) continue;
    flipped_bits += __builtin_popcount(diff);
    // chunk k covers [4096 + 4096k, ...), selected when k % 3 == 1, and < 60000
    std::size_t k = (i - 4096) / 4096;
    EXPECT_GE(i, 4096u);
    EXPECT_LT(i, 60000u);
    EXPECT_EQ(k % 3, 1u) << "byte " << i << " is outside the selected chunks";
  }
  // 4 selected chunks * 4096 * 8 bits * 1% ~ 1300 flips
  EXPECT_GT(flipped_bits, 900);
  EXPECT_LT(flipped_bits, 1800);

  ASSERT_TRUE((*mechanism)->apply(*record, host));  // idempotent: same flips from the saved bytes
  EXPECT_EQ(read_all(file), corrupted);

  auto fresh = test::fresh_mechanism("corrupt-file", *record);
  ASSERT_TRUE(fresh);
  ASSERT_TRUE(fresh->heal(*record, host));
  EXPECT_EQ(read_all(file), original);
  EXPECT_TRUE(fresh->heal(*record, host));  // idempotent
  EXPECT_EQ(read_all(file), original);
}

TEST(CorruptFile, TruncateCutsAtFirstSelectedChunkAndHealRestoresLength) {
  TempDir dir;
  auto file = dir.path / "segment";
  std::string original = make_file(file, 10000);
  auto host = host_in(dir);
  auto spec = FaultSpec::parse(nlohmann::json{{"kind", "corrupt-file"}, {"path", file.string()}, {"mode", "truncate"},
                                              {"chunk_size", 1000}, {"modulus", 4}, {"index", 3}});
  auto record = MechanismRegistry::instance().plan(*spec, host);
  ASSERT_TRUE(record) << record.error().message;
  auto mechanism = test::fresh_mechanism("corrupt-file", *record);
  ASSERT_TRUE(mechanism->apply(*record, host));
  EXPECT_EQ(std::filesystem::file_size(file), 3000u);
  EXPECT_EQ(read_all(file), original.substr(0, 3000));
  // The SUT appends after the truncation; heal still restores the original exactly.
  std::ofstream(file, std::ios::app) << "garbage";
  auto fresh = test::fresh_mechanism("corrupt-file", *record);
  ASSERT_TRUE(fresh->heal(*record, host));
  EXPECT_EQ(read_all(file), original);
}

TEST(CorruptFile, BadSpecsAreRefusedNamingTheField) {
  TempDir dir;
  auto file = dir.path / "f";
  make_file(file, 100);
  auto host = host_in(dir);
  // A bad value is refused by the spec (the schema) or, for what only the
  // host can tell (a missing file), by the plan; either way naming the field.
  auto plan = [&](nlohmann::json j) -> Result<nlohmann::json> {
    j["kind"] = "corrupt-file";
    auto spec = FaultSpec::parse(j);
    if (!spec) return spec.error();
    auto planned = MechanismRegistry::instance().plan(*spec, host);
    if (!planned) return planned.error();
    return nlohmann::json::object();
  };
  auto missing = plan({{"path", (dir.path / "nope").string()}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("path"), std::string::npos);
  auto mode = plan({{"path", file.string()}, {"mode", "shred"}});
  ASSERT_FALSE(mode);
  EXPECT_NE(mode.error().message.find("mode"), std::string::npos);
  auto index = plan({{"path", file.string()}, {"modulus", 2}, {"index", 2}});
  ASSERT_FALSE(index);
  EXPECT_NE(index.error().message.find("index"), std::string::npos);
  auto probability = plan({{"path", file.string()}, {"probability", 2}});
  ASSERT_FALSE(probability);
  EXPECT_NE(probability.error().message.find("probability"), std::string::npos);
}

}  // namespace
}  // namespace faultline::faults
