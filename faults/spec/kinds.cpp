// All kinds (field.h), the common fields and lookups.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "faults/spec/field.h"

#include "common/units.h"

namespace faultline::faults::spec {

const std::vector<FieldSpec>& common_fields() {
  using T = FieldType;
  static const std::vector<FieldSpec> fields{
      field("kind", T::kString, "the fault kind").needed(),
      field("duration", T::kDuration, "heal by itself after this long")
          .defaults("until healed (or its lease ends)")
          .above(0),
      field("id", T::kString, "names what the fault installs (1..32 of [A-Za-z0-9_.-]; some mechanisms use it)")
          .defaults("random"),
      field("mechanism", T::kString, "use this mechanism rather than the preferred one (see faultline-agent --probe)")
          .defaults("the first available"),
  };
  return fields;
}

const std::vector<KindSpec>& all_kinds() {
  // The design's order: process, byzantine net, partition and shaping, storage, clocks, the rest.
  static const std::vector<KindSpec> kinds = [] {
    std::vector<KindSpec> all;
    auto take = [&](std::vector<KindSpec> family, std::initializer_list<const char*> names) {
      for (const char* name : names)
        for (auto& k : family)
          if (k.kind == name) all.push_back(k);
    };
    auto net = net_kinds();
    take(process_kinds(), {"kill", "pause", "cpu-throttle"});
    take(net, {"corrupt", "duplicate", "blackhole-out", "partition", "delay", "loss"});
    take(disk_kinds(), {"corrupt-file", "disk-fill", "disk-slow", "disk-error", "lose-unsynced"});
    take(clock_kinds(), {"clock-skew", "clock-drift", "clock-stop"});
    take(net, {"bandwidth", "reorder"});
    return all;
  }();
  return kinds;
}

const KindSpec* find_kind(const std::string& kind) {
  for (const auto& k : all_kinds())
    if (k.kind == kind) return &k;
  return nullptr;
}

const FieldSpec* find_field(const KindSpec& kind, const std::string& name) {
  for (const auto& f : kind.fields)
    if (f.name == name) return &f;
  for (const auto& f : common_fields())
    if (f.name == name) return &f;
  return nullptr;
}

namespace {

std::string bounds(const FieldSpec& f, std::string (*show)(double)) {
  if (f.min && f.max) return fmt::format(" ({}{}..{})", f.min_exclusive ? ">" : "", show(*f.min), show(*f.max));
  if (f.min && f.min_exclusive) return fmt::format(" (> {})", show(*f.min));
  if (f.min && *f.min != 0) return fmt::format(" (>= {})", show(*f.min));
  if (f.max) return fmt::format(" (<= {})", show(*f.max));
  return "";
}

std::string show_number(double v) { return fmt::format("{}", v); }
std::string show_duration(double ns) { return ns == 0 ? "0" : format_duration(static_cast<Nanos>(ns)); }
std::string show_size(double bytes) { return bytes == 0 ? "0" : format_size(static_cast<std::uint64_t>(bytes)); }

}  // namespace

std::string type_text(const FieldSpec& f) {
  switch (f.type) {
    case FieldType::kString: return "string";
    case FieldType::kEnum: return fmt::format("one of: {}", fmt::join(f.choices, ", "));
    case FieldType::kEnumList: return fmt::format("list of: {}", fmt::join(f.choices, ", "));
    case FieldType::kBool: return "true or false";
    case FieldType::kInteger: return "integer" + bounds(f, show_number);
    case FieldType::kNumber: return "number" + bounds(f, show_number);
    case FieldType::kPercent: return "percent (0..100, e.g. 30 or \"30%\")";
    case FieldType::kDuration: return "duration, e.g. \"50ms\"" + bounds(f, show_duration);
    case FieldType::kSignedDuration: return "signed duration, e.g. \"+5s\", \"-2s\"";
    case FieldType::kSize: return "size, e.g. 4096 or \"1MiB\"" + bounds(f, show_size);
    case FieldType::kRate: return "rate, e.g. \"1mbit\" (8bit..32gbit)";
    case FieldType::kAddresses: return "list of IPv4 addresses or CIDR blocks";
    case FieldType::kErrno: return "errno name (\"EIO\") or number 1..4095";
    case FieldType::kPorts: return "port 1..65535, range \"8000-8100\", or a list of them";
    case FieldType::kGrudge: return "map: node -> list of nodes";
  }
  return "?";
}

}  // namespace faultline::faults::spec
