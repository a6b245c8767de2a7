// Packet parsing and corruption for the NFQUEUE shaper (IPv4 and IPv6).
//
// Contract: parse_packet() reads the network and transport headers of a raw IP
// packet as NFQUEUE hands it over (no link layer) and returns where the
// transport payload starts, or nullopt for anything it cannot read
// (truncated, unknown version). corrupt_payload() flips one bit of the TCP or
// UDP payload (bit chosen by `random`) and, when recompute_checksum is set,
// recomputes the transport checksum (and the IPv4 header checksum) so the
// receiver accepts the packet and sees corrupted DATA — the issue's
// "corrupted with a recomputed checksum". Without recompute the checksum is
// left stale, as sch_netem does, and the receiver's stack drops the packet.
// It returns false (packet untouched) when there is no payload to corrupt:
// pure ACKs, fragments other than whole datagrams, IPv6 with extension
// headers, protocols other than TCP/UDP. A UDP/IPv4 checksum of 0 ("none")
// stays 0. recompute_checksums() recomputes without changing data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace faultline::faults::shaper {

struct PacketInfo {
  int family = 0;               // 4 or 6
  std::uint8_t protocol = 0;    // IPPROTO_TCP, IPPROTO_UDP, ...
  std::size_t total_length = 0; // from the IP header, <= buffer size
  std::size_t transport_offset = 0;
  std::size_t payload_offset = 0;  // start of TCP/UDP payload (== total_length if none)
  bool whole_datagram = true;      // false for IPv4 fragments
  std::uint8_t source[16] = {};       // 4 or 16 bytes used
  std::uint8_t destination[16] = {};  // 4 or 16 bytes used
};

std::optional<PacketInfo> parse_packet(std::span<const std::uint8_t> packet);

bool recompute_checksums(std::span<std::uint8_t> packet);
bool corrupt_payload(std::span<std::uint8_t> packet, std::uint64_t random, bool recompute_checksum);

}  // namespace faultline::faults::shaper
