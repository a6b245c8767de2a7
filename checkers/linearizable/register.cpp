// The `register` model: read and write (register_model.h).
#include "checkers/linearizable/model_adapter.h"
#include "checkers/linearizable/models.h"
#include "checkers/linearizable/register_model.h"

namespace faultline::checkers::linearizable {
std::unique_ptr<Model> make_register_model() {
  return std::make_unique<ModelAdapter<RegisterModel<false>>>("register");
}
}  // namespace faultline::checkers::linearizable
