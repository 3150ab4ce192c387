// The tokenizer on the real Qwen3, DeepSeek-V3 and Llama 3 files: golden ids made by
// Hugging Face's tokenizers (../shared/data/tokenizers/README.md), special tokens, decoding.
#include "tokenizer/tokenizer.h"

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::tokenizer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

// Loads each fixture tokenizer once for the whole test binary.
const Tokenizer& Fixture(const std::string& name) {
  static std::map<std::string, Tokenizer>* loaded = new std::map<std::string, Tokenizer>();
  auto it = loaded->find(name);
  if (it == loaded->end()) {
    absl::StatusOr<Tokenizer> tok = Tokenizer::Load(testing::TestDataPath("tokenizers/" + name));
    EXPECT_THAT(tok, IsOk());
    it = loaded->emplace(name, std::move(*tok)).first;
  }
  return it->second;
}

std::string JsonString(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

// Every golden.jsonl line: encode(text) == ids, decode(ids) == decoded (or text).
void ExpectGolden(const std::string& name) {
  const Tokenizer& tok = Fixture(name);
  std::ifstream in(testing::TestDataPath("tokenizers/" + name + "/golden.jsonl"));
  ASSERT_TRUE(in.good());
  std::string line;
  int line_number = 0, checked = 0;
  while (std::getline(in, line)) {
    ++line_number;
    absl::StatusOr<rapidjson::Document> doc = core::ParseJson(line);
    ASSERT_THAT(doc, IsOk());
    std::string text = JsonString((*doc)["text"]);
    std::vector<int32_t> want;
    for (const auto& id : (*doc)["ids"].GetArray()) want.push_back(id.GetInt());
    EncodeOptions options;
    options.add_special_tokens =
        doc->HasMember("add_special_tokens") && (*doc)["add_special_tokens"].GetBool();
    EXPECT_EQ(tok.Encode(text, options), want) << name << " line " << line_number << ": " << line;
    std::string decoded = doc->HasMember("decoded") ? JsonString((*doc)["decoded"]) : text;
    absl::StatusOr<std::string> got = tok.Decode(want);
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(*got, decoded) << name << " line " << line_number;
    ++checked;
  }
  EXPECT_EQ(checked, 250);
}

TEST(TokenizerGoldenTest, Qwen3) {
  ZERORL_REQUIRE_TEST_DATA();
  ExpectGolden("qwen3");
}

TEST(TokenizerGoldenTest, DeepseekV3) {
  ZERORL_REQUIRE_TEST_DATA();
  ExpectGolden("deepseek_v3");
}

TEST(TokenizerGoldenTest, Llama3) {
  ZERORL_REQUIRE_TEST_DATA();
  ExpectGolden("llama3");
}

TEST(TokenizerTest, SpecialTokenIdsComeFromTheConfig) {
  ZERORL_REQUIRE_TEST_DATA();
  const SpecialTokenIds& qwen = Fixture("qwen3").special_ids();
  EXPECT_EQ(qwen.bos, -1);
  EXPECT_EQ(qwen.eos, 151645);  // <|im_end|>
  EXPECT_EQ(qwen.pad, 151643);  // <|endoftext|>
  EXPECT_EQ(qwen.think_begin, 151667);
  EXPECT_EQ(qwen.think_end, 151668);
  const SpecialTokenIds& deepseek = Fixture("deepseek_v3").special_ids();
  EXPECT_EQ(deepseek.bos, 0);
  EXPECT_EQ(deepseek.eos, 1);
  EXPECT_EQ(deepseek.pad, 1);
  EXPECT_EQ(deepseek.think_begin, -1);  // "<think>" is several tokens there
  const SpecialTokenIds& llama = Fixture("llama3").special_ids();
  EXPECT_EQ(llama.bos, 128000);
  EXPECT_EQ(llama.eos, 128001);
  EXPECT_EQ(llama.pad, -1);
}

TEST(TokenizerTest, AddSpecialTokensFollowsTransformers) {
  ZERORL_REQUIRE_TEST_DATA();
  EncodeOptions add;
  add.add_special_tokens = true;
  EXPECT_THAT(Fixture("deepseek_v3").Encode("", add), ElementsAre(0));
  EXPECT_THAT(Fixture("deepseek_v3").prefix_ids(), ElementsAre(0));
  EXPECT_EQ(Fixture("qwen3").Encode("hi", add), Fixture("qwen3").Encode("hi"));
  EXPECT_TRUE(Fixture("llama3").prefix_ids().empty());  // no TemplateProcessing in this file
  EXPECT_TRUE(Fixture("llama3").suffix_ids().empty());
}

TEST(TokenizerTest, VocabularyLookups) {
  ZERORL_REQUIRE_TEST_DATA();
  const Tokenizer& tok = Fixture("qwen3");
  EXPECT_EQ(tok.vocab_size(), 151669);
  EXPECT_EQ(tok.TokenToId("<|im_start|>"), 151644);
  std::vector<int32_t> the = tok.Encode(" the");
  ASSERT_EQ(the.size(), 1u);
  EXPECT_EQ(tok.IdToToken(the[0]), "Ġthe");
  EXPECT_EQ(tok.TokenToId("Ġthe"), the[0]);
  EXPECT_EQ(tok.TokenBytes(the[0]), " the");
  EXPECT_EQ(tok.TokenToId("no such token"), std::nullopt);
  EXPECT_EQ(tok.IdToToken(151669), std::nullopt);
  EXPECT_EQ(tok.IdToToken(-1), std::nullopt);
  EXPECT_TRUE(tok.IsSpecial(151645));
  EXPECT_FALSE(tok.IsSpecial(151667));  // <think> is an added token, not a special one
}

TEST(TokenizerTest, DecodeSkipsOnlySpecialTokens) {
  ZERORL_REQUIRE_TEST_DATA();
  const Tokenizer& tok = Fixture("qwen3");
  std::vector<int32_t> ids = tok.Encode("<|im_start|>user\n<think>hi</think><|im_end|>");
  DecodeOptions skip;
  skip.skip_special_tokens = true;
  EXPECT_EQ(*tok.Decode(ids, skip), "user\n<think>hi</think>");
  EXPECT_EQ(*tok.Decode(ids), "<|im_start|>user\n<think>hi</think><|im_end|>");
}

TEST(TokenizerTest, DecodeRefusesAnIdOutOfRange) {
  ZERORL_REQUIRE_TEST_DATA();
  absl::StatusOr<std::string> text = Fixture("qwen3").Decode({9707, 151669});
  EXPECT_THAT(text, StatusIs(absl::StatusCode::kOutOfRange,
                             "ids[1]: 151669 is not a token id (vocab size 151669)"));
  EXPECT_THAT(Fixture("qwen3").Decode({-3}), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(TokenizerTest, InvalidUtf8InputReadsAsReplacementCharacters) {
  ZERORL_REQUIRE_TEST_DATA();
  const Tokenizer& tok = Fixture("llama3");
  // As Rust's from_utf8_lossy: one U+FFFD per maximal invalid subpart.
  EXPECT_EQ(tok.Encode("a\xE2\x82z\xFF"), tok.Encode("a\xEF\xBF\xBDz\xEF\xBF\xBD"));
}

TEST(DecodeStreamTest, HoldsBackBytesUntilACharacterIsComplete) {
  ZERORL_REQUIRE_TEST_DATA();
  const Tokenizer& tok = Fixture("qwen3");
  const std::string text = "ok 𒀀 £ 中文 done";
  std::vector<int32_t> ids = tok.Encode(text);
  DecodeStream stream(tok);
  std::string joined;
  bool held_back = false;
  for (int32_t id : ids) {
    absl::StatusOr<std::string> piece = stream.Step(id);
    ASSERT_THAT(piece, IsOk());
    held_back = held_back || stream.pending_bytes() > 0;
    joined += *piece;
  }
  joined += stream.Finish();
  EXPECT_EQ(joined, text);
  EXPECT_TRUE(held_back);  // the cuneiform sign is split over byte-level tokens in Qwen3
}

TEST(DecodeStreamTest, FinishTurnsAnIncompleteCharacterIntoReplacement) {
  ZERORL_REQUIRE_TEST_DATA();
  const Tokenizer& tok = Fixture("qwen3");
  std::vector<int32_t> ids = tok.Encode("𒀀");
  ASSERT_GT(ids.size(), 1u);
  DecodeStream stream(tok);
  EXPECT_EQ(*stream.Step(ids[0]), "");
  EXPECT_GT(stream.pending_bytes(), 0u);
  EXPECT_EQ(stream.Finish(), "\xEF\xBF\xBD");
  EXPECT_EQ(*tok.Decode({ids[0]}), "\xEF\xBF\xBD");
  EXPECT_EQ(stream.pending_bytes(), 0u);
}

TEST(DecodeStreamTest, RefusesAnIdOutOfRangeAndKeepsItsState) {
  ZERORL_REQUIRE_TEST_DATA();
  const Tokenizer& tok = Fixture("qwen3");
  DecodeStream stream(tok);
  std::vector<int32_t> ids = tok.Encode("𒀀");
  EXPECT_EQ(*stream.Step(ids[0]), "");
  absl::StatusOr<std::string> bad = stream.Step(200000);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("200000 is not a token id")));
  std::string rest;
  for (size_t i = 1; i < ids.size(); ++i) rest += *stream.Step(ids[i]);
  EXPECT_EQ(rest, "𒀀");
}

TEST(TokenizerTest, EncodeBatchEqualsEncodeOnEveryThreadCount) {
  ZERORL_REQUIRE_TEST_DATA();
  const Tokenizer& tok = Fixture("deepseek_v3");
  std::vector<std::string> texts = {
      "Hello world",   "", "12345+678=13023", "中文 and English", "<｜User｜>hi<｜Assistant｜>",
      "  spaces  \n\n"};
  EncodeOptions add;
  add.add_special_tokens = true;
  for (int threads : {1, 3}) {
    std::vector<std::vector<int32_t>> batch = tok.EncodeBatch(texts, add, threads);
    ASSERT_EQ(batch.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batch[i], tok.Encode(texts[i], add));
  }
}

TEST(TokenizerTest, LoadAcceptsTheFileItselfAndReadsTheConfigBesideIt) {
  ZERORL_REQUIRE_TEST_DATA();
  absl::StatusOr<Tokenizer> tok =
      Tokenizer::Load(testing::TestDataPath("tokenizers/deepseek_v3/tokenizer.json"));
  ASSERT_THAT(tok, IsOk());
  EXPECT_EQ(tok->special_ids().bos, 0);
  EXPECT_THAT(tok->prefix_ids(), ElementsAre(0));
}

TEST(TokenizerTest, LoadNamesAMissingPath) {
  absl::StatusOr<Tokenizer> tok = Tokenizer::Load("/nonexistent/tok");
  EXPECT_THAT(tok, StatusIs(absl::StatusCode::kNotFound,
                            HasSubstr("/nonexistent/tok: no such file or folder")));
  testing::TempDir dir;
  absl::StatusOr<Tokenizer> empty = Tokenizer::Load(dir.path());
  EXPECT_THAT(empty,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no tokenizer.json in this folder")));
}

}  // namespace
}  // namespace zerorl::tokenizer
