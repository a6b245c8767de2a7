#include "checkers/history/edn.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace faultline::history::edn {
namespace {

using json = nlohmann::json;
constexpr int kMaxDepth = 512;

bool is_whitespace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\f' || c == '\v'; }
bool is_delimiter(int c) {
  return c < 0 || is_whitespace(c) || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' ||
         c == '"' || c == ';';
}
bool is_digit(int c) { return c >= '0' && c <= '9'; }
bool is_symbol_char(int c) {
  if (c < 0) return false;
  if (c >= 0x80) return true;  // UTF-8 in symbols: accepted as is
  if (std::isalnum(c)) return true;
  return std::strchr(".*+!-_?$%&=<>/':#", c) != nullptr;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool parse_hex4(std::string_view s, std::uint32_t& out) {
  if (s.size() != 4) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + 4, out, 16);
  return ec == std::errc() && ptr == s.data() + 4;
}

// The JSON object key for an EDN map key (see edn.h).
std::string map_key(const json& key) {
  if (key.is_string()) return key.get<std::string>();
  return to_edn(key);
}

bool valid_symbol(std::string_view s) {
  if (s.empty()) return false;
  if (is_digit(static_cast<unsigned char>(s[0]))) return false;
  if ((s[0] == '+' || s[0] == '-' || s[0] == '.') && s.size() > 1 && is_digit(static_cast<unsigned char>(s[1])))
    return false;
  if (s[0] == ':' || s[0] == '#') return false;
  if (s.front() == '/' && s.size() > 1) return false;
  if (s.back() == '/' && s.size() > 1) return false;
  for (char c : s)
    if (!is_symbol_char(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

Error Parser::error_at(Position at, const std::string& reason) const {
  return invalid_input(fmt::format("line {}, column {}: {}", at.line, at.column, reason));
}

void Parser::advance() {
  if (offset_ >= text_.size()) return;
  if (text_[offset_] == '\n') {
    ++pos_.line;
    pos_.column = 1;
  } else {
    ++pos_.column;
  }
  ++offset_;
}

Result<void> Parser::skip_ignorable() {
  for (;;) {
    int c = peek();
    if (is_whitespace(c)) {
      advance();
    } else if (c == ';') {
      while (peek() >= 0 && peek() != '\n') advance();
    } else if (c == '#' && peek_at(1) == '_') {
      Position at = pos_;
      advance();
      advance();
      auto skip = skip_ignorable();
      if (!skip) return skip.error();
      if (peek() < 0) return error_at(at, "#_ discards nothing: end of input");
      auto discarded = read_form(1);
      if (!discarded) return discarded.error();
    } else {
      return ok_result();
    }
  }
}

Result<bool> Parser::at_end() {
  auto skip = skip_ignorable();
  if (!skip) return skip.error();
  return peek() < 0;
}

Result<json> Parser::next() {
  auto skip = skip_ignorable();
  if (!skip) return skip.error();
  if (peek() < 0) return error_at(pos_, "expected a form, got end of input");
  if (peek() == ')' || peek() == ']' || peek() == '}')
    return error_at(pos_, fmt::format("unexpected '{}'", static_cast<char>(peek())));
  return read_form(0);
}

Result<bool> Parser::open_sequence() {
  auto skip = skip_ignorable();
  if (!skip) return skip.error();
  if (peek() == '[' || peek() == '(') {
    open_close_ = peek() == '[' ? ']' : ')';
    advance();
    return true;
  }
  return false;
}

Result<bool> Parser::close_sequence() {
  auto skip = skip_ignorable();
  if (!skip) return skip.error();
  if (peek() < 0) return error_at(pos_, fmt::format("expected '{}' to close the top-level sequence, got end of input", open_close_));
  if (peek() == open_close_) {
    advance();
    return true;
  }
  if (peek() == ')' || peek() == ']' || peek() == '}')
    return error_at(pos_, fmt::format("expected '{}', got '{}'", open_close_, static_cast<char>(peek())));
  return false;
}

std::string_view Parser::token() {
  std::size_t start = offset_;
  while (!is_delimiter(peek())) advance();
  return text_.substr(start, offset_ - start);
}

Result<json> Parser::read_form(int depth) {
  if (depth > kMaxDepth) return error_at(pos_, fmt::format("nesting deeper than {} levels", kMaxDepth));
  auto skip = skip_ignorable();
  if (!skip) return skip.error();
  Position start = pos_;
  int c = peek();
  switch (c) {
    case -1:
      return error_at(pos_, "expected a form, got end of input");
    case '(':
      advance();
      return read_collection(')', depth, start);
    case '[':
      advance();
      return read_collection(']', depth, start);
    case '{':
      advance();
      return read_map(depth, start);
    case ')':
    case ']':
    case '}':
      return error_at(pos_, fmt::format("unexpected '{}'", static_cast<char>(c)));
    case '"':
      return read_string();
    case '\\':
      return read_char();
    case '#':
      return read_dispatch(depth);
    default:
      return read_token();
  }
}

Result<json> Parser::read_collection(char close, int depth, Position start) {
  json out = json::array();
  for (;;) {
    auto skip = skip_ignorable();
    if (!skip) return skip.error();
    int c = peek();
    if (c < 0)
      return error_at(start, fmt::format("'{}' opened here is never closed (expected '{}')",
                                         close == ')' ? '(' : (close == ']' ? '[' : '{'), close));
    if (c == close) {
      advance();
      return out;
    }
    if (c == ')' || c == ']' || c == '}')
      return error_at(pos_, fmt::format("expected '{}', got '{}'", close, static_cast<char>(c)));
    auto item = read_form(depth + 1);
    if (!item) return item.error();
    out.push_back(std::move(item).value());
  }
}

Result<json> Parser::read_map(int depth, Position start) {
  json out = json::object();
  for (;;) {
    auto skip = skip_ignorable();
    if (!skip) return skip.error();
    int c = peek();
    if (c < 0) return error_at(start, "'{' opened here is never closed (expected '}')");
    if (c == '}') {
      advance();
      return out;
    }
    if (c == ')' || c == ']') return error_at(pos_, fmt::format("expected '}}', got '{}'", static_cast<char>(c)));
    Position key_at = pos_;
    auto key = read_form(depth + 1);
    if (!key) return key.error();
    skip = skip_ignorable();
    if (!skip) return skip.error();
    if (peek() == '}' || peek() < 0)
      return error_at(key_at, fmt::format("map key {} has no value (a map needs an even number of forms)", to_edn(*key)));
    auto value = read_form(depth + 1);
    if (!value) return value.error();
    std::string k = map_key(*key);
    if (out.contains(k)) return error_at(key_at, fmt::format("duplicate map key {}", to_edn(*key)));
    out.emplace(std::move(k), std::move(value).value());
  }
}

Result<json> Parser::read_string() {
  Position start = pos_;
  advance();  // opening quote
  std::string out;
  for (;;) {
    int c = peek();
    if (c < 0) return error_at(start, "string opened here is never closed");
    if (c == '"') {
      advance();
      return json(std::move(out));
    }
    if (c != '\\') {
      out.push_back(static_cast<char>(c));
      advance();
      continue;
    }
    Position esc_at = pos_;
    advance();
    int e = peek();
    switch (e) {
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case 'n': out.push_back('\n'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case '\\': out.push_back('\\'); break;
      case '"': out.push_back('"'); break;
      case 'u': {
        std::uint32_t cp = 0;
        if (!parse_hex4(text_.substr(offset_ + 1, 4), cp)) return error_at(esc_at, "\\u must be followed by 4 hex digits");
        for (int i = 0; i < 4; ++i) advance();
        append_utf8(out, cp);
        break;
      }
      case -1:
        return error_at(start, "string opened here is never closed");
      default:
        return error_at(esc_at, fmt::format("unknown string escape '\\{}'", static_cast<char>(e)));
    }
    advance();
  }
}

Result<json> Parser::read_char() {
  Position start = pos_;
  advance();  // backslash
  if (peek() < 0 || is_whitespace(peek())) return error_at(start, "'\\' must be followed by a character");
  std::size_t begin = offset_;
  advance();  // the first character is always part of the literal, even '(' or '"'
  while (!is_delimiter(peek())) advance();
  std::string_view name = text_.substr(begin, offset_ - begin);
  if (name == "newline") return json("\n");
  if (name == "space") return json(" ");
  if (name == "tab") return json("\t");
  if (name == "return") return json("\r");
  if (name == "formfeed") return json("\f");
  if (name == "backspace") return json("\b");
  if (name.size() == 5 && name[0] == 'u') {
    std::uint32_t cp = 0;
    if (parse_hex4(name.substr(1), cp)) {
      std::string out;
      append_utf8(out, cp);
      return json(std::move(out));
    }
  }
  // One UTF-8 code point.
  unsigned char lead = static_cast<unsigned char>(name[0]);
  std::size_t len = lead < 0x80 ? 1 : (lead >> 5) == 6 ? 2 : (lead >> 4) == 14 ? 3 : (lead >> 3) == 30 ? 4 : 0;
  if (len == 0 || len != name.size()) return error_at(start, fmt::format("unknown character literal '\\{}'", name));
  return json(std::string(name));
}

Result<json> Parser::read_dispatch(int depth) {
  Position start = pos_;
  advance();  // '#'
  int c = peek();
  if (c == '{') {
    advance();
    auto items = read_collection('}', depth, start);
    if (!items) return items.error();
    for (std::size_t i = 0; i < items->size(); ++i)
      for (std::size_t j = i + 1; j < items->size(); ++j)
        if ((*items)[i] == (*items)[j])
          return error_at(start, fmt::format("duplicate set element {}", to_edn((*items)[i])));
    return items;
  }
  if (c == '#') {
    advance();
    std::string_view name = token();
    if (name == "Inf") return json(std::numeric_limits<double>::infinity());
    if (name == "-Inf") return json(-std::numeric_limits<double>::infinity());
    if (name == "NaN") return json(std::numeric_limits<double>::quiet_NaN());
    return error_at(start, fmt::format("unknown symbolic value '##{}'", name));
  }
  if (c == ':') return error_at(start, "namespaced maps (#:ns{...}) are not supported");
  if (c >= 0 && std::isalpha(c)) {
    std::string_view tag = token();
    if (!valid_symbol(tag)) return error_at(start, fmt::format("invalid tag '#{}'", tag));
    auto skip = skip_ignorable();
    if (!skip) return skip.error();
    if (peek() < 0) return error_at(start, fmt::format("tag #{} has no value", tag));
    auto value = read_form(depth + 1);
    if (!value) return value.error();
    json out = json::object();
    out["#" + std::string(tag)] = std::move(value).value();
    return out;
  }
  if (c < 0) return error_at(start, "'#' at end of input");
  return error_at(start, fmt::format("unknown dispatch '#{}'", static_cast<char>(c)));
}

Result<json> Parser::read_token() {
  Position start = pos_;
  std::string_view tok = token();
  if (tok.empty()) return error_at(start, fmt::format("unexpected character '{}'", static_cast<char>(peek())));
  if (tok == "nil") return json(nullptr);
  if (tok == "true") return json(true);
  if (tok == "false") return json(false);
  unsigned char c0 = static_cast<unsigned char>(tok[0]);
  bool numeric = is_digit(c0) || ((c0 == '+' || c0 == '-') && tok.size() > 1 && is_digit(static_cast<unsigned char>(tok[1])));
  if (numeric) {
    std::string_view body = tok;
    bool plus = body[0] == '+';
    if (plus) body.remove_prefix(1);
    bool is_float = body.find_first_of(".eE") != std::string_view::npos || body.back() == 'M';
    if (!is_float) {
      if (body.back() == 'N') body.remove_suffix(1);
      std::int64_t v = 0;
      auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
      if (ec == std::errc::result_out_of_range)
        return error_at(start, fmt::format("integer {} does not fit in 64 bits", tok));
      if (ec != std::errc() || ptr != body.data() + body.size())
        return error_at(start, fmt::format("invalid number '{}'", tok));
      return json(v);
    }
    if (body.back() == 'M') body.remove_suffix(1);
    double d = 0;
    auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), d);
    if (ec != std::errc() || ptr != body.data() + body.size())
      return error_at(start, fmt::format("invalid number '{}'", tok));
    return json(d);
  }
  if (c0 == ':') {
    std::string_view name = tok.substr(1);
    if (name.empty()) return error_at(start, "':' must be followed by a keyword name");
    if (name[0] == ':') return error_at(start, fmt::format("auto-resolved keyword '{}' is not EDN", tok));
    for (char ch : name)
      if (!is_symbol_char(static_cast<unsigned char>(ch))) return error_at(start, fmt::format("invalid keyword '{}'", tok));
    return json(std::string(tok));
  }
  if (!valid_symbol(tok)) return error_at(start, fmt::format("invalid symbol '{}'", tok));
  return json(std::string(tok));
}

Result<json> parse(std::string_view text) {
  Parser parser(text);
  auto end = parser.at_end();
  if (!end) return end.error();
  if (*end) return invalid_input("line 1, column 1: expected a form, got end of input");
  auto value = parser.next();
  if (!value) return value;
  end = parser.at_end();
  if (!end) return end.error();
  if (!*end) {
    Position p = parser.position();
    return invalid_input(fmt::format("line {}, column {}: unexpected form after the first one", p.line, p.column));
  }
  return value;
}

namespace {
void write_string(std::string& out, const std::string& s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
  out.push_back('"');
}
bool is_keyword_text(const std::string& s) {
  return s.size() > 1 && s[0] == ':' && s.find_first_of(" \t\n\r,()[]{}\";") == std::string::npos;
}
void write(std::string& out, const json& v) {
  switch (v.type()) {
    case json::value_t::null: out += "nil"; break;
    case json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case json::value_t::number_integer: out += std::to_string(v.get<std::int64_t>()); break;
    case json::value_t::number_unsigned: out += std::to_string(v.get<std::uint64_t>()); break;
    case json::value_t::number_float: {
      double d = v.get<double>();
      if (std::isnan(d)) out += "##NaN";
      else if (std::isinf(d)) out += d > 0 ? "##Inf" : "##-Inf";
      else out += v.dump();
      break;
    }
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (is_keyword_text(s)) out += s;
      else write_string(out, s);
      break;
    }
    case json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v) {
        if (!first) out.push_back(' ');
        first = false;
        write(out, item);
      }
      out.push_back(']');
      break;
    }
    case json::value_t::object: {
      if (v.size() == 1 && v.begin().key().size() > 1 && v.begin().key()[0] == '#') {
        out += v.begin().key();
        out.push_back(' ');
        write(out, v.begin().value());
        break;
      }
      out.push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        if (is_keyword_text(it.key())) out += it.key();
        else write_string(out, it.key());
        out.push_back(' ');
        write(out, it.value());
      }
      out.push_back('}');
      break;
    }
    default: out += v.dump();
  }
}
}  // namespace

std::string to_edn(const json& value) {
  std::string out;
  write(out, value);
  return out;
}

}  // namespace faultline::history::edn
