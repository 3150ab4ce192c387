// The Done-when of the rewards issue: gold solutions scored against their own answers.
// Every item whose gold answer the verifier can read must score math_accuracy 1.0; the
// items whose gold it cannot read are counted (not applicable) and listed in the output.
#include <iostream>

#include "datasets/datasets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reward/reward_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::reward {
namespace {

using ::zerorl::testing::IsOk;

struct SelfScore {
  int64_t items = 0;
  int64_t correct = 0;
  int64_t unverifiable_gold = 0;
  std::vector<std::string> wrong;        // "id: detail"
  std::vector<std::string> unverifiable; // "id: detail"
};

SelfScore ScoreGolds(const std::string& preset, const std::string& path) {
  config::DatasetConfig config;
  config.preset = preset;
  config.path = path;
  absl::StatusOr<datasets::Dataset> data =
      datasets::LoadDataset(config, config::BadLinePolicy::kError);
  EXPECT_THAT(data, IsOk());
  SelfScore result;
  if (!data.ok()) return result;
  auto pipeline = reward_testing::MakePipeline(R"([{"name": "math_accuracy"}])");
  constexpr size_t kBatch = 64;
  for (size_t begin = 0; begin < data->size(); begin += kBatch) {
    RewardBatch batch;
    std::vector<std::string> ids;
    for (size_t i = begin; i < std::min(data->size(), begin + kBatch); ++i) {
      absl::StatusOr<datasets::Problem> p = data->Get(i);
      EXPECT_THAT(p, IsOk());
      if (!p.ok()) continue;
      batch.samples.push_back({batch.prompts.size(), p->solution, -1});
      batch.prompts.push_back({p->prompt, p->answer, ProblemToJson(*p)});
      ids.push_back(p->id);
    }
    BatchRewards rewards = pipeline->Score(batch);
    for (size_t k = 0; k < rewards.samples.size(); ++k) {
      const wire::FunctionScore& s = rewards.samples[k].scores[0];
      ++result.items;
      if (s.mark == wire::ScoreMark::kNotApplicable) {
        ++result.unverifiable_gold;
        result.unverifiable.push_back(ids[k] + ": " + s.detail);
      } else if (s.mark == wire::ScoreMark::kOk && s.value == 1.0) {
        ++result.correct;
      } else {
        result.wrong.push_back(ids[k] + ": " + s.detail);
      }
    }
  }
  std::cout << preset << ": " << result.items << " gold solutions, " << result.correct
            << " correct, " << result.unverifiable_gold << " unverifiable golds, "
            << result.wrong.size() << " wrong\n";
  for (const std::string& u : result.unverifiable) std::cout << "  unverifiable gold " << u << "\n";
  return result;
}

TEST(GoldSelfScoreTest, Math500SolutionsMatchTheirAnswers) {
  ZERORL_REQUIRE_TEST_DATA();
  SelfScore s = ScoreGolds("math500", testing::TestDataPath("math/test.jsonl"));
  EXPECT_EQ(s.items, 500);
  for (const std::string& w : s.wrong) ADD_FAILURE() << "gold solution scored wrong: " << w;
  // Unverifiable golds are allowed (and listed above), but must stay rare.
  EXPECT_LE(s.unverifiable_gold, 10);
}

TEST(GoldSelfScoreTest, Gsm8kTestSolutionsMatchTheirAnswers) {
  ZERORL_REQUIRE_TEST_DATA();
  SelfScore s = ScoreGolds("gsm8k", testing::TestDataPath("gsm8k/test.jsonl"));
  EXPECT_EQ(s.items, 1319);
  for (const std::string& w : s.wrong) ADD_FAILURE() << "gold solution scored wrong: " << w;
  EXPECT_EQ(s.unverifiable_gold, 0);
}

}  // namespace
}  // namespace zerorl::reward
