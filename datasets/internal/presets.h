// Internal to datasets/: the preset table and the parser that turns one JSONL row into a
// Problem under a preset and a field map (the table itself is documented in datasets.h).
#ifndef ZERORL_DATASETS_INTERNAL_PRESETS_H_
#define ZERORL_DATASETS_INTERNAL_PRESETS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "config/config.h"
#include "datasets/datasets.h"

namespace zerorl::datasets::internal {

enum class AnswerRule {
  kNone,          // code: no final answer
  kGsm8k,         // the text after "####", thousands separators removed
  kFieldOrBoxed,  // the answer field, else the last \boxed{} of the solution field
};

struct Preset {
  const char* name;
  config::FieldMapConfig keys;        // the JSON keys read; "a|b" = a, else b; "" = not read
  AnswerRule answer_rule;
  bool needs_tests;           // a row without tests is malformed
  bool needs_entry_point;     // HumanEval: check() is given the entry point
  bool tests_in_prompt;       // MBPP: the asserts are shown under the task text
};

// The preset called `name`, or nullptr for a synthetic or unknown one.
const Preset* FindJsonlPreset(const std::string& name);

class RowParser {
 public:
  // For a JSONL preset; config.fields overrides the preset's keys. kInvalidArgument for a
  // preset that reads no file.
  static absl::StatusOr<RowParser> Create(const config::DatasetConfig& config);

  // Parses one line (`line_number` 1-based) into a Problem. On a malformed row returns
  // kInvalidArgument whose message is only the reason ("missing field \"question\""); the
  // caller adds FILE:LINE.
  absl::StatusOr<Problem> Parse(std::string_view line, int64_t line_number) const;

  // True when rows name their own id (so ids_file and duplicate checks apply).
  bool has_id_field() const { return !keys_.id.empty(); }

 private:
  RowParser() = default;

  const Preset* preset_ = nullptr;
  config::FieldMapConfig keys_;
  std::string name_;
  std::string path_;
  std::string stem_;  // file name without folders and extension
  std::string system_prompt_;
  std::string instruction_;
};

}  // namespace zerorl::datasets::internal

#endif  // ZERORL_DATASETS_INTERNAL_PRESETS_H_
