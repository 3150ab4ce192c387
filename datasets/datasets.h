// Problems for training and evaluation: JSONL loaders with presets for GSM8K, MATH,
// MATH-500, HumanEval, MBPP and a generic form, plus the synthetic tasks of synthetic.h.
// Sampling (shuffle, epochs, holdout split, resumable cursor) is in sampler.h.
//
//   ASSIGN_OR_RETURN(DataSets data, OpenData(config.data));
//   PromptSampler sampler(data.train, DataCursor{0, 0, config.run.seed}, config.data.shuffle);
//   ASSIGN_OR_RETURN(std::vector<Problem> batch, sampler.NextBatch(config.data.prompts_per_step));
//
// A problem carries the raw question; the caller renders it with a chat template
// (tokenizer/templates.h), using the dataset's system prompt and answer-format instruction.
//
// Files are indexed, not held: loading reads the file once in bounded memory (a 1 MiB
// buffer), checks every row, and keeps ~28 bytes per good row (offset, length, line,
// checksum); Dataset::Get() reads and parses that one row again. A malformed row is reported as
// "FILE:LINE: why" and skipped (counted in LoadStats) or refused, per `data.on_bad_line`.
//
// Presets (the JSON keys they read; data.<set>.fields overrides any of them, and a value
// "a|b" means "a, else b"):
//
//   preset     prompt       answer                             tests / other
//   gsm8k      question     text after "####" of answer,       solution = answer
//                           thousands separators removed
//   math       problem      answer, else last \boxed{} of      level (1-5 or "Level N"),
//   math500                 solution                           subject|type, id unique_id|idx
//   humaneval  prompt       (none)                             tests = test (a program that
//                                                              defines check), entry_point,
//                                                              solution = canonical_solution
//   mbpp       text + "Your code should pass these tests:"     tests = test_list (asserts),
//              and the asserts                                 test_setup = test_setup_code,
//                                                              solution = code
//   generic    prompt, or   answer, else last \boxed{} of      tests (a program, or a list of
//              messages     solution; a number is taken as     assert lines), entry_point,
//                           its JSON text                      test_setup, level, subject, id
//
// Solutions have CRLF line ends normalised to LF (MBPP's code uses CRLF).
// Ids: the row's id field when it has one (a number n becomes "<name>/n"), else
// "<name>/<file stem>/<row>" with the 0-based line index ("gsm8k/test/17"). Blank lines are
// ignored; a last line without "\n" is read like any other.
#ifndef ZERORL_DATASETS_DATASETS_H_
#define ZERORL_DATASETS_DATASETS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/config.h"

namespace zerorl::datasets {

enum class TaskKind {
  kMath,       // `answer` is the gold final answer (math verifier)
  kCode,       // `tests` judge the completion (code sandbox)
  kCountdown,  // `countdown` holds numbers and target; check with CountdownCheck()
};
const char* TaskKindName(TaskKind kind);  // "math", "code", "countdown"

struct ChatTurn {
  std::string role;  // "user", "assistant"
  std::string content;
};

// Tests for a code problem, as the dataset gives them (Python).
struct CodeTests {
  std::string program;                // HumanEval `test`: defines check(candidate)
  std::string entry_point;            // HumanEval: the function passed to check()
  std::vector<std::string> asserts;   // MBPP test_list: one assert statement each
  std::string setup;                  // MBPP test_setup_code: runs before the asserts
};

struct CountdownTask {
  std::vector<int64_t> numbers;  // each usable at most once
  int64_t target = 0;
};

struct Problem {
  std::string id;        // stable across runs: "gsm8k/test/17", "HumanEval/3", ...
  std::string dataset;   // the dataset's name (DatasetConfig::Name())
  TaskKind kind = TaskKind::kMath;
  std::string prompt;    // the question; HumanEval: the signature and docstring to complete
  std::vector<ChatTurn> history;  // `messages` rows: turns before the final user turn
  std::string answer;    // gold final answer; empty for code problems
  std::string solution;  // reference solution (worked answer, code); may be empty
  std::optional<CodeTests> tests;          // set for kCode
  std::optional<CountdownTask> countdown;  // set for kCountdown
  std::string system_prompt;  // from the dataset config, else a `messages` system turn
  std::string instruction;    // answer-format instruction from the dataset config
  int level = 0;              // difficulty when the dataset has one (MATH 1-5), else 0
  std::string subject;        // MATH subject; empty when none
  std::string source_path;    // file it came from; empty for generated problems
  int64_t source_line = 0;    // 1-based line in source_path; 0 for generated problems
};

// Counts from loading one dataset; bad_lines is what `data/<name>/bad_lines` reports.
struct LoadStats {
  int64_t rows_read = 0;    // non-blank lines read
  int64_t bad_lines = 0;    // malformed rows skipped (on_bad_line: skip)
  int64_t dropped = 0;      // good rows left out by ids_file or limit
  std::vector<std::string> first_bad_lines;  // "FILE:LINE: why" for the first few
};

namespace internal {
class ProblemSource;  // where rows live: an indexed file or generated problems
}  // namespace internal

// An ordered, immutable list of problems. Copies are cheap and share the underlying rows;
// Get() may be called from several threads.
class Dataset {
 public:
  Dataset() = default;  // empty, named ""
  // Problems held in memory (synthetic tasks, tests, tools).
  static Dataset FromProblems(std::string name, std::vector<Problem> problems,
                              LoadStats stats = {});

  const std::string& name() const { return name_; }
  size_t size() const { return rows_.size(); }
  const LoadStats& stats() const { return stats_; }

  // Problem i (0 <= i < size()). A file row is read again: kDataLoss if the file changed
  // since it was loaded, kOutOfRange for a bad index.
  absl::StatusOr<Problem> Get(size_t i) const;

  // The problems at `indices` (each < size(), else dropped), in that order, under `name`.
  Dataset Subset(const std::vector<size_t>& indices, std::string name) const;

 private:
  friend absl::StatusOr<Dataset> LoadDataset(const config::DatasetConfig&, config::BadLinePolicy);
  Dataset(std::string name, std::shared_ptr<const internal::ProblemSource> source,
          std::vector<uint32_t> rows, LoadStats stats);

  std::string name_;
  std::shared_ptr<const internal::ProblemSource> source_;
  std::vector<uint32_t> rows_;  // [size()] row numbers in source_
  LoadStats stats_;
};

// Loads one dataset: a JSONL preset (reads config.path) or a synthetic one (generates
// config.count problems). Errors: kNotFound/kPermissionDenied for the file,
// kInvalidArgument for an empty file, a file with no good rows, an ids_file id that is not
// in the data, or (on_bad_line: error) the first malformed row as "FILE:LINE: why".
absl::StatusOr<Dataset> LoadDataset(const config::DatasetConfig& config,
                                    config::BadLinePolicy on_bad_line);

struct DataSets {
  Dataset train;               // without the held-out rows
  std::vector<Dataset> eval;   // data.eval in order, then "<train>_holdout" if any
};

// Loads data.train and every data.eval and applies data.holdout_fraction. Errors name the
// config key ("data.eval[1]: ...").
absl::StatusOr<DataSets> OpenData(const config::DataConfig& config);

// One JSON object per problem, for samples.jsonl and wire messages; every field above is
// written, and ProblemFromJson(ProblemToJson(p)) == p. ProblemFromJson refuses (with the
// field name) a missing id/prompt, a wrong type, or an unknown kind.
std::string ProblemToJson(const Problem& problem);
absl::StatusOr<Problem> ProblemFromJson(std::string_view json);
bool operator==(const Problem& a, const Problem& b);

}  // namespace zerorl::datasets

#endif  // ZERORL_DATASETS_DATASETS_H_
