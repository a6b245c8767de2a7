// The fault schema: what each fault kind accepts, declared once.
//
// Contract: a KindSpec names one fault kind, its family (net, process, clock,
// disk), a one-line doc and its own fields; every kind also takes the common
// fields (common_fields(): kind, duration, id, mechanism). A FieldSpec says
// the field's name, type, whether it is required, its range or choices, its
// default (as text, for docs) and a doc line. Scope says who may write it:
// kBoth (the suite and the agent's spec), kSuite (only in a suite: the
// controller turns it into something else, e.g. a partition's "mode"), kAgent
// (only in what the agent receives: the controller computes it, e.g. a
// partition's "peers"). Fields whose name starts with "x-" are extensions:
// accepted on every kind, ignored by faultline, kept as written (as compose
// files treat x- keys). The declarations live in one small file per family
// (net.cpp, process.cpp, clock.cpp, disk.cpp); validate.h checks a spec
// against them; docs/faults.md is checked against them by a test.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace faultline::faults::spec {

enum class FieldType {
  kString,          // any string (a path, a glob, an interface name)
  kEnum,            // one of `choices`
  kEnumList,        // one of `choices`, or a non-empty list of them
  kBool,
  kInteger,         // within [min, max]
  kNumber,          // within [min, max] (min exclusive when min_exclusive)
  kPercent,         // 0..100: a number (30, 0.5) or a string "30%"
  kDuration,        // "50ms", "1.5s"; bounds in ns
  kSignedDuration,  // "+5s", "-2s", "5s"
  kSize,            // a byte count or "512KiB", "1GiB"; bounds in bytes
  kRate,            // "1mbit", "512kbit", "10mbps" (bytes)
  kAddresses,       // a non-empty list of IPv4 addresses or CIDR blocks
  kErrno,           // a name such as "EIO" or a number 1..4095
  kPorts,           // a port 1..65535, a range "8000-8100", or a list of them
  kGrudge,          // a map node -> list of nodes (a partition's grudge)
};

enum class Scope { kBoth, kSuite, kAgent };

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  bool required = false;
  std::string doc;
  std::string default_text;               // "" when the field has no default
  std::vector<std::string> choices;       // kEnum, kEnumList
  std::optional<double> min, max;         // kInteger/kNumber/kPercent, kDuration (ns), kSize (bytes)
  bool min_exclusive = false;             // min is exclusive ("> 0")
  Scope scope = Scope::kBoth;

  // Declaration helpers: field("delay", kDuration, "added latency").needed().at_least(0).
  FieldSpec needed() const { auto f = *this; f.required = true; return f; }
  FieldSpec defaults(std::string text) const { auto f = *this; f.default_text = std::move(text); return f; }
  FieldSpec one_of(std::vector<std::string> names) const { auto f = *this; f.choices = std::move(names); return f; }
  FieldSpec between(double lo, double hi) const { auto f = *this; f.min = lo; f.max = hi; return f; }
  FieldSpec at_least(double lo) const { auto f = *this; f.min = lo; return f; }
  FieldSpec above(double lo) const { auto f = *this; f.min = lo; f.min_exclusive = true; return f; }
  FieldSpec at_most(double hi) const { auto f = *this; f.max = hi; return f; }
  FieldSpec only_in(Scope s) const { auto f = *this; f.scope = s; return f; }
};

inline FieldSpec field(std::string name, FieldType type, std::string doc) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = type;
  f.doc = std::move(doc);
  return f;
}

struct KindSpec {
  std::string kind;
  std::string family;  // "net", "process", "clock", "disk"
  std::string doc;
  std::vector<FieldSpec> fields;                         // its own fields (not the common ones)
  std::vector<std::vector<std::string>> exactly_one_of;  // e.g. disk-fill: {leave, percent}
  std::vector<std::string> examples;                     // JSON specs, for docs/faults.md
};

inline KindSpec kind_spec(std::string kind, std::string family, std::string doc, std::vector<FieldSpec> fields,
                          std::vector<std::string> examples) {
  KindSpec k;
  k.kind = std::move(kind);
  k.family = std::move(family);
  k.doc = std::move(doc);
  k.fields = std::move(fields);
  k.examples = std::move(examples);
  return k;
}

// The fields every kind takes.
const std::vector<FieldSpec>& common_fields();

// The kinds of each family (one file each), and all of them in the design's order.
std::vector<KindSpec> net_kinds();
std::vector<KindSpec> process_kinds();
std::vector<KindSpec> clock_kinds();
std::vector<KindSpec> disk_kinds();
const std::vector<KindSpec>& all_kinds();

// The kind's spec, or nullptr when there is no such kind.
const KindSpec* find_kind(const std::string& kind);

// A kind's field by name (its own or common), or nullptr.
const FieldSpec* find_field(const KindSpec& kind, const std::string& name);

// Text for docs and messages: "duration", "percent (0..100)", "one of: a, b".
std::string type_text(const FieldSpec& field);

}  // namespace faultline::faults::spec
