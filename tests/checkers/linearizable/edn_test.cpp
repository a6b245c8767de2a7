// The EDN parser: every value kind, the JSON mapping documented in edn.h, and
// errors with line and column.
#include "checkers/history/edn.h"

#include <cmath>

#include <gtest/gtest.h>

namespace faultline::history::edn {
namespace {

using json = nlohmann::json;

json ok(std::string_view text) {
  auto r = parse(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : json();
}

std::string err(std::string_view text) {
  auto r = parse(text);
  EXPECT_FALSE(r.ok()) << "parsed: " << text;
  return r.ok() ? "" : r.error().message;
}

TEST(Edn, Scalars) {
  EXPECT_TRUE(ok("nil").is_null());
  EXPECT_EQ(ok("true"), json(true));
  EXPECT_EQ(ok("false"), json(false));
  EXPECT_EQ(ok("42"), json(42));
  EXPECT_EQ(ok("-7"), json(-7));
  EXPECT_EQ(ok("+7"), json(7));
  EXPECT_EQ(ok("12N"), json(12));
  EXPECT_DOUBLE_EQ(ok("1.5").get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(ok("-2e3").get<double>(), -2000.0);
  EXPECT_DOUBLE_EQ(ok("3.25M").get<double>(), 3.25);
  EXPECT_TRUE(std::isinf(ok("##Inf").get<double>()));
  EXPECT_TRUE(std::isnan(ok("##NaN").get<double>()));
  EXPECT_EQ(ok(":read"), json(":read"));
  EXPECT_EQ(ok(":jepsen.history/op"), json(":jepsen.history/op"));
  EXPECT_EQ(ok("foo-bar?"), json("foo-bar?"));
  EXPECT_EQ(ok("my.ns/sym"), json("my.ns/sym"));
}

TEST(Edn, StringsAndCharacters) {
  EXPECT_EQ(ok(R"("a\tb\n\"q\"\\")"), json("a\tb\n\"q\"\\"));
  EXPECT_EQ(ok(R"("\u00e9")"), json("\xc3\xa9"));
  EXPECT_EQ(ok("\"multi\nline\""), json("multi\nline"));
  EXPECT_EQ(ok(R"(\a)"), json("a"));
  EXPECT_EQ(ok(R"(\newline)"), json("\n"));
  EXPECT_EQ(ok(R"(\space)"), json(" "));
  EXPECT_EQ(ok(R"(\u0041)"), json("A"));
  EXPECT_EQ(ok(R"([\( \)])"), json::array({"(", ")"}));
}

TEST(Edn, Collections) {
  EXPECT_EQ(ok("[1 2 [3]]"), json::parse("[1,2,[3]]"));
  EXPECT_EQ(ok("(1, 2,, 3)"), json::parse("[1,2,3]"));
  EXPECT_EQ(ok("#{1 2}"), json::parse("[1,2]"));
  EXPECT_EQ(ok("{:a 1, \"b\" 2}"), json::parse(R"({":a":1,"b":2})"));
  EXPECT_EQ(ok("{1 :x [1 2] nil}"), json::parse(R"({"1":":x","[1 2]":null})"));
  EXPECT_EQ(ok("{}"), json::object());
  EXPECT_EQ(ok("[]"), json::array());
  EXPECT_EQ(ok("{:value [2 1]}").at(":value"), json::parse("[2,1]"));
}

TEST(Edn, CommentsDiscardAndTags) {
  EXPECT_EQ(ok("; a comment\n[1 ; two\n 3]"), json::parse("[1,3]"));
  EXPECT_EQ(ok("[1 #_ 2 3]"), json::parse("[1,3]"));
  EXPECT_EQ(ok("[1 #_ #_ 2 3 4]"), json::parse("[1,4]"));
  EXPECT_EQ(ok("{:a #_ :b 1}"), json::parse(R"({":a":1})"));
  EXPECT_EQ(ok("#inst \"1985-04-12T23:20:50.52Z\""), json::parse(R"({"#inst":"1985-04-12T23:20:50.52Z"})"));
  EXPECT_EQ(ok("#myapp/Person {:first \"Fred\"}"), json::parse(R"({"#myapp/Person":{":first":"Fred"}})"));
}

TEST(Edn, RoundTripThroughToEdn) {
  for (const char* text : {"[1 :a \"s\" nil true {:k [1 2]}]", "#inst \"x\"", "{\"k\" 2.5}"}) {
    json v = ok(text);
    EXPECT_EQ(ok(to_edn(v)), v) << text << " -> " << to_edn(v);
  }
}

TEST(Edn, ErrorsNameLineAndColumn) {
  EXPECT_EQ(err("[1 2\n 3"), "line 1, column 1: '[' opened here is never closed (expected ']')");
  EXPECT_EQ(err("{:a 1\n :b}"), "line 2, column 2: map key :b has no value (a map needs an even number of forms)");
  EXPECT_EQ(err("[1\n  2)"), "line 2, column 4: expected ']', got ')'");
  EXPECT_EQ(err("\"abc"), "line 1, column 1: string opened here is never closed");
  EXPECT_EQ(err("\"a\\qb\""), "line 1, column 3: unknown string escape '\\q'");
  EXPECT_EQ(err("[1 2] 3"), "line 1, column 7: unexpected form after the first one");
  EXPECT_EQ(err("  99999999999999999999"), "line 1, column 3: integer 99999999999999999999 does not fit in 64 bits");
  EXPECT_EQ(err("12abc"), "line 1, column 1: invalid number '12abc'");
  EXPECT_EQ(err("{:a 1 :a 2}"), "line 1, column 7: duplicate map key :a");
  EXPECT_EQ(err("#{1 1}"), "line 1, column 1: duplicate set element 1");
  EXPECT_EQ(err("::auto"), "line 1, column 1: auto-resolved keyword '::auto' is not EDN");
  EXPECT_EQ(err("#_"), "line 1, column 1: #_ discards nothing: end of input");
  EXPECT_EQ(err(""), "line 1, column 1: expected a form, got end of input");
  EXPECT_EQ(err("#:ns{:a 1}"), "line 1, column 1: namespaced maps (#:ns{...}) are not supported");
  EXPECT_EQ(err("\\"), "line 1, column 1: '\\' must be followed by a character");
  EXPECT_EQ(err("\\foo"), "line 1, column 1: unknown character literal '\\foo'");
}

TEST(Edn, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  EXPECT_NE(err(deep).find("nesting deeper than 512 levels"), std::string::npos);
}

TEST(Edn, StreamingTopLevelSequence) {
  Parser parser("; header\n[{:a 1}\n {:a 2}]");
  auto opened = parser.open_sequence();
  ASSERT_TRUE(opened.ok());
  ASSERT_TRUE(*opened);
  std::vector<std::size_t> lines;
  for (;;) {
    auto closed = parser.close_sequence();
    ASSERT_TRUE(closed.ok());
    if (*closed) break;
    lines.push_back(parser.position().line);
    ASSERT_TRUE(parser.next().ok());
  }
  EXPECT_EQ(lines, (std::vector<std::size_t>{2, 3}));
  auto end = parser.at_end();
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(*end);
}

}  // namespace
}  // namespace faultline::history::edn
