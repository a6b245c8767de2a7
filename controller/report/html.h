// HTML output helpers for the report: escaping of untrusted text.
//
// Contract: html_escape() makes any string safe as HTML text or as a quoted
// attribute value (& < > " ' are replaced). json_for_script() serialises a
// JSON value so it can sit inside <script type="application/json">: every
// '<', '>' and '&' is written as a \u escape (only strings can hold them), so
// no "</script>" or "<!--" from the history can end or confuse the element;
// invalid UTF-8 is replaced, never thrown on. js_for_script() makes library
// code safe to inline in <script> (any "</script" becomes "<\/script").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace faultline::controller::report {

std::string html_escape(const std::string& text);
std::string json_for_script(const nlohmann::json& value);
std::string js_for_script(const std::string& code);

}  // namespace faultline::controller::report
