// `zerorl eval`, run as a user runs it: the tiny Qwen2 checkpoint of ../shared/data/models
// on real GSM8K / MATH-500 / HumanEval rows (the pipeline and the counts must be right; a
// random model solves nothing), and replayed completions with hand-computed pass@k / maj@k.
#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace zerorl::cli {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;
using testing::JsonLines;
using testing::RunCommand;
using testing::TestDataPath;
using testing::ZerorlBinary;

rapidjson::Document ReadJson(const std::string& path) {
  absl::StatusOr<std::string> text = core::ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(text.ok() ? *text : "{}");
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? std::move(*doc) : rapidjson::Document();
}

std::vector<rapidjson::Document> ReadLines(const std::string& path) {
  absl::StatusOr<std::string> text = core::ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  return JsonLines(text.ok() ? *text : "");
}

double Metric(const rapidjson::Document& summary, const char* key) {
  const rapidjson::Value& metrics = summary["metrics"];
  EXPECT_TRUE(metrics.HasMember(key)) << key;
  if (!metrics.HasMember(key) || !metrics[key].IsNumber()) return -1;
  return metrics[key].GetDouble();
}

std::vector<std::string> TinyModelArgs(const std::string& output) {
  return {ZerorlBinary(), "eval", "--model", TestDataPath("models/qwen2-tiny"), "--output", output,
          "--template", "plain", "--max-new-tokens", "8", "--temperature", "1.0", "--seed", "3"};
}

// Checks problems.jsonl against summary.json: every count recomputed from the lines.
void CheckConsistent(const std::vector<rapidjson::Document>& problems,
                     const rapidjson::Document& summary, size_t num_problems, int n,
                     int max_new_tokens) {
  ASSERT_EQ(problems.size(), num_problems);
  int64_t samples = 0, truncated = 0, correct = 0, max_length = 0, length_sum = 0;
  for (size_t i = 0; i < problems.size(); ++i) {
    const rapidjson::Document& p = problems[i];
    EXPECT_EQ(p["schema_version"].GetInt(), 1);
    EXPECT_EQ(p["index"].GetInt64(), static_cast<int64_t>(i));
    EXPECT_TRUE(p["id"].IsString());
    EXPECT_TRUE(p["prompt"].IsString());
    EXPECT_TRUE(p["answer"].IsString());
    ASSERT_EQ(p["samples"].Size(), static_cast<size_t>(n));
    for (const auto& s : p["samples"].GetArray()) {
      ++samples;
      EXPECT_TRUE(s["completion"].IsString());
      ASSERT_TRUE(s["correct"].IsBool()) << core::JsonToString(s);  // judged: a verdict, not null
      correct += s["correct"].GetBool();
      int64_t length = s["length"].GetInt64();
      EXPECT_GE(length, 1);
      EXPECT_LE(length, max_new_tokens);
      max_length = std::max(max_length, length);
      length_sum += length;
      std::string finish = s["finish_reason"].GetString();
      EXPECT_TRUE(finish == "stop" || finish == "length") << finish;
      truncated += finish == "length";
      if (finish == "length") {
        EXPECT_EQ(length, max_new_tokens);
      }
    }
  }
  EXPECT_EQ(summary["schema_version"].GetInt(), 1);
  EXPECT_EQ(summary["n"].GetInt(), n);
  EXPECT_EQ(Metric(summary, "problems"), static_cast<double>(num_problems));
  EXPECT_EQ(Metric(summary, "samples"), static_cast<double>(samples));
  EXPECT_DOUBLE_EQ(Metric(summary, "pass@1"), static_cast<double>(correct) / samples);
  EXPECT_EQ(Metric(summary, "max_length"), static_cast<double>(max_length));
  EXPECT_DOUBLE_EQ(Metric(summary, "mean_length"), static_cast<double>(length_sum) / samples);
  EXPECT_DOUBLE_EQ(Metric(summary, "truncation_rate"), static_cast<double>(truncated) / samples);
  EXPECT_TRUE(summary["metrics"].HasMember(("pass@" + std::to_string(n)).c_str()));
}

TEST(EvalCliTest, TinyModelOnGsm8kRows) {
  ZERORL_REQUIRE_TEST_DATA();
  testing::TempDir dir;
  std::vector<std::string> argv = TinyModelArgs(dir.Path("out"));
  for (const char* a : {"--dataset", "", "--limit", "3", "--n", "2"}) argv.push_back(a);
  argv[argv.size() - 5] = TestDataPath("gsm8k/test.jsonl");
  auto r = RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document summary = ReadJson(dir.Path("out/summary.json"));
  CheckConsistent(ReadLines(dir.Path("out/problems.jsonl")), summary, 3, 2, 8);
  EXPECT_STREQ(summary["dataset"].GetString(), "gsm8k");
  EXPECT_STREQ(summary["mode"].GetString(), "generate");
  EXPECT_STREQ(summary["correctness_function"].GetString(), "math_accuracy");
  EXPECT_TRUE(summary["metrics"].HasMember("maj@2"));
  EXPECT_TRUE(summary["metrics"].HasMember("pass@2"));
  EXPECT_EQ(core::JsonToString(*core::ParseJson(r.out)),
            core::JsonToString(summary));  // stdout = summary.json
  // Not a terminal: plain progress lines, the last one at 100%.
  EXPECT_THAT(r.err, HasSubstr("gsm8k 3/3 problems (100%)"));
  EXPECT_THAT(r.err, HasSubstr("zerorl eval: 3 problems, 6 samples"));
}

TEST(EvalCliTest, SameSeedSameSamples) {
  ZERORL_REQUIRE_TEST_DATA();
  testing::TempDir dir;
  std::vector<std::string> completions[2];
  for (int run = 0; run < 2; ++run) {
    std::string out = dir.Path("out" + std::to_string(run));
    std::vector<std::string> argv = TinyModelArgs(out);
    for (const std::string& a : {std::string("--dataset"), TestDataPath("gsm8k/test.jsonl"),
                                 std::string("--limit"), std::string("2"), std::string("--n"),
                                 std::string("2")}) {
      argv.push_back(a);
    }
    auto r = RunCommand(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& p : ReadLines(out + "/problems.jsonl")) {
      for (const auto& s : p["samples"].GetArray()) completions[run].push_back(s["completion"].GetString());
    }
  }
  ASSERT_EQ(completions[0].size(), 4u);
  EXPECT_EQ(completions[0], completions[1]);
}

TEST(EvalCliTest, TinyModelOnMath500ByPresetName) {
  ZERORL_REQUIRE_TEST_DATA();
  testing::TempDir dir;
  std::vector<std::string> argv = TinyModelArgs(dir.Path("out"));
  for (const std::string& a : {std::string("--dataset"), std::string("math500"), std::string("--data-dir"),
                               testing::TestDataDir(), std::string("--limit"), std::string("2"),
                               std::string("--n"), std::string("3")}) {
    argv.push_back(a);
  }
  auto r = RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document summary = ReadJson(dir.Path("out/summary.json"));
  std::vector<rapidjson::Document> problems = ReadLines(dir.Path("out/problems.jsonl"));
  CheckConsistent(problems, summary, 2, 3, 8);
  EXPECT_STREQ(problems[0]["id"].GetString(), "test/precalculus/807.json");
  EXPECT_STREQ(problems[0]["answer"].GetString(), "\\left( 3, \\frac{\\pi}{2} \\right)");
  EXPECT_THAT(summary["dataset_path"].GetString(), HasSubstr("math/test.jsonl"));
  for (const char* k : {"pass@1", "pass@2", "pass@3", "maj@1", "maj@2", "maj@3"}) {
    EXPECT_TRUE(summary["metrics"].HasMember(k)) << k;
  }
}

TEST(EvalCliTest, TinyModelOnHumanEvalRowsIsJudgedBySandboxedTests) {
  ZERORL_REQUIRE_TEST_DATA();
  testing::TempDir dir;
  std::vector<std::string> argv = TinyModelArgs(dir.Path("out"));
  for (const std::string& a : {std::string("--dataset"), TestDataPath("humaneval/HumanEval.jsonl"),
                               std::string("--limit"), std::string("2"), std::string("--n"),
                               std::string("2"), std::string("--set"), std::string("rollout.sampling.stop=[]")}) {
    argv.push_back(a);
  }
  auto r = RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document summary = ReadJson(dir.Path("out/summary.json"));
  std::vector<rapidjson::Document> problems = ReadLines(dir.Path("out/problems.jsonl"));
  CheckConsistent(problems, summary, 2, 2, 8);
  EXPECT_STREQ(summary["correctness_function"].GetString(), "code_tests");
  EXPECT_STREQ(problems[1]["id"].GetString(), "HumanEval/1");
  EXPECT_STREQ(problems[1]["kind"].GetString(), "code");
  EXPECT_FALSE(summary["metrics"].HasMember("maj@1"));  // no majority vote for code
  EXPECT_EQ(Metric(summary, "pass@1"), 0.0);  // 8 random tokens pass no tests
}

// Writes a replay file: one line per entry.
std::string ReplayFile(const testing::TempDir& dir, const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  return dir.WriteFile("completions.jsonl", text);
}

TEST(EvalCliTest, ReplayedGoldSolutionsScoreOne) {
  ZERORL_REQUIRE_TEST_DATA();
  testing::TempDir dir;
  absl::StatusOr<std::string> data = core::ReadFile(TestDataPath("gsm8k/test.jsonl"));
  ASSERT_TRUE(data.ok());
  std::vector<std::string> lines;
  std::istringstream in(*data);
  std::string row;
  for (int i = 0; i < 5 && std::getline(in, row); ++i) {
    rapidjson::Document doc = *core::ParseJson(row);
    rapidjson::Document line(rapidjson::kObjectType);
    line.AddMember("index", i, line.GetAllocator());
    rapidjson::Value completions(rapidjson::kArrayType);
    completions.PushBack(rapidjson::Value(doc["answer"], line.GetAllocator()), line.GetAllocator());
    line.AddMember("completions", completions, line.GetAllocator());
    lines.push_back(core::JsonToString(line));
  }
  auto r = RunCommand({ZerorlBinary(), "eval", "--dataset", TestDataPath("gsm8k/test.jsonl"),
                       "--completions", ReplayFile(dir, lines), "--output", dir.Path("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document summary = ReadJson(dir.Path("out/summary.json"));
  EXPECT_STREQ(summary["mode"].GetString(), "replay");
  EXPECT_EQ(Metric(summary, "problems"), 5);
  EXPECT_EQ(Metric(summary, "pass@1"), 1.0);
  EXPECT_EQ(Metric(summary, "maj@1"), 1.0);
  EXPECT_TRUE(summary["metrics"]["mean_length"].IsNull());  // no tokenizer: lengths unknown
  std::vector<rapidjson::Document> problems = ReadLines(dir.Path("out/problems.jsonl"));
  ASSERT_EQ(problems.size(), 5u);
  EXPECT_STREQ(problems[0]["samples"][0]["extracted_answer"].GetString(), "18");
}

TEST(EvalCliTest, ReplayedMixHasHandComputedPassAndMajority) {
  ZERORL_REQUIRE_TEST_DATA();
  testing::TempDir dir;
  // gsm8k/test/0 (gold 18): 17, 18, 17, none -> c = 1; test/1 (gold 3): 3, 4, 3, 5 -> c = 2.
  std::string file = ReplayFile(
      dir, {R"({"id": "gsm8k/test/0", "completions": ["<answer>17</answer>", {"text": "\\boxed{18}", "num_tokens": 6, "finish_reason": "stop"}, "the answer is 17.00", "no idea"]})",
            R"({"index": 1, "completions": ["\\boxed{3}", "\\boxed{4}", "<answer>3</answer>", "\\boxed{5}"]})"});
  auto r = RunCommand({ZerorlBinary(), "eval", "--dataset", TestDataPath("gsm8k/test.jsonl"),
                       "--completions", file, "--output", dir.Path("out"), "--tokenizer",
                       TestDataPath("models/qwen2-tiny")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document summary = ReadJson(dir.Path("out/summary.json"));
  EXPECT_EQ(summary["n"].GetInt(), 4);
  // pass@1 = (1/4 + 2/4) / 2; pass@2 = ((1 - C(3,2)/C(4,2)) + (1 - C(2,2)/C(4,2))) / 2.
  EXPECT_THAT(Metric(summary, "pass@1"), DoubleNear(0.375, 1e-12));
  EXPECT_THAT(Metric(summary, "pass@2"), DoubleNear((0.5 + 5.0 / 6.0) / 2, 1e-12));
  EXPECT_THAT(Metric(summary, "pass@4"), DoubleNear(1.0, 1e-12));
  // Majority: test/0 picks 17 at every k (a 1:1 tie at k = 2 goes to the answer seen first),
  // test/1 picks 3.
  EXPECT_EQ(Metric(summary, "maj@1"), 0.5);
  EXPECT_EQ(Metric(summary, "maj@2"), 0.5);
  EXPECT_EQ(Metric(summary, "maj@4"), 0.5);
  std::vector<rapidjson::Document> problems = ReadLines(dir.Path("out/problems.jsonl"));
  ASSERT_EQ(problems.size(), 2u);
  const auto& s = problems[0]["samples"];
  EXPECT_EQ(s[1]["length"].GetInt(), 6);              // given in the line
  EXPECT_GE(s[0]["length"].GetInt(), 3);              // counted with --tokenizer
  EXPECT_STREQ(s[1]["finish_reason"].GetString(), "stop");
  EXPECT_TRUE(s[0]["finish_reason"].IsNull());
  EXPECT_TRUE(s[3]["extracted_answer"].IsNull());
  EXPECT_FALSE(s[3]["correct"].GetBool());
  EXPECT_EQ(problems[1]["num_correct"].GetInt(), 2);
}

TEST(EvalCliTest, ReplayedHumanEvalCanonicalSolutionsPass) {
  ZERORL_REQUIRE_TEST_DATA();
  testing::TempDir dir;
  std::vector<std::string> lines;
  absl::StatusOr<std::string> data = core::ReadFile(TestDataPath("humaneval/HumanEval.jsonl"));
  ASSERT_TRUE(data.ok());
  std::istringstream in(*data);
  std::string row;
  for (int i = 0; i < 3 && std::getline(in, row); ++i) {
    rapidjson::Document doc = *core::ParseJson(row);
    std::string right = std::string(doc["prompt"].GetString()) + doc["canonical_solution"].GetString();
    std::string wrong = std::string("def ") + doc["entry_point"].GetString() + "(*a):\n    return None\n";
    rapidjson::Document line(rapidjson::kObjectType);
    line.AddMember("id", rapidjson::Value(doc["task_id"], line.GetAllocator()), line.GetAllocator());
    rapidjson::Value completions(rapidjson::kArrayType);
    completions.PushBack(rapidjson::Value(right, line.GetAllocator()), line.GetAllocator());
    completions.PushBack(rapidjson::Value(wrong, line.GetAllocator()), line.GetAllocator());
    line.AddMember("completions", completions, line.GetAllocator());
    lines.push_back(core::JsonToString(line));
  }
  auto r = RunCommand({ZerorlBinary(), "eval", "--dataset", TestDataPath("humaneval/HumanEval.jsonl"),
                       "--completions", ReplayFile(dir, lines), "--output", dir.Path("out")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document summary = ReadJson(dir.Path("out/summary.json"));
  EXPECT_EQ(Metric(summary, "pass@1"), 0.5);
  EXPECT_EQ(Metric(summary, "pass@2"), 1.0);
  EXPECT_EQ(Metric(summary, "unjudged_samples"), 0);
}

TEST(EvalCliTest, MalformedReplayLineIsBadInputNamingTheLine) {
  ZERORL_REQUIRE_TEST_DATA();
  testing::TempDir dir;
  std::string file = ReplayFile(dir, {R"({"index": 0, "completions": ["4"]})", R"({"index": 1})"});
  auto r = RunCommand({ZerorlBinary(), "eval", "--dataset", TestDataPath("gsm8k/test.jsonl"),
                       "--completions", file, "--output", dir.Path("out")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "zerorl eval: " + file + ":2: missing \"completions\": a list of strings\n");
}

TEST(EvalCliTest, UnknownReplayIdIsBadInput) {
  ZERORL_REQUIRE_TEST_DATA();
  testing::TempDir dir;
  std::string file = ReplayFile(dir, {R"({"id": "gsm8k/test/99999", "completions": ["4"]})"});
  auto r = RunCommand({ZerorlBinary(), "eval", "--dataset", TestDataPath("gsm8k/test.jsonl"),
                       "--completions", file, "--output", dir.Path("out")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "zerorl eval: " + file + ":1: id \"gsm8k/test/99999\" is not in the dataset\n");
}

TEST(EvalCliTest, MissingModelIsBadInput) {
  ZERORL_REQUIRE_TEST_DATA();
  testing::TempDir dir;
  auto r = RunCommand({ZerorlBinary(), "eval", "--model", "/nonexistent/model", "--dataset",
                       TestDataPath("gsm8k/test.jsonl"), "--output", dir.Path("out")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("zerorl eval: --model /nonexistent/model: "));
}

TEST(EvalCliTest, NoModelAndNoCompletionsIsBadInput) {
  ZERORL_REQUIRE_TEST_DATA();
  auto r = RunCommand({ZerorlBinary(), "eval", "--dataset", TestDataPath("gsm8k/test.jsonl")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--model DIR is required"));
}

TEST(EvalCliTest, UnknownDatasetIsBadInput) {
  auto r = RunCommand({ZerorlBinary(), "eval", "--dataset", "gsm9k", "--completions", "x.jsonl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "zerorl eval: --dataset gsm9k: not a file, not a data.eval set of the config, "
                   "and not a preset (gsm8k, math500, math, humaneval, mbpp, arithmetic, countdown)\n");
}

TEST(EvalCliTest, PresetNameWithoutDataDirIsBadInput) {
  auto r = RunCommand({"/usr/bin/env", "-u", "ZERORL_DATA", ZerorlBinary(), "eval", "--dataset",
                       "gsm8k", "--completions", "x.jsonl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--dataset gsm8k: give the file (--dataset PATH) or --data-dir DIR"));
}

TEST(EvalCliTest, BadSamplingFlagNamesTheKey) {
  ZERORL_REQUIRE_TEST_DATA();
  auto r = RunCommand({ZerorlBinary(), "eval", "--dataset", TestDataPath("gsm8k/test.jsonl"),
                       "--completions", "x.jsonl", "--top-p", "1.5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("rollout.sampling.top_p"));
}

}  // namespace
}  // namespace zerorl::cli
