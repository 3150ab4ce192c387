#include "rollout/stop.h"

#include <algorithm>

namespace zerorl::rollout {

StopChecker::StopChecker(const StopRules* rules, const tokenizer::Tokenizer* tokenizer)
    : rules_(rules) {
  if (tokenizer != nullptr) stream_.emplace(*tokenizer);
  for (const std::string& s : rules_->stop_strings) longest_stop_ = std::max(longest_stop_, s.size());
}

std::optional<wire::FinishReason> StopChecker::Push(int32_t token) {
  ++num_tokens_;
  const std::vector<int32_t>& eos = rules_->eos_ids;
  if (std::find(eos.begin(), eos.end(), token) != eos.end()) {
    if (stream_) text_ += stream_->Finish();
    return wire::FinishReason::kStop;
  }
  if (stream_) {
    size_t before = text_.size();
    absl::StatusOr<std::string> piece = stream_->Step(token);
    if (piece.ok()) text_ += *piece;  // an unknown id (embedding padding) adds nothing
    if (longest_stop_ > 0 && text_.size() > before && FindStopString(before)) {
      return wire::FinishReason::kStop;
    }
  }
  if (num_tokens_ >= rules_->max_new_tokens) {
    if (stream_) text_ += stream_->Finish();
    return wire::FinishReason::kLength;
  }
  return std::nullopt;
}

// Looks for a stop string ending after `searched_before` (earlier text was searched already);
// on a match, cuts the text right after the earliest-ending one.
bool StopChecker::FindStopString(size_t searched_before) {
  size_t best_end = std::string::npos;
  for (const std::string& stop : rules_->stop_strings) {
    size_t from = searched_before >= stop.size() - 1 ? searched_before - (stop.size() - 1) : 0;
    size_t at = text_.find(stop, from);
    if (at != std::string::npos) best_end = std::min(best_end, at + stop.size());
  }
  if (best_end == std::string::npos) return false;
  text_.resize(best_end);
  return true;
}

}  // namespace zerorl::rollout
