#include "tokenizer/byte_tokenizer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tokenizer/tokenizer.h"

namespace zerorl::model {
namespace {

using ::zerorl::testing::IsOk;

TEST(ByteTokenizerTest, EveryByteIsOneTokenAndTagsAreSingleTokens) {
  ByteTokenizerFiles files = MakeByteTokenizer({"<think>", "</think>", "<answer>", "</answer>"});
  EXPECT_EQ(files.vocab_size, 261);
  auto tok =
      tokenizer::Tokenizer::FromJson(files.tokenizer_json, files.tokenizer_config_json, "byte");
  ASSERT_THAT(tok, IsOk());
  std::string text = "<think> 12+35 = 47 </think> <answer>47</answer>\n\xc3\xa9\x01";
  std::vector<int32_t> ids = tok->Encode(text);
  EXPECT_EQ(ids.front(), 257);  // <think>
  EXPECT_EQ(ids[1], ' ');
  EXPECT_EQ(ids[2], '1');
  EXPECT_EQ(ids.back(), 0x01);
  EXPECT_EQ(tok->Decode(ids).value(), text);
  EXPECT_EQ(tok->special_ids().eos, 256);
  EXPECT_EQ(tok->special_ids().pad, 256);
  EXPECT_EQ(tok->special_ids().think_begin, 257);
  EXPECT_EQ(tok->special_ids().think_end, 258);
  EXPECT_TRUE(tok->IsSpecial(256));
  EXPECT_FALSE(tok->IsSpecial(259));
  // Text is UTF-8 (as in Hugging Face's tokenizers), so a byte >= 0x80 arrives inside a
  // multi-byte character: every ASCII byte alone, and each byte of a two-byte character.
  for (int b = 0; b < 0x80; ++b) {
    std::string one(1, static_cast<char>(b));
    ASSERT_EQ(tok->Encode(one), std::vector<int32_t>{b}) << "byte " << b;
  }
  for (int lead = 0xC2; lead <= 0xDF; ++lead) {
    for (int cont = 0x80; cont <= 0xBF; ++cont) {
      std::string two = {static_cast<char>(lead), static_cast<char>(cont)};
      ASSERT_EQ(tok->Encode(two), (std::vector<int32_t>{lead, cont})) << lead << " " << cont;
    }
  }
}

}  // namespace
}  // namespace zerorl::model
