#include "faults/net/shaper/packet_edit.h"

#include <gtest/gtest.h>

#include <netinet/in.h>

#include <bit>
#include <vector>

namespace faultline::faults::shaper {
namespace {

// An independent RFC 1071 checksum, to verify what packet_edit computes.
std::uint32_t add16(std::uint32_t sum, const std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

// True when the transport checksum of an IPv4/IPv6 TCP/UDP packet verifies.
bool transport_checksum_ok(const std::vector<std::uint8_t>& pkt) {
  bool v4 = (pkt[0] >> 4) == 4;
  std::size_t l4 = v4 ? (pkt[0] & 0x0f) * 4u : 40u;
  std::size_t total = v4 ? (pkt[2] << 8 | pkt[3]) : 40u + (pkt[4] << 8 | pkt[5]);
  std::size_t len = total - l4;
  std::uint8_t proto = v4 ? pkt[9] : pkt[6];
  std::uint32_t sum = v4 ? add16(0, &pkt[12], 8) : add16(0, &pkt[8], 32);
  sum += proto;
  sum += static_cast<std::uint32_t>(len);
  sum = add16(sum, &pkt[l4], len);
  return fold(sum) == 0xffff;
}

bool ipv4_header_ok(const std::vector<std::uint8_t>& pkt) { return fold(add16(0, pkt.data(), 20)) == 0xffff; }

void put16(std::vector<std::uint8_t>& p, std::size_t at, std::uint16_t v) {
  p[at] = static_cast<std::uint8_t>(v >> 8);
  p[at + 1] = static_cast<std::uint8_t>(v);
}

// Fills in correct checksums with the independent implementation.
void finish(std::vector<std::uint8_t>& pkt) {
  bool v4 = (pkt[0] >> 4) == 4;
  std::size_t l4 = v4 ? 20 : 40;
  std::uint8_t proto = v4 ? pkt[9] : pkt[6];
  std::size_t check_at = l4 + (proto == IPPROTO_UDP ? 6 : 16);
  put16(pkt, check_at, 0);
  std::uint32_t sum = v4 ? add16(0, &pkt[12], 8) : add16(0, &pkt[8], 32);
  sum += proto;
  sum += static_cast<std::uint32_t>(pkt.size() - l4);
  sum = add16(sum, &pkt[l4], pkt.size() - l4);
  put16(pkt, check_at, static_cast<std::uint16_t>(~fold(sum)));
  if (v4) {
    put16(pkt, 10, 0);
    put16(pkt, 10, static_cast<std::uint16_t>(~fold(add16(0, pkt.data(), 20))));
  }
}

std::vector<std::uint8_t> ipv4(std::uint8_t proto, std::size_t payload, std::uint16_t frag = 0) {
  std::size_t l4 = proto == IPPROTO_UDP ? 8 : 20;
  std::vector<std::uint8_t> p(20 + l4 + payload, 0);
  p[0] = 0x45;
  put16(p, 2, static_cast<std::uint16_t>(p.size()));
  put16(p, 6, frag);
  p[8] = 64;
  p[9] = proto;
  std::uint8_t src[4] = {198, 18, 0, 1}, dst[4] = {198, 18, 0, 2};
  std::copy(src, src + 4, &p[12]);
  std::copy(dst, dst + 4, &p[16]);
  put16(p, 20, 40000);
  put16(p, 22, 7);
  if (proto == IPPROTO_UDP) put16(p, 24, static_cast<std::uint16_t>(8 + payload));
  else p[32] = 5 << 4;  // data offset 20
  for (std::size_t i = 0; i < payload; ++i) p[20 + l4 + i] = static_cast<std::uint8_t>(i * 7 + 1);
  finish(p);
  return p;
}

std::vector<std::uint8_t> ipv6_udp(std::size_t payload) {
  std::vector<std::uint8_t> p(40 + 8 + payload, 0);
  p[0] = 0x60;
  put16(p, 4, static_cast<std::uint16_t>(8 + payload));
  p[6] = IPPROTO_UDP;
  p[7] = 64;
  p[8 + 15] = 1;   // ::1 -> ::2, enough for a checksum
  p[24 + 15] = 2;
  put16(p, 40, 40000);
  put16(p, 42, 7);
  put16(p, 44, static_cast<std::uint16_t>(8 + payload));
  for (std::size_t i = 0; i < payload; ++i) p[48 + i] = static_cast<std::uint8_t>(i + 3);
  finish(p);
  return p;
}

int differing_bits(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b, std::size_t from,
                   std::size_t to) {
  int bits = 0;
  for (std::size_t i = from; i < to; ++i) bits += std::popcount(static_cast<unsigned>(a[i] ^ b[i]));
  return bits;
}

TEST(PacketEdit, ParsesIpv4UdpAndTcp) {
  auto udp = ipv4(IPPROTO_UDP, 100);
  auto info = parse_packet(udp);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->family, 4);
  EXPECT_EQ(info->payload_offset, 28u);
  EXPECT_EQ(info->destination[3], 2);
  auto tcp = ipv4(IPPROTO_TCP, 10);
  info = parse_packet(tcp);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->payload_offset, 40u);
  EXPECT_FALSE(parse_packet(std::vector<std::uint8_t>{0x45, 0, 0}));
  auto truncated = udp;
  truncated.resize(30);  // shorter than its IP total length
  EXPECT_FALSE(parse_packet(truncated));
}

TEST(PacketEdit, OurTestPacketsStartWithValidChecksums) {
  for (auto p : {ipv4(IPPROTO_UDP, 100), ipv4(IPPROTO_TCP, 33), ipv6_udp(64)}) EXPECT_TRUE(transport_checksum_ok(p));
}

TEST(PacketEdit, CorruptFlipsOnePayloadBitAndRecomputesChecksums) {
  for (std::uint8_t proto : {std::uint8_t{IPPROTO_UDP}, std::uint8_t{IPPROTO_TCP}}) {
    for (std::uint64_t r : {0ull, 5ull, 799ull, 123456789ull}) {
      auto original = ipv4(proto, 100);
      auto edited = original;
      ASSERT_TRUE(corrupt_payload(edited, r, /*recompute_checksum=*/true));
      std::size_t payload = proto == IPPROTO_UDP ? 28 : 40;
      EXPECT_EQ(differing_bits(original, edited, payload, edited.size()), 1);
      EXPECT_TRUE(transport_checksum_ok(edited)) << "proto " << int(proto) << " r " << r;
      EXPECT_TRUE(ipv4_header_ok(edited));
    }
  }
  auto original = ipv6_udp(64);
  auto edited = original;
  ASSERT_TRUE(corrupt_payload(edited, 77, true));
  EXPECT_EQ(differing_bits(original, edited, 48, edited.size()), 1);
  EXPECT_TRUE(transport_checksum_ok(edited));
}

TEST(PacketEdit, WithoutRecomputeTheChecksumIsStaleAsNetemLeavesIt) {
  auto edited = ipv4(IPPROTO_UDP, 50);
  ASSERT_TRUE(corrupt_payload(edited, 9, /*recompute_checksum=*/false));
  EXPECT_FALSE(transport_checksum_ok(edited));
}

TEST(PacketEdit, LeavesPacketsWithoutPayloadAndFragmentsAlone) {
  auto ack = ipv4(IPPROTO_TCP, 0);
  auto copy = ack;
  EXPECT_FALSE(corrupt_payload(copy, 3, true));
  EXPECT_EQ(copy, ack);
  auto fragment = ipv4(IPPROTO_UDP, 40, 0x2000);  // MF set
  copy = fragment;
  EXPECT_FALSE(corrupt_payload(copy, 3, true));
  EXPECT_EQ(copy, fragment);
}

TEST(PacketEdit, UdpWithoutChecksumKeepsZero) {
  auto p = ipv4(IPPROTO_UDP, 20);
  put16(p, 26, 0);
  ASSERT_TRUE(corrupt_payload(p, 1, true));
  EXPECT_EQ(p[26], 0);
  EXPECT_EQ(p[27], 0);
  EXPECT_TRUE(ipv4_header_ok(p));
}

TEST(PacketEdit, RecomputeRepairsABrokenChecksum) {
  auto p = ipv4(IPPROTO_TCP, 17);
  p[45] ^= 0x10;
  ASSERT_FALSE(transport_checksum_ok(p));
  ASSERT_TRUE(recompute_checksums(p));
  EXPECT_TRUE(transport_checksum_ok(p));
}

}  // namespace
}  // namespace faultline::faults::shaper
