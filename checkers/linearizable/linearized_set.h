// The set of linearized operations of one search configuration, in a form
// whose cache key stays small however long the history is.
//
// Contract: completed (ok) operations are numbered by return order ("rank"),
// indeterminate (info) ones by invoke order. The search linearizes an ok op
// only while its invoke precedes the earliest return still pending (Lowe's
// just-in-time rule), so the linearized ok ops are always "every rank below
// p" plus a few ranks above p (at most one per process running at that
// return). The set is therefore kept as the prefix length p plus the sorted
// ranks above it, and the linearized info ops as an interned id: a node of a
// trie of the order in which the search linearized them (node = parent node +
// one info id), so a set costs one node (~48 bytes) however many info ops it
// holds, instead of a copy of the list or a bitset over all info ops (which
// made long histories with thousands of info ops hit the memory bound).
// key() = [p, ranks above p...] identifies the linearized ok ops exactly; two
// equal info_id()s are the same info set exactly (no hashing shortcuts, no
// false cache hits); the same set linearized in another order has another id
// (explored again: slower at worst, never wrong). info_subset(a, b) says whether info set a
// is contained in info set b: a configuration with fewer linearized info ops
// and otherwise equal can do everything the other can (the extra info ops may
// still happen later, or never), which the cache uses to prune.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace faultline::checkers::linearizable {

class LinearizedSet {
 public:
  LinearizedSet(std::size_t ok_ops, std::size_t info_ops) : ok_bits_(ok_ops, false), info_bits_(info_ops, false) {
    nodes_.push_back(Node{0, kNone, 0});  // the empty set
  }

  std::uint32_t prefix() const { return p_; }  // ranks [0, p) are all linearized
  bool has_ok(std::uint32_t rank) const { return ok_bits_[rank]; }
  bool has_info(std::uint32_t id) const { return info_bits_[id]; }

  void add_ok(std::uint32_t rank) {
    ok_bits_[rank] = true;
    if (rank != p_) {
      above_.insert(std::upper_bound(above_.begin(), above_.end(), rank), rank);
      return;
    }
    ++p_;
    while (p_ < ok_bits_.size() && ok_bits_[p_]) ++p_;
    // The ranks now below p were the smallest ones above the old p.
    above_.erase(above_.begin(), std::lower_bound(above_.begin(), above_.end(), p_));
  }

  void remove_ok(std::uint32_t rank) {
    ok_bits_[rank] = false;
    if (rank > p_) {
      above_.erase(std::lower_bound(above_.begin(), above_.end(), rank));
      return;
    }
    // rank < p: every rank in (rank, p) stays linearized and is now above the prefix.
    std::vector<std::uint32_t> moved;
    for (std::uint32_t r = rank + 1; r < p_; ++r) moved.push_back(r);
    above_.insert(above_.begin(), moved.begin(), moved.end());
    p_ = rank;
  }

  // The search adds and removes info ops in stack order (the last added is
  // the first removed), so both are O(1).
  void add_info(std::uint32_t id) {
    info_bits_[id] = true;
    info_id_ = child(info_id_, id);
  }
  void remove_info(std::uint32_t id) {
    info_bits_[id] = false;
    info_id_ = nodes_[info_id_].parent;  // == the set before add_info(id)
    (void)id;
  }

  // [p, ranks above p...] into `out` (cleared first).
  void key(std::vector<std::uint32_t>& out) const {
    out.clear();
    out.push_back(p_);
    out.insert(out.end(), above_.begin(), above_.end());
  }
  std::uint32_t info_id() const { return info_id_; }
  // True when a is b or an ancestor of b (b = a plus the info ops added
  // after it on the same path), found within kMaxSubsetSteps; false only
  // means "not pruned". The same set reached in another order is another
  // node, so the search may explore it twice, never wrongly prune it.
  bool info_subset(std::uint32_t a, std::uint32_t b) const {
    if (a == b || a == 0) return true;
    if (nodes_[a].size >= nodes_[b].size || nodes_[b].size - nodes_[a].size > kMaxSubsetSteps) return false;
    while (nodes_[b].size > nodes_[a].size) b = nodes_[b].parent;
    return a == b;
  }

  // Estimated heap bytes of the info-set interner (for the memory bound).
  std::size_t interner_bytes() const { return interner_bytes_; }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  static constexpr std::size_t kMaxSubsetSteps = 256;
  struct Node {
    std::uint32_t parent;
    std::uint32_t elem;  // the info op added last (kNone for the empty set)
    std::uint32_t size;
  };
  std::uint32_t child(std::uint32_t parent, std::uint32_t elem) {
    const std::uint64_t k = (static_cast<std::uint64_t>(parent) << 32) | elem;
    auto [it, fresh] = children_.emplace(k, static_cast<std::uint32_t>(nodes_.size()));
    if (fresh) {
      nodes_.push_back(Node{parent, elem, nodes_[parent].size + 1});
      interner_bytes_ += sizeof(Node) + 40;  // the node and its hash-map entry
    }
    return it->second;
  }

  std::vector<bool> ok_bits_;
  std::vector<bool> info_bits_;
  std::uint32_t p_ = 0;
  std::vector<std::uint32_t> above_;
  std::uint32_t info_id_ = 0;
  std::vector<Node> nodes_;                               // id -> node
  std::unordered_map<std::uint64_t, std::uint32_t> children_;  // (parent, elem) -> id
  std::size_t interner_bytes_ = 0;
};

}  // namespace faultline::checkers::linearizable
