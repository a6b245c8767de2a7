#include "controller/run/placeholders.h"

namespace faultline::controller {

std::string expand(const std::string& text, const Placeholders& values) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      auto close = text.find('}', i + 1);
      if (close != std::string::npos) {
        auto it = values.find(text.substr(i + 1, close - i - 1));
        if (it != values.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

nlohmann::json expand_json(const nlohmann::json& value, const Placeholders& values) {
  if (value.is_string()) return expand(value.get<std::string>(), values);
  if (value.is_array() || value.is_object()) {
    auto copy = value;
    for (auto& item : copy) item = expand_json(item, values);
    return copy;
  }
  return value;
}

Placeholders cluster_placeholders(const std::vector<NodeInfo>& nodes, std::uint16_t port) {
  std::string names, addresses;
  for (const auto& n : nodes) {
    names += (names.empty() ? "" : ",") + n.name;
    addresses += (addresses.empty() ? "" : ",") + n.address + (port ? ":" + std::to_string(port) : "");
  }
  return {{"nodes", names}, {"addresses", addresses}, {"port", port ? std::to_string(port) : ""}};
}

Placeholders node_placeholders(const std::vector<NodeInfo>& nodes, std::size_t index, std::uint16_t port) {
  auto values = cluster_placeholders(nodes, port);
  const auto& node = nodes[index];
  std::string peers, peer_addresses;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i == index) continue;
    peers += (peers.empty() ? "" : ",") + nodes[i].name;
    peer_addresses += (peer_addresses.empty() ? "" : ",") + nodes[i].address + (port ? ":" + std::to_string(port) : "");
  }
  values["node"] = node.name;
  values["address"] = node.address;
  values["peers"] = peers;
  values["peer_addresses"] = peer_addresses;
  values["events"] = node.events;
  values["data"] = node.data_dir;
  values["index"] = std::to_string(index + 1);
  return values;
}

}  // namespace faultline::controller
