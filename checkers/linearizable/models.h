// Every linearizability model, by name.
//
// Contract: make_model returns nullptr for an unknown name; model_names()
// lists the known ones. Models (one file each):
//   register      read/write of one value; a read of nil matches any state
//   cas-register  register plus cas [expected new] (Knossos's cas-register)
//   kv            per-key string: get, put, append; initial ""
//   set           add x; read -> the whole set (any order); initial []
//   mutex         acquire/release (also lock/unlock); initial free
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "checkers/linearizable/model.h"

namespace faultline::checkers::linearizable {

std::unique_ptr<Model> make_model(const std::string& name);
std::vector<std::string> model_names();

std::unique_ptr<Model> make_register_model();
std::unique_ptr<Model> make_cas_register_model();
std::unique_ptr<Model> make_kv_model();
std::unique_ptr<Model> make_set_model();
std::unique_ptr<Model> make_mutex_model();

}  // namespace faultline::checkers::linearizable
