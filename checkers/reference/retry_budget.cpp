#include "checkers/reference/retry_budget.h"

#include <algorithm>

namespace faultline::reference {

Result<void> validate(const RetryBudgetConfig& c) {
  if (!(c.max_tokens > 0 && c.max_tokens <= 1000)) return invalid_input("retry budget: max_tokens must be in (0, 1000]");
  if (!(c.token_ratio > 0 && c.token_ratio <= 1)) return invalid_input("retry budget: token_ratio must be in (0, 1]");
  return ok_result();
}

void RetryBudget::on_success() { tokens_ = std::min(config_.max_tokens, tokens_ + config_.token_ratio); }
void RetryBudget::on_failure() { tokens_ = std::max(0.0, tokens_ - 1.0); }

}  // namespace faultline::reference
