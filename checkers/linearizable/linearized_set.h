// The set of linearized operations of one search configuration, in a form
// whose cache key stays small however long the history is.
//
// Contract: completed (ok) operations are numbered by return order ("rank"),
// indeterminate (info) ones by invoke order. The search linearizes an ok op
// only while its invoke precedes the earliest return still pending (Lowe's
// just-in-time rule), so the linearized ok ops are always "every rank below
// p" plus a few ranks above p (at most one per process running at that
// return). The set is therefore kept as the prefix length p plus the sorted
// ranks above it, and the linearized info ops as an interned id of their
// sorted list (it changes rarely). key() = [p, ranks above p...] identifies
// the linearized ok ops exactly, info_id() the linearized info ops (no hashing
// shortcuts, no false cache hits). info_subset(a, b) says whether info set a
// is contained in info set b: a configuration with fewer linearized info ops
// and otherwise equal can do everything the other can (the extra info ops may
// still happen later, or never), which the cache uses to prune.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

namespace faultline::checkers::linearizable {

class LinearizedSet {
 public:
  LinearizedSet(std::size_t ok_ops, std::size_t info_ops) : ok_bits_(ok_ops, false), info_bits_(info_ops, false) {
    info_ids_.emplace(std::vector<std::uint32_t>{}, 0);
    info_sets_.emplace_back();
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

  void add_info(std::uint32_t id) {
    info_bits_[id] = true;
    info_.insert(std::upper_bound(info_.begin(), info_.end(), id), id);
    intern_info();
  }
  void remove_info(std::uint32_t id) {
    info_bits_[id] = false;
    info_.erase(std::lower_bound(info_.begin(), info_.end(), id));
    intern_info();
  }

  // [p, ranks above p...] into `out` (cleared first).
  void key(std::vector<std::uint32_t>& out) const {
    out.clear();
    out.push_back(p_);
    out.insert(out.end(), above_.begin(), above_.end());
  }
  std::uint32_t info_id() const { return info_id_; }
  bool info_subset(std::uint32_t a, std::uint32_t b) const {
    if (a == b || a == 0) return true;
    const auto& sa = info_sets_[a];
    const auto& sb = info_sets_[b];
    return sa.size() < sb.size() && std::includes(sb.begin(), sb.end(), sa.begin(), sa.end());
  }

  // Estimated heap bytes of the info-set interner (for the memory bound).
  std::size_t interner_bytes() const { return interner_bytes_; }

 private:
  void intern_info() {
    auto [it, fresh] = info_ids_.emplace(info_, static_cast<std::uint32_t>(info_ids_.size()));
    if (fresh) {
      info_sets_.push_back(info_);
      interner_bytes_ += 96 + 2 * info_.size() * sizeof(std::uint32_t);
    }
    info_id_ = it->second;
  }

  std::vector<bool> ok_bits_;
  std::vector<bool> info_bits_;
  std::uint32_t p_ = 0;
  std::vector<std::uint32_t> above_;
  std::vector<std::uint32_t> info_;
  std::uint32_t info_id_ = 0;
  std::map<std::vector<std::uint32_t>, std::uint32_t> info_ids_;
  std::vector<std::vector<std::uint32_t>> info_sets_;  // id -> set
  std::size_t interner_bytes_ = 0;
};

}  // namespace faultline::checkers::linearizable
