#include "faults/net/shaper/packet_edit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>

#include <cstring>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue_ipv4.h>
#include <libnetfilter_queue/libnetfilter_queue_tcp.h>
#include <libnetfilter_queue/libnetfilter_queue_udp.h>
}

namespace faultline::faults::shaper {
namespace {

std::uint16_t read16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

}  // namespace

std::optional<PacketInfo> parse_packet(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return std::nullopt;
  PacketInfo info;
  const std::uint8_t* p = packet.data();
  int version = p[0] >> 4;
  if (version == 4) {
    if (packet.size() < 20) return std::nullopt;
    std::size_t ihl = static_cast<std::size_t>(p[0] & 0x0f) * 4;
    std::size_t total = read16(p + 2);
    if (ihl < 20 || total < ihl || total > packet.size()) return std::nullopt;
    info.family = 4;
    info.protocol = p[9];
    info.total_length = total;
    info.transport_offset = ihl;
    std::uint16_t frag = read16(p + 6);
    info.whole_datagram = (frag & 0x3fff) == 0;  // no MF flag, offset 0
    std::memcpy(info.source, p + 12, 4);
    std::memcpy(info.destination, p + 16, 4);
  } else if (version == 6) {
    if (packet.size() < 40) return std::nullopt;
    std::size_t total = 40 + static_cast<std::size_t>(read16(p + 4));
    if (total > packet.size()) return std::nullopt;
    info.family = 6;
    info.protocol = p[6];  // next header; extension headers are not walked
    info.total_length = total;
    info.transport_offset = 40;
    std::memcpy(info.source, p + 8, 16);
    std::memcpy(info.destination, p + 24, 16);
  } else {
    return std::nullopt;
  }
  info.payload_offset = info.total_length;
  std::size_t t = info.transport_offset;
  if (info.protocol == IPPROTO_UDP && info.total_length >= t + 8) {
    info.payload_offset = t + 8;
  } else if (info.protocol == IPPROTO_TCP && info.total_length >= t + 20) {
    std::size_t doff = static_cast<std::size_t>(p[t + 12] >> 4) * 4;
    if (doff >= 20 && t + doff <= info.total_length) info.payload_offset = t + doff;
  }
  return info;
}

bool recompute_checksums(std::span<std::uint8_t> packet) {
  auto info = parse_packet(packet);
  if (!info || !info->whole_datagram) return false;
  std::uint8_t* p = packet.data();
  std::uint8_t* transport = p + info->transport_offset;
  if (info->family == 4) {
    auto* ip = reinterpret_cast<iphdr*>(p);
    if (info->protocol == IPPROTO_UDP && info->payload_offset > info->transport_offset) {
      auto* udp = reinterpret_cast<udphdr*>(transport);
      if (udp->check != 0) {  // 0 = the sender did not checksum (IPv4 only)
        nfq_udp_compute_checksum_ipv4(udp, ip);
        if (udp->check == 0) udp->check = 0xffff;  // RFC 768: a computed 0 is sent as all ones
      }
    } else if (info->protocol == IPPROTO_TCP && info->payload_offset > info->transport_offset) {
      nfq_tcp_compute_checksum_ipv4(reinterpret_cast<tcphdr*>(transport), ip);
    } else {
      return false;
    }
    nfq_ip_set_checksum(ip);
    return true;
  }
  auto* ip6 = reinterpret_cast<ip6_hdr*>(p);
  if (info->protocol == IPPROTO_UDP && info->payload_offset > info->transport_offset) {
    auto* udp = reinterpret_cast<udphdr*>(transport);
    nfq_udp_compute_checksum_ipv6(udp, ip6);
    if (udp->check == 0) udp->check = 0xffff;
    return true;
  }
  if (info->protocol == IPPROTO_TCP && info->payload_offset > info->transport_offset) {
    nfq_tcp_compute_checksum_ipv6(reinterpret_cast<tcphdr*>(transport), ip6);
    return true;
  }
  return false;
}

bool corrupt_payload(std::span<std::uint8_t> packet, std::uint64_t random, bool recompute_checksum) {
  auto info = parse_packet(packet);
  if (!info || !info->whole_datagram) return false;
  if (info->protocol != IPPROTO_TCP && info->protocol != IPPROTO_UDP) return false;
  std::size_t payload = info->total_length - info->payload_offset;
  if (payload == 0) return false;
  std::uint64_t bit = random % (payload * 8);
  packet[info->payload_offset + bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  if (recompute_checksum) recompute_checksums(packet);
  return true;
}

}  // namespace faultline::faults::shaper
