// RetryBudget: a token bucket that stops retries from multiplying load during
// an outage (gRPC retry throttling, gRFC A6).
//
// Contract: the bucket starts full at `max_tokens`. Every failed attempt
// takes one token (floor 0); every successful attempt gives back
// `token_ratio` tokens (cap max_tokens). A retry (attempt >= 1) is allowed
// only while tokens > max_tokens / 2; first attempts are never refused. No
// clock: the bucket moves only with outcomes, so in a total outage at most
// about max_tokens / 2 retries happen in all, however many operations run.
#pragma once

#include "common/result.h"

namespace faultline::reference {

struct RetryBudgetConfig {
  double max_tokens = 10.0;   // gRPC: (0, 1000]
  double token_ratio = 0.1;   // gRPC: (0, 1]
};
Result<void> validate(const RetryBudgetConfig& config);

class RetryBudget {
 public:
  explicit RetryBudget(RetryBudgetConfig config = {}) : config_(config), tokens_(config.max_tokens) {}
  bool allow_retry() const { return tokens_ > config_.max_tokens / 2; }
  void on_success();
  void on_failure();
  double tokens() const { return tokens_; }

 private:
  RetryBudgetConfig config_;
  double tokens_;
};

}  // namespace faultline::reference
