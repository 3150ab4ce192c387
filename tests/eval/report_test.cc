// The export formats: problems.jsonl lines and summary.json, read back as JSON.
#include "eval/report.h"

#include <cmath>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::eval {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;

ProblemResult Example() {
  ProblemResult r;
  r.problem.id = "gsm8k/test/0";
  r.problem.dataset = "gsm8k";
  r.problem.answer = "18";
  r.prompt_text = "User: q. Assistant:";
  ScoredSample right;
  right.completion = {"\\boxed{18}", 5, "stop"};
  right.reward = 1.1;
  right.correct = 1;
  right.extracted_answer = "18";
  right.verdict = "equal";
  ScoredSample unjudged;
  unjudged.completion.text = "\"quoted\"\n";
  unjudged.reward = NAN;
  unjudged.correct = -1;
  r.samples = {right, unjudged};
  return r;
}

TEST(ReportTest, ProblemLineHasEveryField) {
  std::string line = ProblemLine(Example(), 3);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
  ASSERT_THAT(doc, IsOk()) << doc.status() << "\n" << line;
  const rapidjson::Document& d = *doc;
  EXPECT_EQ(d["schema_version"].GetInt(), kSchemaVersion);
  EXPECT_EQ(d["index"].GetInt(), 3);
  EXPECT_STREQ(d["id"].GetString(), "gsm8k/test/0");
  EXPECT_STREQ(d["kind"].GetString(), "math");
  EXPECT_STREQ(d["prompt"].GetString(), "User: q. Assistant:");
  EXPECT_STREQ(d["answer"].GetString(), "18");
  EXPECT_EQ(d["num_samples"].GetInt(), 2);
  EXPECT_EQ(d["num_correct"].GetInt(), 1);
  const rapidjson::Value& s0 = d["samples"][0];
  EXPECT_STREQ(s0["completion"].GetString(), "\\boxed{18}");
  EXPECT_DOUBLE_EQ(s0["reward"].GetDouble(), 1.1);
  EXPECT_TRUE(s0["correct"].GetBool());
  EXPECT_EQ(s0["length"].GetInt(), 5);
  EXPECT_STREQ(s0["finish_reason"].GetString(), "stop");
  EXPECT_STREQ(s0["extracted_answer"].GetString(), "18");
  EXPECT_STREQ(s0["verdict"].GetString(), "equal");
  const rapidjson::Value& s1 = d["samples"][1];
  EXPECT_STREQ(s1["completion"].GetString(), "\"quoted\"\n");
  EXPECT_TRUE(s1["reward"].IsNull());
  EXPECT_TRUE(s1["correct"].IsNull());
  EXPECT_TRUE(s1["length"].IsNull());
  EXPECT_TRUE(s1["finish_reason"].IsNull());
  EXPECT_TRUE(s1["extracted_answer"].IsNull());
}

TEST(ReportTest, SummaryJsonHasRunAndMetrics) {
  RunInfo info;
  info.model = "m";
  info.dataset = "gsm8k";
  info.n = 4;
  info.temperature = 0.6;
  info.reward_functions = {"math_accuracy", "format"};
  info.correctness_function = "math_accuracy";
  info.wall_time_s = 2.0;
  EvalMetrics m;
  m.problems = 3;
  m.samples = 12;
  m.judged_problems = 3;
  m.pass_at_k = {{1, 0.25}, {2, 0.5}, {4, 0.75}};
  m.maj_at_k = {{1, 0.0}, {2, 0.5}, {4, 1.0}};
  m.samples_with_length = 12;
  m.mean_length = 10.5;
  m.max_length = 20;
  std::string json = SummaryJson(info, m);
  absl::StatusOr<rapidjson::Document> doc = core::ParseJson(json);
  ASSERT_THAT(doc, IsOk()) << doc.status() << "\n" << json;
  const rapidjson::Document& d = *doc;
  EXPECT_EQ(d["schema_version"].GetInt(), kSchemaVersion);
  EXPECT_STREQ(d["model"].GetString(), "m");
  EXPECT_STREQ(d["mode"].GetString(), "generate");
  EXPECT_EQ(d["n"].GetInt(), 4);
  EXPECT_DOUBLE_EQ(d["temperature"].GetDouble(), 0.6);
  EXPECT_EQ(d["reward_functions"].Size(), 2u);
  const rapidjson::Value& metrics = d["metrics"];
  EXPECT_EQ(metrics["problems"].GetInt(), 3);
  EXPECT_DOUBLE_EQ(metrics["pass@4"].GetDouble(), 0.75);
  EXPECT_DOUBLE_EQ(metrics["maj@2"].GetDouble(), 0.5);
  EXPECT_DOUBLE_EQ(metrics["mean_length"].GetDouble(), 10.5);
  EXPECT_EQ(metrics["max_length"].GetInt(), 20);
  EXPECT_TRUE(metrics["truncation_rate"].IsNull());  // no finish reason known
  EXPECT_DOUBLE_EQ(d["problems_per_s"].GetDouble(), 1.5);
}

TEST(ReportTest, SummaryLineForPeople) {
  EvalMetrics m;
  m.problems = 2;
  m.samples = 4;
  m.pass_at_k = {{1, 0.5}, {2, 1.0}};
  m.samples_with_finish = 4;
  m.truncation_rate = 0.25;
  EXPECT_EQ(SummaryLine(m), "2 problems, 4 samples  pass@1 0.5000  pass@2 1.0000  truncation_rate 0.2500");
}

}  // namespace
}  // namespace zerorl::eval
