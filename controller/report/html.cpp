#include "controller/report/html.h"

#include "common/html_escape.h"

#include <algorithm>
#include <cctype>

namespace faultline::controller::report {

std::string html_escape(const std::string& text) { return faultline::html_escape(text); }

std::string json_for_script(const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string js_for_script(const std::string& code) {
  std::string out;
  out.reserve(code.size());
  for (std::size_t i = 0; i < code.size(); ++i) {
    if (code[i] == '<' && i + 1 < code.size() && code[i + 1] == '/') {
      std::string tag = code.substr(i + 2, 6);
      std::transform(tag.begin(), tag.end(), tag.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (tag == "script") {
        out += "<\\/";
        ++i;
        continue;
      }
    }
    out.push_back(code[i]);
  }
  return out;
}

}  // namespace faultline::controller::report
