// FAULTLINE_STATIC_REGISTRATION: self-registration of a plugin at load time.
//
// Contract: FAULTLINE_STATIC_REGISTRATION(Type, args...) defines, at
// namespace scope in the including .cpp, a static object of Type built from
// args; Type's constructor adds the plugin to its registry (the object's name
// is made unique with __COUNTER__, so uses may share a line or a unity build's
// translation unit). Registries that rely on it are linked whole
// (WHOLE_ARCHIVE) so the linker keeps these objects.
//   FAULTLINE_REGISTER_MECHANISM (faults/registry.h), FAULTLINE_REGISTER_COMMAND
//   (controller/cli/command.h) and FAULTLINE_REGISTER_PROVIDER
//   (controller/cluster/provider.h) are this macro with their registry's type.
#pragma once

#define FAULTLINE_CONCAT_INNER(a, b) a##b
#define FAULTLINE_CONCAT(a, b) FAULTLINE_CONCAT_INNER(a, b)
#define FAULTLINE_STATIC_REGISTRATION(Type, ...) \
  static Type FAULTLINE_CONCAT(faultline_registration_, __COUNTER__)(__VA_ARGS__)
