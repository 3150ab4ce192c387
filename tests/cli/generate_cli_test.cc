// `zerorl generate`, run as a user runs it, on the tiny Qwen2 checkpoint of
// ../shared/data/models (its llama.cpp goldens are the expected greedy tokens).
#include <sstream>
#include <string>
#include <vector>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace zerorl::cli {
namespace {

using ::testing::HasSubstr;
using testing::JsonLines;
using testing::RunCommand;
using testing::ZerorlBinary;

struct GoldenPrompt {
  std::string text;
  std::string ids_json;  // "[785, 3974, ...]"
  std::vector<int64_t> greedy;
  std::vector<int64_t> top_ids;     // step 0's top-20 ids
  std::vector<double> top_values;   // and logits
};

std::vector<GoldenPrompt> LoadGolden() {
  std::vector<GoldenPrompt> prompts;
  absl::StatusOr<std::string> text =
      core::ReadFile(testing::TestDataPath("models/qwen2-tiny/golden.json"));
  if (!text.ok()) return prompts;
  rapidjson::Document doc = *core::ParseJson(*text);
  for (const auto& p : doc["prompts"].GetArray()) {
    GoldenPrompt g;
    g.text = p["text"].GetString();
    g.ids_json = core::JsonToString(p["ids"]);
    for (const auto& id : p["greedy"].GetArray()) g.greedy.push_back(id.GetInt64());
    const auto& step0 = p["greedy_steps_top20"][0];
    for (const auto& id : step0["ids"].GetArray()) g.top_ids.push_back(id.GetInt64());
    for (const auto& v : step0["values"].GetArray()) g.top_values.push_back(v.GetDouble());
    prompts.push_back(std::move(g));
  }
  return prompts;
}

std::vector<int64_t> Ints(const rapidjson::Value& array) {
  std::vector<int64_t> out;
  for (const auto& v : array.GetArray()) out.push_back(v.GetInt64());
  return out;
}

testing::CommandResult Generate(const std::string& input, std::vector<std::string> flags) {
  std::vector<std::string> argv = {ZerorlBinary(), "generate", "--model",
                                   testing::TestDataPath("models/qwen2-tiny"), "--threads", "2"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return RunCommand(argv, input);
}

class GenerateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZERORL_REQUIRE_TEST_DATA();
    golden_ = LoadGolden();
    ASSERT_EQ(golden_.size(), 6u);
  }
  std::string IdsInput() const {
    std::string input;
    for (const GoldenPrompt& g : golden_) input += "{\"prompt_ids\": " + g.ids_json + "}\n";
    return input;
  }
  std::vector<GoldenPrompt> golden_;
};

TEST_F(GenerateCliTest, GreedyFp32ReproducesTheGoldenTokens) {
  auto r = Generate(IdsInput(), {"--dtype", "fp32", "--temperature", "0", "--max-new-tokens",
                                 "16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<rapidjson::Document> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), golden_.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["prompt_index"].GetInt(), static_cast<int>(i));
    EXPECT_EQ(lines[i]["sample_index"].GetInt(), 0);
    EXPECT_EQ(Ints(lines[i]["completion_ids"]), golden_[i].greedy) << "prompt " << i;
    EXPECT_EQ(std::string(lines[i]["finish_reason"].GetString()), "length");
    ASSERT_EQ(lines[i]["logprobs"].Size(), 16u);
    for (const auto& lp : lines[i]["logprobs"].GetArray()) EXPECT_LT(lp.GetDouble(), 0.0);
    EXPECT_TRUE(lines[i]["completion"].IsString());
    EXPECT_FALSE(lines[i].HasMember("top_logits"));
  }
  EXPECT_EQ(std::string(lines[0]["completion"].GetString()), ".......... schw schw schw schw schw schw");
}

TEST_F(GenerateCliTest, TopLogitsAreTheRawLogitsHighestFirst) {
  auto r = Generate(IdsInput(), {"--dtype", "fp32", "--temperature", "0.5", "--max-new-tokens",
                                 "3", "--top-logits", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<rapidjson::Document> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), golden_.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const rapidjson::Value& top = lines[i]["top_logits"];
    ASSERT_EQ(top.Size(), 3u);  // one list per generated position
    ASSERT_EQ(top[0].Size(), 5u);
    for (rapidjson::SizeType k = 0; k < 5; ++k) {
      // Position 0 reads the prompt's last logits: llama.cpp's top 20 of the same position.
      EXPECT_EQ(top[0][k][0].GetInt64(), golden_[i].top_ids[k]) << "prompt " << i << " rank " << k;
      EXPECT_NEAR(top[0][k][1].GetDouble(), golden_[i].top_values[k], 1e-4);
      if (k > 0) {
        EXPECT_LE(top[0][k][1].GetDouble(), top[0][k - 1][1].GetDouble());
      }
    }
  }
}

TEST_F(GenerateCliTest, PromptTextGoesThroughTheTemplateAndTokenizer) {
  std::string input = "{\"prompt\": \"" + golden_[0].text + "\"}\n";
  auto r = Generate(input, {"--dtype", "fp32", "--temperature", "0", "--max-new-tokens", "16",
                            "--template", "plain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<rapidjson::Document> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Ints(lines[0]["completion_ids"]), golden_[0].greedy);
  // Another template is another prompt.
  auto chat = Generate(input, {"--dtype", "fp32", "--temperature", "0", "--max-new-tokens", "16",
                               "--template", "chatml"});
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  EXPECT_NE(Ints(JsonLines(chat.out)[0]["completion_ids"]), golden_[0].greedy);
}

TEST_F(GenerateCliTest, GroupsOfSeededSamplesAreReproducible) {
  std::string input = "{\"prompt_ids\": " + golden_[1].ids_json + "}\n{\"prompt_ids\": " +
                      golden_[3].ids_json + "}\n";
  std::vector<std::string> flags = {"--n", "3", "--seed", "5", "--max-new-tokens", "6"};
  auto a = Generate(input, flags);
  auto b = Generate(input, flags);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  std::vector<rapidjson::Document> lines = JsonLines(a.out);
  ASSERT_EQ(lines.size(), 6u);
  for (size_t k = 0; k < 6; ++k) {
    EXPECT_EQ(lines[k]["prompt_index"].GetInt(), static_cast<int>(k / 3));
    EXPECT_EQ(lines[k]["sample_index"].GetInt(), static_cast<int>(k % 3));
    EXPECT_EQ(lines[k]["completion_ids"].Size(), 6u);
  }
  EXPECT_NE(Ints(lines[0]["completion_ids"]), Ints(lines[1]["completion_ids"]));
  flags[3] = "6";  // another seed, other samples
  EXPECT_NE(Generate(input, flags).out, a.out);
}

TEST_F(GenerateCliTest, StopStringEndsTheCompletion) {
  auto r = Generate("{\"prompt_ids\": " + golden_[0].ids_json + "}\n",
                    {"--dtype", "fp32", "--temperature", "0", "--stop", ".."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<rapidjson::Document> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Ints(lines[0]["completion_ids"]), (std::vector<int64_t>{13, 13}));
  EXPECT_EQ(std::string(lines[0]["completion"].GetString()), "..");
  EXPECT_EQ(std::string(lines[0]["finish_reason"].GetString()), "stop");
}

TEST_F(GenerateCliTest, BadLinesGetAnErrorInTheirPlace) {
  std::string input = "{\"prompt_ids\": " + golden_[1].ids_json + "}\n" +
                      "not json\n"
                      "\n"
                      "{\"text\": \"x\"}\n"
                      "{\"prompt_ids\": [1, 151936]}\n"
                      "{\"prompt_ids\": []}\n"
                      "{\"prompt_ids\": " + golden_[1].ids_json + "}\n";
  auto r = Generate(input, {"--temperature", "0", "--max-new-tokens", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<rapidjson::Document> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 6u);  // the blank line is skipped
  EXPECT_EQ(lines[0]["completion_ids"].Size(), 2u);
  EXPECT_THAT(lines[1]["error"].GetString(), HasSubstr("line 2: not JSON"));
  EXPECT_THAT(lines[2]["error"].GetString(), HasSubstr("line 4: missing field \"prompt\""));
  EXPECT_THAT(lines[3]["error"].GetString(),
              HasSubstr("line 5: prompt_ids[1] is not a token id in [0, 151936)"));
  EXPECT_THAT(lines[4]["error"].GetString(), HasSubstr("line 6: the prompt has no tokens"));
  EXPECT_EQ(lines[4]["prompt_index"].GetInt(), 4);
  EXPECT_EQ(lines[5]["prompt_index"].GetInt(), 5);
  EXPECT_EQ(Ints(lines[5]["completion_ids"]), Ints(lines[0]["completion_ids"]));
}

TEST(GenerateCliErrorTest, MissingModelFolderExitsTwo) {
  testing::TempDir dir;
  auto r = RunCommand({ZerorlBinary(), "generate", "--model", dir.Path("nothing")}, "");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("zerorl generate: "));
  EXPECT_THAT(r.err, HasSubstr("config.json"));
}

TEST(GenerateCliErrorTest, UnknownTemplateExitsTwo) {
  auto r = RunCommand({ZerorlBinary(), "generate", "--model", "m", "--template", "nope"}, "");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--template"));
}

}  // namespace
}  // namespace zerorl::cli
