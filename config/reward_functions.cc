// The reward section of the config (config/config.h): each reward function's object takes
// only its own keys.
#include "config/config.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace zerorl::config {

namespace {

// The keys of one reward function's options, on the function's own object.
void DescribeMathAccuracy(Fields& f, MathAccuracyOptions& c) {
  f.Int("deadline_ms", c.deadline_ms).AtLeast(1);
  f.Int("float_rounding", c.float_rounding).Between(0, 30);
  f.Bool("boxed_first", c.boxed_first);
  f.Bool("strict", c.strict);
  f.Bool("set_relation", c.set_relation);
}

void DescribeCodeTests(Fields& f, CodeTestsOptions& c) {
  f.Enum("scoring", c.scoring,
         {{"pass_fraction", CodeScoring::kPassFraction},
          {"all_or_nothing", CodeScoring::kAllOrNothing}});
  f.String("language", c.language);
  f.Int("wall_time_ms", c.wall_time_ms).AtLeast(1);
  f.Int("cpu_time_ms", c.cpu_time_ms).AtLeast(1);
  f.Int("memory_mib", c.memory_mib).AtLeast(1);
  if (f.reading() && c.language.empty()) f.Error("language", "must not be empty");
}

void DescribeFormat(Fields& f, FormatOptions& c) {
  const FormatOptions defaults;
  f.Enum("mode", c.mode, {{"pattern", FormatMode::kPattern}, {"tag_count", FormatMode::kTagCount}});
  f.String("pattern", c.pattern);
  f.StringList("tags", c.tags);
  if (!f.reading()) return;
  if (c.mode == FormatMode::kPattern && c.tags != defaults.tags) {
    f.Error("tags", "applies to mode \"tag_count\" only");
  }
  if (c.mode == FormatMode::kTagCount && c.pattern != defaults.pattern) {
    f.Error("pattern", "applies to mode \"pattern\" only");
  }
  if (c.mode == FormatMode::kPattern && c.pattern.empty()) f.Error("pattern", "must not be empty");
  if (c.mode == FormatMode::kTagCount && c.tags.empty()) f.Error("tags", "must name at least one tag");
  for (const std::string& tag : c.tags) {
    if (tag.empty()) {
      f.Error("tags", "must not contain an empty tag");
      break;
    }
  }
}

void DescribeLength(Fields& f, LengthOptions& c) {
  f.Enum("penalty", c.penalty,
         {{"dapo", LengthPenalty::kDapo},
          {"linear", LengthPenalty::kLinear},
          {"cosine", LengthPenalty::kCosine}});
  f.Int("max_length", c.max_length).AtLeast(0);
  f.Int("buffer", c.buffer).AtLeast(0);
  if (!f.reading()) return;
  if (c.penalty != LengthPenalty::kDapo && c.buffer != 0) {
    f.Error("buffer", "applies to penalty \"dapo\" only");
  }
  if (c.max_length > 0 && c.buffer > c.max_length) {
    f.Error("buffer", absl::StrCat("must be <= max_length (", c.max_length, "), got ", c.buffer));
  }
}

void DescribePlugin(Fields& f, PluginOptions& c, bool remote) {
  if (remote) {
    f.String("endpoint", c.endpoint, FieldFlag::kRequired);
    f.Int("max_batch", c.max_batch).AtLeast(1);
  } else {
    f.String("library", c.library, FieldFlag::kRequired);
    f.String("args", c.args);
  }
  f.Int("timeout_ms", c.timeout_ms).AtLeast(0);
  if (!f.reading()) return;
  const std::string& e = c.endpoint;
  if (remote && !e.empty() && e.rfind("tcp://", 0) != 0 && e.rfind("ipc://", 0) != 0 &&
      e.rfind("inproc://", 0) != 0) {
    f.Error("endpoint", "must start with tcp://, ipc:// or inproc://, got \"" + e + "\"");
  }
}

const std::vector<std::string>& RewardFunctionNames() {
  static const std::vector<std::string> kNames = {
      "math_accuracy", "code_tests", "countdown",            "format",
      "length",        "language_consistency", "plugin", "remote"};
  return kNames;
}

}  // namespace

void Describe(Fields& f, RewardFunctionConfig& c) {
  f.String("name", c.name, FieldFlag::kRequired);
  f.Double("weight", c.weight);
  f.String("label", c.label);
  // Only the named function's keys are described, so any other key is reported unknown.
  const std::string& n = c.name;
  if (n == "math_accuracy") DescribeMathAccuracy(f, c.math_accuracy);
  if (n == "code_tests") DescribeCodeTests(f, c.code_tests);
  if (n == "countdown") f.Bool("use_all_numbers", c.countdown.use_all_numbers);
  if (n == "format") DescribeFormat(f, c.format);
  if (n == "length") DescribeLength(f, c.length);
  if (n == "plugin" || n == "remote") DescribePlugin(f, c.plugin, n == "remote");
  if (!f.reading() || n.empty()) return;
  const std::vector<std::string>& names = RewardFunctionNames();
  if (std::find(names.begin(), names.end(), n) == names.end()) {
    std::string hint = SuggestKey(n, names);
    f.Error("name", "unknown reward function \"" + n + "\"" +
                        (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)") +
                        "; one of: " + absl::StrJoin(names, ", ") +
                        " (your own code: \"plugin\" or \"remote\")");
  }
  if (!std::isfinite(c.weight)) f.Error("weight", "must be a finite number");
  if (c.label.find_first_of("/ \t\n") != std::string::npos) {
    f.Error("label", "must not contain '/' or whitespace (it names metrics)");
  }
}

void Describe(Fields& f, RewardConfig& c) {
  f.Int("workers", c.workers).AtLeast(0);
  f.Int("timeout_ms", c.timeout_ms).AtLeast(1);
  f.Int("sandbox_workers", c.sandbox_workers).AtLeast(0);
  f.Bool("shuffle_within_group", c.shuffle_within_group);
  f.ObjectList("functions", c.functions);
  if (!f.reading()) return;
  std::vector<std::string> labels;
  for (size_t i = 0; i < c.functions.size(); ++i) {
    const std::string& label = c.functions[i].Label();
    if (std::find(labels.begin(), labels.end(), label) != labels.end()) {
      f.Error(core::IndexKeyPath("functions", i) + ".label",
              "reward function label \"" + label +
                  "\" is used twice; give each function of one kind its own \"label\"");
    }
    labels.push_back(label);
  }
}

}  // namespace zerorl::config
