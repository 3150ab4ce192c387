// The tokenizer on small tokenizer.json files written here: each supported feature of the
// format, and one test per kind of malformed file (the error names the file and the field).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"
#include "tokenizer/internal/pretokenizer.h"
#include "tokenizer/internal/unicode.h"
#include "tokenizer/tokenizer.h"

namespace zerorl::tokenizer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

std::string Spell(const std::string& bytes) {
  std::string out;
  internal::AppendByteLevelSpelling(bytes, &out);
  return out;
}

std::string Quote(const std::string& s) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return buffer.GetString();
}

// A byte-level BPE tokenizer.json: ids 0-255 are the bytes, then one id per merge result.
struct TinyTokenizer {
  std::vector<std::pair<std::string, std::string>> merges = {
      {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {" ", "w"}, {" w", "o"}};
  bool pair_merges = false;  // ["a", "b"] instead of "a b"
  bool ignore_merges = false;
  std::string normalizer = "null";
  std::string pre_tokenizer = R"({"type":"ByteLevel","add_prefix_space":false,"use_regex":true})";
  std::string post_processor = "null";
  std::string decoder = R"({"type":"ByteLevel"})";
  std::string added_tokens = "[]";
  std::vector<std::string> extra_vocab;  // bytes

  std::string Json() const {
    std::string vocab;
    int id = 0;
    auto add = [&](const std::string& bytes) {
      vocab += (vocab.empty() ? "" : ",") + Quote(Spell(bytes)) + ":" + std::to_string(id++);
    };
    for (int b = 0; b < 256; ++b) add(std::string(1, static_cast<char>(b)));
    for (const auto& [left, right] : merges) add(left + right);
    for (const std::string& bytes : extra_vocab) add(bytes);
    std::string merge_list;
    for (const auto& [left, right] : merges) {
      merge_list += merge_list.empty() ? "" : ",";
      merge_list += pair_merges ? "[" + Quote(Spell(left)) + "," + Quote(Spell(right)) + "]"
                                : Quote(Spell(left) + " " + Spell(right));
    }
    return std::string(R"({"version":"1.0","added_tokens":)") + added_tokens + R"(,"normalizer":)" +
           normalizer + R"(,"pre_tokenizer":)" + pre_tokenizer + R"(,"post_processor":)" +
           post_processor + R"(,"decoder":)" + decoder +
           R"(,"model":{"type":"BPE","dropout":null,"unk_token":null,"ignore_merges":)" +
           (ignore_merges ? "true" : "false") + R"(,"vocab":{)" + vocab + R"(},"merges":[)" +
           merge_list + "]}}";
  }
};

absl::StatusOr<Tokenizer> Make(const TinyTokenizer& tiny, const std::string& config = "") {
  return Tokenizer::FromJson(tiny.Json(), config, "tiny/tokenizer.json");
}

// Ids of a merge result in TinyTokenizer's default vocabulary, and of the first two added
// tokens (Hugging Face numbers added tokens after the vocabulary, in file order).
constexpr int32_t kHe = 256, kHell = 258, kHello = 259, kSpaceW = 260, kSpaceWo = 261;
constexpr int32_t kAdded0 = 262, kAdded1 = 263;

TEST(TokenizerFormatTest, MergesByRank) {
  absl::StatusOr<Tokenizer> tok = Make(TinyTokenizer());
  ASSERT_THAT(tok, IsOk());
  EXPECT_THAT(tok->Encode("hello wo"), ElementsAre(kHello, kSpaceWo));
  EXPECT_THAT(tok->Encode("hell"), ElementsAre(kHell));
  EXPECT_THAT(tok->Encode("lhe"), ElementsAre('l', kHe));
  EXPECT_EQ(*tok->Decode(tok->Encode("hello wo")), "hello wo");
}

TEST(TokenizerFormatTest, PairMergesReadLikeStringMerges) {
  TinyTokenizer tiny;
  tiny.pair_merges = true;
  absl::StatusOr<Tokenizer> tok = Make(tiny);
  ASSERT_THAT(tok, IsOk());
  EXPECT_THAT(tok->Encode("hello wo"), ElementsAre(kHello, kSpaceWo));
}

TEST(TokenizerFormatTest, IgnoreMergesTakesAWholeVocabularyWord) {
  TinyTokenizer tiny;
  tiny.extra_vocab = {"lo"};  // reachable by no merge
  EXPECT_THAT(Make(tiny)->Encode("lo"), ElementsAre('l', 'o'));
  tiny.ignore_merges = true;
  EXPECT_THAT(Make(tiny)->Encode("lo"), ElementsAre(kSpaceWo + 1));
}

TEST(TokenizerFormatTest, AddedTokensMatchBeforeSplittingLongestFirst) {
  TinyTokenizer tiny;
  tiny.added_tokens = R"([
    {"id": 262, "content": "<a>", "special": true, "normalized": false},
    {"id": 263, "content": "<a><b>", "special": false, "normalized": false}])";
  absl::StatusOr<Tokenizer> tok = Make(tiny);
  ASSERT_THAT(tok, IsOk());
  EXPECT_THAT(tok->Encode("he<a><b>he<a>"), ElementsAre(kHe, kAdded1, kHe, kAdded0));
  DecodeOptions skip;
  skip.skip_special_tokens = true;
  EXPECT_EQ(*tok->Decode({kHe, kAdded1, kAdded0}, skip), "he<a><b>");
  EXPECT_EQ(tok->vocab_size(), 264);
  EXPECT_TRUE(tok->IsSpecial(kAdded0));
  EXPECT_FALSE(tok->IsSpecial(kAdded1));
}

// Hugging Face ignores the ids written for added tokens: a known content keeps its id, any
// other takes the next id after the vocabulary. Files it writes agree; a hand-edited one is
// read the same way.
TEST(TokenizerFormatTest, AddedTokenIdsAreNumberedAsHuggingFaceDoes) {
  TinyTokenizer tiny;
  tiny.added_tokens = R"([
    {"id": 900, "content": "<x>", "special": true, "normalized": false},
    {"id": 5, "content": "he", "special": true, "normalized": false}])";
  absl::StatusOr<Tokenizer> tok = Make(tiny);
  ASSERT_THAT(tok, IsOk());
  EXPECT_THAT(tok->Encode("<x>he"), ElementsAre(kAdded0, kHe));
  EXPECT_TRUE(tok->IsSpecial(kHe));  // the vocabulary entry "he" became a special token
  EXPECT_EQ(tok->vocab_size(), kAdded0 + 1);
}

TEST(TokenizerFormatTest, AddedTokenStripAndSingleWordRules) {
  TinyTokenizer tiny;
  tiny.added_tokens = R"([
    {"id": 262, "content": "<s>", "lstrip": true, "rstrip": true, "normalized": false},
    {"id": 263, "content": "ab", "single_word": true, "normalized": false}])";
  absl::StatusOr<Tokenizer> tok = Make(tiny);
  ASSERT_THAT(tok, IsOk());
  EXPECT_THAT(tok->Encode("h  <s>  e"), ElementsAre('h', kAdded0, 'e'));
  EXPECT_THAT(tok->Encode("ab"), ElementsAre(kAdded1));
  EXPECT_THAT(tok->Encode("x ab."), ElementsAre('x', ' ', kAdded1, '.'));
  EXPECT_THAT(tok->Encode("xab"), ElementsAre('x', 'a', 'b'));  // inside a word: not matched
}

TEST(TokenizerFormatTest, NormalizedAddedTokensMatchTheNormalizedText) {
  TinyTokenizer tiny;
  tiny.normalizer = R"({"type":"NFC"})";
  tiny.added_tokens = R"([{"id": 262, "content": "e\u0301", "normalized": true}])";
  absl::StatusOr<Tokenizer> tok = Make(tiny);
  ASSERT_THAT(tok, IsOk());
  // The token's content is normalized too (to U+00E9), so both spellings find it.
  EXPECT_THAT(tok->Encode("\xC3\xA9"), ElementsAre(kAdded0));
  EXPECT_THAT(tok->Encode("e\xCC\x81"), ElementsAre(kAdded0));
  // It decodes through the ByteLevel decoder as its normalized text "é", whose character is
  // in the byte alphabet (byte 0xE9): U+FFFD, exactly what Hugging Face's tokenizers gives.
  EXPECT_EQ(*tok->Decode({kAdded0}), "\xEF\xBF\xBD");
}

TEST(TokenizerFormatTest, SplitBehaviors) {
  struct Case {
    const char* behavior;
    bool invert;
    std::vector<int32_t> ids;
  };
  // Text "a-b--c" split on "-": ids are bytes since nothing merges.
  const std::vector<Case> cases = {
      {"Removed", false, {'a', 'b', 'c'}},
      {"Isolated", false, {'a', '-', 'b', '-', '-', 'c'}},
      {"MergedWithPrevious", false, {'a', '-', 'b', '-', '-', 'c'}},
      {"Contiguous", false, {'a', '-', 'b', '-', '-', 'c'}},
      {"Removed", true, {'-', '-', '-'}},
  };
  for (const Case& c : cases) {
    TinyTokenizer tiny;
    tiny.merges.push_back({"-", "-"});  // id 262
    tiny.merges.push_back({"a", "-"});  // id 263
    tiny.merges.push_back({"-", "c"});  // id 264
    tiny.pre_tokenizer = std::string(R"({"type":"Sequence","pretokenizers":[{"type":"Split",)") +
                         R"("pattern":{"String":"-"},"behavior":")" + c.behavior +
                         R"(","invert":)" + (c.invert ? "true" : "false") +
                         R"(},{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]})";
    absl::StatusOr<Tokenizer> tok = Make(tiny);
    ASSERT_THAT(tok, IsOk());
    std::vector<int32_t> want = c.ids;
    if (std::string(c.behavior) == "MergedWithPrevious") want = {263, 'b', '-', '-', 'c'};
    if (std::string(c.behavior) == "Contiguous") want = {'a', '-', 'b', 262, 'c'};
    EXPECT_EQ(tok->Encode("a-b--c"), want) << c.behavior << (c.invert ? " inverted" : "");
  }
}

TEST(TokenizerFormatTest, DigitsAndPrefixSpace) {
  TinyTokenizer tiny;
  tiny.merges.push_back({"1", "2"});  // id 262
  tiny.pre_tokenizer = R"({"type":"Sequence","pretokenizers":[
      {"type":"Digits","individual_digits":true},
      {"type":"ByteLevel","add_prefix_space":true,"use_regex":false}]})";
  absl::StatusOr<Tokenizer> tok = Make(tiny);
  ASSERT_THAT(tok, IsOk());
  // Every piece gets the space, as Hugging Face's ByteLevel does inside a Sequence.
  EXPECT_THAT(tok->Encode("w12"), ElementsAre(kSpaceW, ' ', '1', ' ', '2'));
}

TEST(TokenizerFormatTest, TemplateProcessingAddsItsTokens) {
  TinyTokenizer tiny;
  tiny.added_tokens = R"([{"id": 262, "content": "<s>", "special": true},
                          {"id": 263, "content": "</s>", "special": true}])";
  tiny.post_processor = R"({"type":"TemplateProcessing",
      "single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}},
                {"SpecialToken":{"id":"</s>","type_id":0}}],
      "pair":[], "special_tokens":{"<s>":{"id":"<s>","ids":[262],"tokens":["<s>"]},
                                   "</s>":{"id":"</s>","ids":[263],"tokens":["</s>"]}}})";
  absl::StatusOr<Tokenizer> tok = Make(tiny);
  ASSERT_THAT(tok, IsOk());
  EncodeOptions add;
  add.add_special_tokens = true;
  EXPECT_THAT(tok->Encode("he", add), ElementsAre(kAdded0, kHe, kAdded1));
  EXPECT_THAT(tok->Encode("he"), ElementsAre(kHe));
}

TEST(TokenizerFormatTest, LlamaClassTakesBosFromTheConfigFlags) {
  TinyTokenizer tiny;
  tiny.added_tokens = R"([{"id": 262, "content": "<s>", "special": true},
                          {"id": 263, "content": "</s>", "special": true}])";
  std::string config = R"({"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>",
                           "eos_token": {"content": "</s>"}, "add_eos_token": true})";
  absl::StatusOr<Tokenizer> tok = Make(tiny, config);
  ASSERT_THAT(tok, IsOk());
  EncodeOptions add;
  add.add_special_tokens = true;
  EXPECT_THAT(tok->Encode("he", add), ElementsAre(kAdded0, kHe, kAdded1));  // add_bos: true
  EXPECT_EQ(tok->special_ids().bos, kAdded0);
  EXPECT_EQ(tok->special_ids().eos, kAdded1);
  // Another class leaves it to tokenizer.json's post-processor (none here).
  absl::StatusOr<Tokenizer> plain =
      Make(tiny, R"({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>"})");
  ASSERT_THAT(plain, IsOk());
  EXPECT_THAT(plain->Encode("he", add), ElementsAre(kHe));
}

TEST(TokenizerFormatTest, ConfigAddsTokensMissingFromTokenizerJson) {
  std::string config = R"({"added_tokens_decoder": {"262": {"content": "<x>", "special": true}}})";
  absl::StatusOr<Tokenizer> tok = Make(TinyTokenizer(), config);
  ASSERT_THAT(tok, IsOk());
  EXPECT_THAT(tok->Encode("he<x>"), ElementsAre(kHe, kAdded0));
  EXPECT_TRUE(tok->IsSpecial(kAdded0));
}

// --- malformed files -----------------------------------------------------------------

void ExpectError(const absl::StatusOr<Tokenizer>& tok, const std::string& message) {
  ASSERT_THAT(tok, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)));
}

TEST(TokenizerFormatTest, JsonSyntaxErrorNamesLineAndColumn) {
  ExpectError(Tokenizer::FromJson("{\"model\":\n  {,}", "", "t/tokenizer.json"),
              "t/tokenizer.json:2:4: ");
}

TEST(TokenizerFormatTest, MissingModel) {
  ExpectError(Tokenizer::FromJson(R"({"pre_tokenizer": null})", "", "t/tokenizer.json"),
              "t/tokenizer.json: model: missing");
}

TEST(TokenizerFormatTest, UnsupportedModelType) {
  std::string json = TinyTokenizer().Json();
  json.replace(json.find("\"BPE\""), 5, "\"WordPiece\"");
  ExpectError(Tokenizer::FromJson(json, "", "t/tokenizer.json"),
              "t/tokenizer.json: model.type: unsupported \"WordPiece\" (only BPE)");
}

TEST(TokenizerFormatTest, MergeWithOneSide) {
  std::string json = TinyTokenizer().Json();
  json.replace(json.find("\"h e\""), 5, "\"he\"");
  ExpectError(Tokenizer::FromJson(json, "", "t/tokenizer.json"),
              "t/tokenizer.json: model.merges[0]: expected \"LEFT RIGHT\" (one space), got \"he\"");
}

TEST(TokenizerFormatTest, MergeOfUnknownToken) {
  std::string json = TinyTokenizer().Json();
  json.replace(json.find("\"h e\""), 5, "\"h zz\"");
  ExpectError(Tokenizer::FromJson(json, "", "t/tokenizer.json"),
              "model.merges[0]: \"zz\" is not in model.vocab");
}

TEST(TokenizerFormatTest, VocabIdNotAnInteger) {
  std::string json = TinyTokenizer().Json();
  json.replace(json.find(":0,"), 3, ":\"zero\",");
  ExpectError(Tokenizer::FromJson(json, "", "t/tokenizer.json"),
              "model.vocab[\"Ā\"]: expected a token id (an integer >= 0), got a string");
}

TEST(TokenizerFormatTest, AddedTokenWithoutId) {
  TinyTokenizer tiny;
  tiny.added_tokens = R"([{"content": "<x>"}])";
  ExpectError(Make(tiny), "tiny/tokenizer.json: added_tokens[0].id: missing");
}

TEST(TokenizerFormatTest, UnsupportedPreTokenizer) {
  TinyTokenizer tiny;
  tiny.pre_tokenizer = R"({"type":"Sequence","pretokenizers":[{"type":"Metaspace"}]})";
  ExpectError(Make(tiny),
              "pre_tokenizer.pretokenizers[0].type: unsupported pre-tokenizer "
              "\"Metaspace\"");
}

TEST(TokenizerFormatTest, ByteLevelIsRequired) {
  TinyTokenizer tiny;
  tiny.pre_tokenizer = R"({"type":"Digits","individual_digits":false})";
  ExpectError(Make(tiny), "pre_tokenizer: has no ByteLevel step");
}

TEST(TokenizerFormatTest, LookBehindIsRefused) {
  TinyTokenizer tiny;
  tiny.pre_tokenizer = R"({"type":"Sequence","pretokenizers":[
      {"type":"Split","pattern":{"Regex":"(?<=a)b"},"behavior":"Isolated","invert":false},
      {"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]})";
  ExpectError(Make(tiny),
              "pre_tokenizer.pretokenizers[0].pattern.Regex: regex offset 0: "
              "look-around is supported only as the alternative \\s+(?!\\S)|\\s+");
}

TEST(TokenizerFormatTest, UnknownSplitBehavior) {
  TinyTokenizer tiny;
  tiny.pre_tokenizer = R"({"type":"Sequence","pretokenizers":[
      {"type":"Split","pattern":{"String":"-"},"behavior":"Sideways","invert":false},
      {"type":"ByteLevel"}]})";
  ExpectError(Make(tiny), "pre_tokenizer.pretokenizers[0].behavior: unknown \"Sideways\"");
}

TEST(TokenizerFormatTest, UnsupportedDecoder) {
  TinyTokenizer tiny;
  tiny.decoder = R"({"type":"WordPiece"})";
  ExpectError(Make(tiny), "decoder.type: unsupported decoder \"WordPiece\"");
}

TEST(TokenizerFormatTest, ConfigTokenThatDoesNotExist) {
  ExpectError(Make(TinyTokenizer(), R"({"eos_token": "<eos>"})"),
              "tiny/tokenizer_config.json: eos_token: \"<eos>\" is not a token of "
              "tiny/tokenizer.json");
}

TEST(TokenizerFormatTest, LlamaClassWithoutBos) {
  ExpectError(Make(TinyTokenizer(), R"({"tokenizer_class": "LlamaTokenizerFast"})"),
              "tiny/tokenizer_config.json: add_bos_token: is true");
}

TEST(TokenizerFormatTest, ConfigFlagOfWrongType) {
  ExpectError(Make(TinyTokenizer(), R"({"add_bos_token": "yes"})"),
              "tiny/tokenizer_config.json: add_bos_token: expected true or false, got a string");
}

// --- the regex translation -------------------------------------------------------------

TEST(OnigurumaRegexTest, WhitespaceIsUnicodeAndTheLookAheadBecomesAGroup) {
  bool lookahead = false;
  absl::StatusOr<std::string> re =
      internal::TranslateOnigurumaRegex("(a)|\\s+(?!\\S)|\\s+", &lookahead);
  ASSERT_THAT(re, IsOk());
  EXPECT_TRUE(lookahead);
  EXPECT_THAT(*re, HasSubstr("(?:a)|(["));
  EXPECT_THAT(*re, HasSubstr("\\x{3000}]+)"));
  EXPECT_THAT(internal::TranslateOnigurumaRegex("a(?!b)", &lookahead),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(internal::TranslateOnigurumaRegex("(\\s+(?!\\S)|\\s+)", &lookahead),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OnigurumaRegexTest, CategoriesGainWhatUnicode16Added) {
  bool lookahead = false;
  absl::StatusOr<std::string> re = internal::TranslateOnigurumaRegex("\\p{L}+", &lookahead);
  ASSERT_THAT(re, IsOk());
  EXPECT_THAT(*re, HasSubstr("[\\p{L}"));
  EXPECT_THAT(*re, HasSubstr("\\x{A7DA}-\\x{A7DC}"));  // Latin letters new in Unicode 16.0
}

TEST(PreTokenizerTest, SpaceRunGivesItsLastSpaceToTheNextWord) {
  absl::StatusOr<std::unique_ptr<internal::PreTokenizerStep>> split = internal::MakeRegexSplit(
      "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\s+(?!\\S)|\\s+", internal::SplitBehavior::kIsolated, false);
  ASSERT_THAT(split, IsOk());
  std::vector<std::string> pieces;
  (*split)->Split("a   b\u3000\u3000c  ", [&](std::string_view p) { pieces.emplace_back(p); });
  EXPECT_THAT(pieces, ElementsAre("a", "  ", " b", "\u3000", "\u3000c", "  "));
}

}  // namespace
}  // namespace zerorl::tokenizer
