// The network fault kinds and their fields (field.h).
#include "faults/spec/field.h"

namespace faultline::faults::spec {
namespace {

using T = FieldType;
constexpr double kMaxNetemNs = 2147.0 * 1e9;  // netem's delays are 32-bit microseconds

FieldSpec interface_field() {
  return field("interface", T::kString, "the interface to act on")
      .defaults("the agent's default interface, else the default route's");
}

FieldSpec destinations_field() {
  return field("destinations", T::kAddresses,
               "only traffic to these IPv4 addresses or CIDR blocks (with direction ingress: from them)")
      .defaults("all traffic");
}

FieldSpec shaping_direction_field() {
  return field("direction", T::kEnum,
               "egress: what this node sends; ingress: what it receives (an IFB device with netem/tbf where the "
               "kernel has them, else the NFQUEUE shaper or the iptables statistic match on INPUT; see "
               "faultline-agent --probe)")
      .defaults("egress")
      .one_of({"egress", "ingress"});
}

FieldSpec correlation_field() {
  return field("correlation", T::kPercent,
               "how much each packet's chance depends on the previous one's (netem only; the iptables fallback "
               "records it as ignored)")
      .defaults("0")
      .between(0, 100);
}

FieldSpec ports_field() {
  return field("ports", T::kPorts,
               "only packets to or from these ports (source or destination; at most 15 ports or ranges); served "
               "by iptables and the NFQUEUE shaper, not netem")
      .defaults("every port");
}

FieldSpec protocol_field() {
  return field("protocol", T::kEnum, "only this protocol (with ports: the protocol of those ports)")
      .defaults("both (tcp and udp when ports are given; every protocol otherwise)")
      .one_of({"tcp", "udp", "both"});
}

FieldSpec percent_field(const std::string& doc) { return field("percent", T::kPercent, doc).needed().between(0, 100); }

}  // namespace

std::vector<KindSpec> net_kinds() {
  std::vector<KindSpec> kinds;
  kinds.push_back(kind_spec(
      "corrupt", "net", "flip a random bit in a share of outgoing packets (netem, or the NFQUEUE shaper)",
      {percent_field("share of packets corrupted"), correlation_field(),
       field("recompute_checksum", T::kBool,
             "NFQUEUE shaper only: fix the checksum after the flip, so the corruption reaches the application "
             "instead of being dropped by the receiver's stack")
           .defaults("false"),
       interface_field(), destinations_field(), ports_field(), protocol_field(), shaping_direction_field()},
      {R"({"kind":"corrupt","percent":5})"}));
  kinds.push_back(kind_spec("duplicate", "net", "send a share of outgoing packets twice (netem, or the NFQUEUE shaper)",
                            {percent_field("share of packets duplicated"), correlation_field(), interface_field(),
                             destinations_field(), ports_field(), protocol_field(), shaping_direction_field()},
                            {R"({"kind":"duplicate","percent":10})"}));
  kinds.push_back(kind_spec(
      "blackhole-out", "net", "send nothing, still receive everything (iptables OUTPUT drop)",
      {field("interface", T::kString, "only on this interface").defaults("every interface but lo"),
       destinations_field()},
      {R"({"kind":"blackhole-out"})", R"({"kind":"blackhole-out","destinations":["198.18.0.3"]})"}));
  kinds.push_back(kind_spec(
      "partition", "net",
      "drop all traffic between this node and its peers (iptables, faultline's own chains; conntrack entries of "
      "the peers' flows are cut too)",
      {field("peers", T::kAddresses, "the IPv4 addresses or CIDR blocks this node stops talking to")
           .needed()
           .only_in(Scope::kAgent),
       field("mode", T::kEnum, "how the controller chooses who drops whom (Jepsen's names); grudge: the explicit map")
           .defaults("halves (grudge when a grudge is given)")
           .one_of({"isolate", "halves", "majority-ring", "bridge", "grudge"})
           .only_in(Scope::kSuite),
       field("grudge", T::kGrudge,
             "mode grudge: node -> the nodes whose packets it drops, one-way as written (list both sides for a "
             "two-way cut)")
           .only_in(Scope::kSuite),
       field("direction", T::kEnum,
             "both; in: drop what the peers send us; out: drop what we send them. In a suite, with mode isolate: "
             "in: the targets hear nobody but still send, out: nobody hears the targets but they still hear")
           .defaults("both")
           .one_of({"both", "in", "out"}),
       field("keep_established", T::kBool,
             "block only new connections (conntrack state NEW): flows opened before the fault keep flowing")
           .defaults("false"),
       ports_field(), protocol_field()},
      {R"({"kind":"partition","peers":["198.18.0.3","198.18.0.4"]})",
       R"({"kind":"partition","peers":["198.18.0.3"],"direction":"in","keep_established":true})",
       R"({"kind":"partition","peers":["198.18.0.3"],"ports":[2380],"protocol":"tcp"})",
       R"({"kind":"partition","mode":"grudge","grudge":{"n1":["n2"]}})",
       R"({"kind":"partition","mode":"isolate","direction":"in"})"}));
  kinds.push_back(kind_spec(
      "delay", "net", "delay outgoing (or, with direction ingress, incoming) packets (netem, or the NFQUEUE shaper)",
      {field("delay", T::kDuration, "added latency").needed().between(0, kMaxNetemNs),
       field("jitter", T::kDuration, "random variation around delay").defaults("0").between(0, kMaxNetemNs),
       correlation_field(),
       field("distribution", T::kEnum, "shape of the jitter (needs jitter)")
           .defaults("uniform")
           .one_of({"normal", "pareto", "paretonormal", "uniform"}),
       interface_field(), destinations_field(), ports_field(), protocol_field(), shaping_direction_field()},
      {R"({"kind":"delay","delay":"50ms","jitter":"10ms"})", R"({"kind":"delay","delay":"100ms","ports":["8000-8100"]})",
       R"({"kind":"delay","delay":"50ms","direction":"ingress"})"}));
  kinds.push_back(kind_spec("loss", "net", "drop a share of outgoing (or incoming) packets (netem, or the iptables statistic match)",
                            {percent_field("share of packets dropped"), correlation_field(), interface_field(),
                             destinations_field(), ports_field(), protocol_field(), shaping_direction_field()},
                            {R"({"kind":"loss","percent":30})", R"({"kind":"loss","percent":30,"direction":"ingress"})"}));
  kinds.push_back(kind_spec(
      "bandwidth", "net", "limit the outgoing (or incoming) rate (tbf; ingress through an IFB device)",
      {field("rate", T::kRate, "the rate, e.g. 1mbit, 512kbit, 10mbps (bytes)").needed(),
       field("burst", T::kSize, "bucket size").defaults("rate/100, at least 3028 bytes").between(1600, 1073741824.0),
       field("latency", T::kDuration, "longest a packet may wait in the bucket").defaults("50ms").above(0),
       interface_field(), destinations_field(), shaping_direction_field()},
      {R"({"kind":"bandwidth","rate":"1mbit"})", R"({"kind":"bandwidth","rate":"1mbit","direction":"ingress"})"}));
  kinds.push_back(kind_spec(
      "reorder", "net", "send a share of packets at once and delay the rest (netem, or the NFQUEUE shaper)",
      {percent_field("share of packets sent at once (ahead of the others)"), correlation_field(),
       field("delay", T::kDuration, "how long the other packets wait").defaults("10ms").above(0),
       field("gap", T::kInteger, "reorder every gap-th packet only").defaults("0").between(0, 1000000),
       interface_field(), destinations_field(), ports_field(), protocol_field(), shaping_direction_field()},
      {R"({"kind":"reorder","percent":25,"delay":"20ms"})"}));
  return kinds;
}

}  // namespace faultline::faults::spec
