// The `cas-register` model: read, write and cas [expected new] (register_model.h).
#include "checkers/linearizable/model_adapter.h"
#include "checkers/linearizable/models.h"
#include "checkers/linearizable/register_model.h"

namespace faultline::checkers::linearizable {
std::unique_ptr<Model> make_cas_register_model() {
  return std::make_unique<ModelAdapter<RegisterModel<true>>>("cas-register");
}
}  // namespace faultline::checkers::linearizable
