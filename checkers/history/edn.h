// EDN (extensible data notation, https://github.com/edn-format/edn) reader.
//
// Contract: a recursive-descent parser of EDN text into nlohmann::json values.
// Supported: nil, true/false, integers (optional N suffix, must fit int64),
// floats (optional M suffix; ##Inf, ##-Inf, ##NaN), strings with escapes
// (\t \r \n \\ \" \b \f \uXXXX), characters (\a \newline \space \tab \return
// \formfeed \backspace \uXXXX), keywords, symbols, lists, vectors, maps,
// sets, tagged literals (#tag value), `;` comments, `#_` discard, and commas
// as whitespace. Errors are kInvalidInput "line L, column C: reason" (both
// 1-based) and name what was expected.
//
// How EDN maps onto JSON (lossy where JSON has no equivalent, so documented):
//   nil -> null; true/false -> bool; integer -> integer; float -> float;
//   string -> string; character \c -> the one-character string "c";
//   keyword :a/b -> the string ":a/b" (leading colon kept, so a keyword and a
//   string never look alike unless the string itself starts with ':');
//   symbol foo -> the string "foo";
//   list (...) and vector [...] -> array; set #{...} -> array in file order;
//   map {k v} -> object; a string key is kept, a keyword key keeps its colon
//   (":process"), any other key becomes its compact EDN text ("1", "[1 2]");
//   tagged literal #tag v -> {"#tag": v} (e.g. {"#inst": "1985-04-12"}).
// Nesting deeper than 512 levels is rejected (no stack overflow on hostile
// input).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace faultline::history::edn {

struct Position {
  std::size_t line = 1;    // 1-based
  std::size_t column = 1;  // 1-based, in bytes
};

// Reads EDN forms one at a time from a text that outlives the parser, so a
// caller can stream the elements of one big top-level vector or list.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  // Skips whitespace, commas, comments and #_ discarded forms. True when no
  // form is left.
  Result<bool> at_end();
  // Where the next form starts (call at_end() first to skip whitespace).
  Position position() const { return pos_; }
  // Reads the next form.
  Result<nlohmann::json> next();
  // If the next form is a vector or list, consumes its opening bracket and
  // returns true (then read elements with next() until close_sequence()).
  Result<bool> open_sequence();
  // True (and consumed) if the next token closes the sequence opened with
  // open_sequence(); false if another element follows.
  Result<bool> close_sequence();

 private:
  Error error_at(Position at, const std::string& reason) const;
  int peek() const { return offset_ < text_.size() ? static_cast<unsigned char>(text_[offset_]) : -1; }
  int peek_at(std::size_t ahead) const {
    return offset_ + ahead < text_.size() ? static_cast<unsigned char>(text_[offset_ + ahead]) : -1;
  }
  void advance();
  Result<void> skip_ignorable();
  Result<nlohmann::json> read_form(int depth);
  Result<nlohmann::json> read_collection(char close, int depth, Position start);
  Result<nlohmann::json> read_map(int depth, Position start);
  Result<nlohmann::json> read_string();
  Result<nlohmann::json> read_char();
  Result<nlohmann::json> read_dispatch(int depth);
  Result<nlohmann::json> read_token();
  std::string_view token();

  std::string_view text_;
  std::size_t offset_ = 0;
  Position pos_;
  char open_close_ = 0;  // closer of the sequence opened by open_sequence()
};

// Parses a text that must hold exactly one form.
Result<nlohmann::json> parse(std::string_view text);

// Writes a JSON value (as produced by this reader) back as compact EDN text:
// strings starting with ':' are written as keywords.
std::string to_edn(const nlohmann::json& value);

}  // namespace faultline::history::edn
