#include "tokenizer/templates.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "tokenizer/tokenizer.h"

namespace zerorl::tokenizer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

PromptTemplate Named(const std::string& name) {
  absl::StatusOr<PromptTemplate> t = PromptTemplate::FromName(name);
  EXPECT_THAT(t, IsOk());
  return *t;
}

constexpr char kR1Preamble[] =
    "A conversation between User and Assistant. The user asks a question, and the Assistant "
    "solves it. The assistant first thinks about the reasoning process in the mind and then "
    "provides the user with the answer. The reasoning process and answer are enclosed within "
    "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning "
    "process here </think> <answer> answer here </answer>.";

TEST(PromptTemplateTest, R1IsThePaperTemplate) {
  PromptTemplate t = Named("r1");
  EXPECT_EQ(t.Render("", "What is 2+3?"),
            std::string(kR1Preamble) + " User: What is 2+3?. Assistant:");
  EXPECT_EQ(t.think_opening(), ThinkOpening::kByModel);
  EXPECT_TRUE(t.add_special_tokens());
  EXPECT_TRUE(t.uses_system());
  EXPECT_EQ(t.default_system(), kR1Preamble);
}

TEST(PromptTemplateTest, R1WithItsOwnSystemPromptAndAnInstruction) {
  EXPECT_EQ(Named("r1").Render("Think first.", "What is 2+3?", "Put the answer in \\boxed{}."),
            "Think first. User: What is 2+3?\nPut the answer in \\boxed{}.. Assistant:");
}

TEST(PromptTemplateTest, ChatmlWithAndWithoutSystem) {
  PromptTemplate t = Named("chatml");
  EXPECT_EQ(t.Render("", "hi"), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(t.Render("You are helpful.", "hi", "Answer briefly."),
            "<|im_start|>system\nYou are helpful.<|im_end|>\n"
            "<|im_start|>user\nhi\nAnswer briefly.<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(t.think_opening(), ThinkOpening::kNone);
}

TEST(PromptTemplateTest, Llama3TrimsLikeItsChatTemplate) {
  PromptTemplate t = Named("llama3");
  EXPECT_EQ(t.Render("  Be exact. ", " 2+2? \n"),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe exact.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(t.Render("", "2+2?"),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_FALSE(t.add_special_tokens());
}

TEST(PromptTemplateTest, DeepseekTemplates) {
  EXPECT_EQ(Named("deepseek_v3").Render("", "2+2?"),
            "<｜begin▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜>");
  EXPECT_EQ(Named("deepseek_v3").Render("Be brief.", "2+2?"),
            "<｜begin▁of▁sentence｜>Be brief.<｜User｜>2+2?<｜Assistant｜>");
  PromptTemplate r1 = Named("deepseek_r1");
  EXPECT_EQ(r1.Render("", "2+2?"), "<｜begin▁of▁sentence｜><｜User｜>2+2?<｜Assistant｜><think>\n");
  EXPECT_EQ(r1.think_opening(), ThinkOpening::kInPrompt);
  EXPECT_FALSE(r1.add_special_tokens());
}

TEST(PromptTemplateTest, PlainIsThePromptAsItIs) {
  PromptTemplate t = Named("plain");
  EXPECT_EQ(t.Render("", " 2+2? "), " 2+2? ");
  EXPECT_EQ(t.Render("", "2+2?", "Answer:"), "2+2?\nAnswer:");
  EXPECT_FALSE(t.uses_system());
}

TEST(PromptTemplateTest, UserTemplateReplacesPlaceholdersOnce) {
  absl::StatusOr<PromptTemplate> t =
      PromptTemplate::FromName("{system}\nQ: {prompt} \\boxed{x}\nA: <think>\n");
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->name(), "custom");
  EXPECT_TRUE(t->uses_system());
  EXPECT_EQ(t->Render("S", "say {system}"), "S\nQ: say {system} \\boxed{x}\nA: <think>\n");
  EXPECT_EQ(t->think_opening(), ThinkOpening::kInPrompt);
  EXPECT_TRUE(t->add_special_tokens());
  absl::StatusOr<PromptTemplate> no_system = PromptTemplate::FromName("Q: {prompt}\nA:");
  ASSERT_THAT(no_system, IsOk());
  EXPECT_FALSE(no_system->uses_system());
  EXPECT_EQ(no_system->Render("ignored", "1+1"), "Q: 1+1\nA:");
  EXPECT_EQ(no_system->think_opening(), ThinkOpening::kNone);
}

TEST(PromptTemplateTest, UserTemplateWritingBosAsksForNoSpecialTokens) {
  absl::StatusOr<PromptTemplate> t = PromptTemplate::FromName("<|begin_of_text|>{prompt}");
  ASSERT_THAT(t, IsOk());
  EXPECT_FALSE(t->add_special_tokens());
}

TEST(PromptTemplateTest, UnknownNameListsTheBuiltIns) {
  absl::StatusOr<PromptTemplate> t = PromptTemplate::FromName("r2");
  EXPECT_THAT(
      t, StatusIs(absl::StatusCode::kInvalidArgument,
                  "unknown prompt template \"r2\": use one of r1, chatml, llama3, deepseek_v3, "
                  "deepseek_r1, plain, or a template text containing {prompt} (and optionally "
                  "{system})"));
  EXPECT_THAT(PromptTemplate::Names(),
              ElementsAre("r1", "chatml", "llama3", "deepseek_v3", "deepseek_r1", "plain"));
}

// The chat templates' markers are single added tokens of their tokenizers.
TEST(PromptTemplateTest, ChatMarkersAreSingleTokens) {
  ZERORL_REQUIRE_TEST_DATA();
  absl::StatusOr<Tokenizer> qwen = Tokenizer::Load(testing::TestDataPath("tokenizers/qwen3"));
  ASSERT_THAT(qwen, IsOk());
  EXPECT_THAT(qwen->Encode(Named("chatml").Render("", "hi")),
              ElementsAre(151644, 872, 198, 6023, 151645, 198, 151644, 77091, 198));
  absl::StatusOr<Tokenizer> deepseek =
      Tokenizer::Load(testing::TestDataPath("tokenizers/deepseek_v3"));
  ASSERT_THAT(deepseek, IsOk());
  std::vector<int32_t> ids = deepseek->Encode(Named("deepseek_v3").Render("", "hi"));
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids[0], deepseek->special_ids().bos);
  EXPECT_EQ(ids[1], deepseek->TokenToId("<｜User｜>"));
  EXPECT_EQ(ids[3], deepseek->TokenToId("<｜Assistant｜>"));
}

}  // namespace
}  // namespace zerorl::tokenizer
