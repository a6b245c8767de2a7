// html_escape: text made safe for HTML element content and quoted attributes.
//
// Contract: replaces & < > " ' with their entities and leaves every other
// byte as it is. Used by every part that writes HTML from untrusted history
// text (the report, the linearizability drawing).
#pragma once

#include <string>

namespace faultline {

std::string html_escape(const std::string& text);

}  // namespace faultline
