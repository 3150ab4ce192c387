// The samples of one run (samples.jsonl rows, see train/step_data.h) held in memory for the
// samples browser: filters, paging and a prompt's whole group.
//
//   SamplesIndex index;
//   index.Append(ReadJsonlChunk(path, index.next_offset(), kMax).value());
//   SampleQuery q;
//   q.function = "math_accuracy";
//   q.min_reward = 1.0;
//   SamplePage page = index.Find(q);
#ifndef ZERORL_DASHBOARD_SAMPLES_INDEX_H_
#define ZERORL_DASHBOARD_SAMPLES_INDEX_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dashboard/jsonl_chunk.h"

namespace zerorl::dashboard {

struct Sample {
  int64_t step = 0;
  std::string split;     // "train", "eval/<dataset>", ...
  int64_t prompt_id = 0;
  int64_t sample_index = 0;
  double reward = 0;     // NaN when the row's reward is null (unusable sample)
  std::map<std::string, double> rewards;  // per function; NaN for a null value
  std::string prompt_lower;               // the prompt, ASCII-lowercased, for substring search
  std::string json;                       // the row as written
};

struct SampleQuery {
  std::optional<int64_t> step;
  std::optional<std::string> split;
  // With a function: only samples scored by it, and min/max apply to its reward; without:
  // min/max apply to the total reward. A NaN reward never passes a min or max.
  std::optional<std::string> function;
  std::optional<double> min_reward;
  std::optional<double> max_reward;
  std::string prompt_contains;  // case-insensitive (ASCII); "" matches all
  bool newest_first = true;
  int64_t offset = 0;   // matches to skip
  int64_t limit = 50;   // matches to return
};

struct SamplePage {
  int64_t total = 0;                    // matches in all
  std::vector<const Sample*> samples;   // this page; valid until the next Append()
};

class SamplesIndex {
 public:
  // Adds the chunk's rows. A row without an integer "step", a string "prompt" or a string
  // "completion" counts as malformed. A chunk with reset set empties the index first.
  void Append(const JsonlChunk& chunk);

  SamplePage Find(const SampleQuery& query) const;
  // Every sample with this step, split and prompt id, by sample_index.
  std::vector<const Sample*> Group(int64_t step, const std::string& split, int64_t prompt_id) const;

  uint64_t next_offset() const { return next_offset_; }
  int64_t malformed() const { return malformed_; }
  const std::string& first_error() const { return first_error_; }
  size_t size() const { return samples_.size(); }
  const std::set<int64_t>& steps() const { return steps_; }
  const std::set<std::string>& splits() const { return splits_; }
  const std::set<std::string>& functions() const { return functions_; }

 private:
  bool Matches(const Sample& s, const SampleQuery& q) const;

  std::vector<Sample> samples_;
  uint64_t next_offset_ = 0;
  int64_t malformed_ = 0;
  std::string first_error_;
  std::set<int64_t> steps_;
  std::set<std::string> splits_;
  std::set<std::string> functions_;
};

}  // namespace zerorl::dashboard

#endif  // ZERORL_DASHBOARD_SAMPLES_INDEX_H_
