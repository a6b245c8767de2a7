// The violation drawing: built from real findings, escapes history text.
#include "checkers/linearizable/visualize.h"

#include <gtest/gtest.h>

#include "checkers/history/edn_reader.h"
#include "checkers/linearizable/linearizable_checker.h"

namespace faultline::checkers {
namespace {

CheckResult check_edn(const std::string& text, nlohmann::json initial) {
  auto h = history::read_edn_history(text, "t.edn");
  EXPECT_TRUE(h.ok());
  CheckOptions options;
  options.model = "cas-register";
  options.initial = std::move(initial);
  auto r = make_linearizable_checker()->check(*h, options);
  EXPECT_TRUE(r.ok());
  return *r;
}

TEST(LinearizableVisualize, DrawsPrefixFailedOpAndStates) {
  auto r = check_edn(R"([{:type :invoke, :f :write, :value 0, :process 0}
 {:type :ok, :f :write, :value 0, :process 0}
 {:type :invoke, :f :read, :value nil, :process 1}
 {:type :invoke, :f :write, :value 4, :process 2}
 {:type :ok, :f :read, :value 3, :process 1}
 {:type :ok, :f :write, :value 4, :process 2}])",
                     nullptr);
  ASSERT_EQ(r.valid, Validity::kInvalid);
  std::string html = linearizable::render_violation_html(r.findings);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("class=\"bad\""), std::string::npos);       // the read of 3
  EXPECT_NE(html.find("class=\"lin\""), std::string::npos);       // the write of 0
  EXPECT_NE(html.find("read → 3"), std::string::npos);
  EXPECT_NE(html.find("<li><code>0</code></li>"), std::string::npos);
  EXPECT_NE(html.find("<li><code>4</code></li>"), std::string::npos);
  EXPECT_NE(html.find("process 2"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(LinearizableVisualize, EscapesValuesAndIgnoresValidFindings) {
  auto r = check_edn(R"([{:type :invoke, :f :write, :value "<b>&", :process 0}
 {:type :ok, :f :write, :value "<b>&", :process 0}
 {:type :invoke, :f :read, :value nil, :process 1}
 {:type :ok, :f :read, :value "<i>", :process 1}])",
                     nullptr);
  ASSERT_EQ(r.valid, Validity::kInvalid);
  std::string html = linearizable::render_violation_html(r.findings);
  EXPECT_EQ(html.find("<b>&"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;&amp;"), std::string::npos);
  EXPECT_EQ(linearizable::render_violation_html({{"valid", true}}), "");
  EXPECT_EQ(linearizable::render_violation_html(nlohmann::json::array()), "");
}

}  // namespace
}  // namespace faultline::checkers
