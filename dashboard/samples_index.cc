#include "dashboard/samples_index.h"

#include <algorithm>
#include <cmath>

#include "core/json.h"

namespace zerorl::dashboard {
namespace {

double NumberOr(const rapidjson::Value& v, double fallback) {
  return v.IsNumber() ? v.GetDouble() : fallback;
}

std::string Lower(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The sample in `line`, or the reason it is not one.
std::optional<Sample> ParseSample(const std::string& line, std::string* why) {
  absl::StatusOr<rapidjson::Document> parsed = core::ParseJson(line);
  if (!parsed.ok() || !parsed->IsObject()) {
    *why = "not a JSON object";
    return std::nullopt;
  }
  const rapidjson::Document& doc = *parsed;
  auto member = [&](const char* name) -> const rapidjson::Value* {
    auto it = doc.FindMember(name);
    return it == doc.MemberEnd() ? nullptr : &it->value;
  };
  const rapidjson::Value* step = member("step");
  const rapidjson::Value* prompt = member("prompt");
  const rapidjson::Value* completion = member("completion");
  if (step == nullptr || !step->IsInt64()) {
    *why = "sample without an integer \"step\"";
  } else if (prompt == nullptr || !prompt->IsString()) {
    *why = "sample without a string \"prompt\"";
  } else if (completion == nullptr || !completion->IsString()) {
    *why = "sample without a string \"completion\"";
  }
  if (!why->empty()) return std::nullopt;
  Sample s;
  s.step = step->GetInt64();
  const rapidjson::Value* split = member("split");
  s.split = split != nullptr && split->IsString() ? split->GetString() : "train";
  const rapidjson::Value* prompt_id = member("prompt_id");
  s.prompt_id = prompt_id != nullptr && prompt_id->IsInt64() ? prompt_id->GetInt64() : -1;
  const rapidjson::Value* index = member("sample_index");
  s.sample_index = index != nullptr && index->IsInt64() ? index->GetInt64() : 0;
  const rapidjson::Value* reward = member("reward");
  s.reward = reward != nullptr ? NumberOr(*reward, std::nan("")) : std::nan("");
  const rapidjson::Value* rewards = member("rewards");
  if (rewards != nullptr && rewards->IsObject()) {
    for (const auto& m : rewards->GetObject()) {
      s.rewards[m.name.GetString()] = NumberOr(m.value, std::nan(""));
    }
  }
  s.prompt_lower = Lower(prompt->GetString());
  s.json = line;
  return s;
}

}  // namespace

void SamplesIndex::Append(const JsonlChunk& chunk) {
  if (chunk.reset) *this = SamplesIndex();
  malformed_ += chunk.malformed;
  if (first_error_.empty()) first_error_ = chunk.first_error;
  for (const std::string& line : chunk.lines) {
    std::string why;
    std::optional<Sample> sample = ParseSample(line, &why);
    if (!sample) {
      if (malformed_++ == 0) first_error_ = why;
      continue;
    }
    steps_.insert(sample->step);
    splits_.insert(sample->split);
    for (const auto& [name, value] : sample->rewards) functions_.insert(name);
    samples_.push_back(std::move(*sample));
  }
  next_offset_ = chunk.next_offset;
}

bool SamplesIndex::Matches(const Sample& s, const SampleQuery& q) const {
  if (q.step && s.step != *q.step) return false;
  if (q.split && s.split != *q.split) return false;
  double reward = s.reward;
  if (q.function) {
    auto it = s.rewards.find(*q.function);
    if (it == s.rewards.end()) return false;
    reward = it->second;
  }
  if (q.min_reward && !(reward >= *q.min_reward)) return false;
  if (q.max_reward && !(reward <= *q.max_reward)) return false;
  if (!q.prompt_contains.empty() && s.prompt_lower.find(Lower(q.prompt_contains)) == std::string::npos) {
    return false;
  }
  return true;
}

SamplePage SamplesIndex::Find(const SampleQuery& query) const {
  SamplePage page;
  const int64_t n = static_cast<int64_t>(samples_.size());
  for (int64_t k = 0; k < n; ++k) {
    const Sample& s = samples_[query.newest_first ? n - 1 - k : k];
    if (!Matches(s, query)) continue;
    if (page.total >= query.offset && page.total < query.offset + query.limit) {
      page.samples.push_back(&s);
    }
    ++page.total;
  }
  return page;
}

std::vector<const Sample*> SamplesIndex::Group(int64_t step, const std::string& split,
                                               int64_t prompt_id) const {
  std::vector<const Sample*> group;
  for (const Sample& s : samples_) {
    if (s.step == step && s.split == split && s.prompt_id == prompt_id) group.push_back(&s);
  }
  std::stable_sort(group.begin(), group.end(), [](const Sample* a, const Sample* b) {
    return a->sample_index < b->sample_index;
  });
  return group;
}

}  // namespace zerorl::dashboard
