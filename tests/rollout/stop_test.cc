#include "rollout/stop.h"

#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace zerorl::rollout {
namespace {

class StopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZERORL_REQUIRE_TEST_DATA();
    absl::StatusOr<tokenizer::Tokenizer> tok =
        tokenizer::Tokenizer::Load(testing::TestDataPath("tokenizers/qwen3"));
    ASSERT_TRUE(tok.ok()) << tok.status();
    tokenizer_ = *tok;
  }

  // Pushes `ids` until the checker stops; returns the reason (nullopt if it never did) and
  // how many were taken.
  std::pair<std::optional<wire::FinishReason>, int64_t> Run(StopChecker& checker,
                                                      const std::vector<int32_t>& ids) {
    for (size_t i = 0; i < ids.size(); ++i) {
      std::optional<wire::FinishReason> reason = checker.Push(ids[i]);
      if (reason) return {reason, static_cast<int64_t>(i + 1)};
    }
    return {std::nullopt, static_cast<int64_t>(ids.size())};
  }

  std::optional<tokenizer::Tokenizer> tokenizer_;
};

TEST_F(StopTest, StopStringCutsTheTextExactlyAfterIt) {
  std::string text = "Think first. <answer>42</answer>\nand then more text";
  std::vector<int32_t> ids = tokenizer_->Encode(text);
  // The first prefix of ids whose decoding contains the stop string.
  int64_t expected_tokens = 0;
  for (size_t k = 1; k <= ids.size(); ++k) {
    std::string prefix = *tokenizer_->Decode({ids.data(), k});
    if (prefix.find("</answer>") != std::string::npos) {
      expected_tokens = static_cast<int64_t>(k);
      break;
    }
  }
  ASSERT_GT(expected_tokens, 0);
  StopRules rules{{151645}, {"</answer>"}, 100};
  StopChecker checker(&rules, &*tokenizer_);
  auto [reason, taken] = Run(checker, ids);
  EXPECT_EQ(reason, wire::FinishReason::kStop);
  EXPECT_EQ(taken, expected_tokens);
  EXPECT_EQ(checker.text(), "Think first. <answer>42</answer>");
}

TEST_F(StopTest, StopStringSplitAcrossTokensAndMultibyteCharacters) {
  std::string text = "人工智能正在改变我们的生活方式，机器学习让计算机从数据中学习。";
  std::vector<int32_t> ids = tokenizer_->Encode(text);
  StopRules rules{{}, {"机器学习", "never appears"}, 100};
  StopChecker checker(&rules, &*tokenizer_);
  auto [reason, taken] = Run(checker, ids);
  EXPECT_EQ(reason, wire::FinishReason::kStop);
  EXPECT_LT(taken, static_cast<int64_t>(ids.size()));
  EXPECT_EQ(checker.text(), "人工智能正在改变我们的生活方式，机器学习");
}

TEST_F(StopTest, EarliestEndingStopStringWins) {
  std::vector<int32_t> ids = tokenizer_->Encode("abc def ghi");
  StopRules rules{{}, {"ghi", " de"}, 100};
  StopChecker checker(&rules, &*tokenizer_);
  Run(checker, ids);
  EXPECT_EQ(checker.text(), "abc de");
}

TEST_F(StopTest, EosEndsTheSampleAndStaysOutOfTheText) {
  std::vector<int32_t> ids = tokenizer_->Encode("hi there");
  ids.push_back(151645);  // <|im_end|>
  ids.push_back(tokenizer_->Encode("more")[0]);
  StopRules rules{{151643, 151645}, {}, 100};
  StopChecker checker(&rules, &*tokenizer_);
  auto [reason, taken] = Run(checker, ids);
  EXPECT_EQ(reason, wire::FinishReason::kStop);
  EXPECT_EQ(taken, static_cast<int64_t>(ids.size()) - 1);  // the EOS itself is taken
  EXPECT_EQ(checker.text(), "hi there");
}

TEST_F(StopTest, BudgetEndsWithLengthAndTheFullText) {
  std::vector<int32_t> ids = tokenizer_->Encode("one two three four five six");
  StopRules rules{{151645}, {"</answer>"}, 3};
  StopChecker checker(&rules, &*tokenizer_);
  auto [reason, taken] = Run(checker, ids);
  EXPECT_EQ(reason, wire::FinishReason::kLength);
  EXPECT_EQ(taken, 3);
  EXPECT_EQ(checker.text(), *tokenizer_->Decode({ids.data(), 3}));
}

TEST_F(StopTest, StopStringOnTheLastBudgetTokenIsAStop) {
  std::vector<int32_t> ids = tokenizer_->Encode("x</answer>");
  StopRules rules{{}, {"</answer>"}, static_cast<int64_t>(ids.size())};
  StopChecker checker(&rules, &*tokenizer_);
  EXPECT_EQ(Run(checker, ids).first, wire::FinishReason::kStop);
}

TEST_F(StopTest, IdsTheTokenizerDoesNotKnowDecodeToNothing) {
  StopRules rules{{}, {}, 3};
  StopChecker checker(&rules, &*tokenizer_);
  std::vector<int32_t> ids = {tokenizer_->Encode("a")[0], 151900, tokenizer_->Encode("b")[0]};
  EXPECT_EQ(Run(checker, ids).first, wire::FinishReason::kLength);
  EXPECT_EQ(checker.text(), "ab");
}

TEST(StopNoTokenizerTest, EosAndBudgetWorkWithoutText) {
  StopRules rules{{7}, {}, 5};
  StopChecker checker(&rules, nullptr);
  EXPECT_EQ(checker.Push(3), std::nullopt);
  EXPECT_EQ(checker.Push(7), wire::FinishReason::kStop);
  EXPECT_EQ(checker.text(), "");
  StopChecker budget(&rules, nullptr);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(budget.Push(1), std::nullopt);
  EXPECT_EQ(budget.Push(1), wire::FinishReason::kLength);
}

}  // namespace
}  // namespace zerorl::rollout
