#include "checkers/linearizable/models.h"

namespace faultline::checkers::linearizable {
namespace {
struct Entry {
  const char* name;
  std::unique_ptr<Model> (*make)();
};
// Adding a model: its file, and one line here.
const Entry kModels[] = {
    {"register", make_register_model}, {"cas-register", make_cas_register_model}, {"kv", make_kv_model},
    {"set", make_set_model},           {"mutex", make_mutex_model},
};
}  // namespace

std::unique_ptr<Model> make_model(const std::string& name) {
  for (const auto& m : kModels)
    if (name == m.name) return m.make();
  return nullptr;
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& m : kModels) names.push_back(m.name);
  return names;
}

}  // namespace faultline::checkers::linearizable
