// `zerorl tokenize`, run as a user runs it: JSON lines on stdin, JSON lines on stdout.
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_support.h"

namespace zerorl::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::RunCommand;
using testing::ZerorlBinary;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

testing::CommandResult Tokenize(const std::string& model, const std::string& input,
                                std::vector<std::string> flags = {}) {
  std::vector<std::string> argv = {ZerorlBinary(), "tokenize", "--tokenizer",
                                   testing::TestDataPath("tokenizers/" + model)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return RunCommand(argv, input);
}

TEST(TokenizeCliTest, EncodesEachLineInOrder) {
  ZERORL_REQUIRE_TEST_DATA();
  auto r = Tokenize("qwen3",
                    "{\"text\": \"Hello world\"}\n"
                    "{\"text\": \"<|im_start|>user\\nhi<|im_end|>\", \"other\": 1}\n"
                    "{\"text\": \"\"}\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Lines(r.out), ElementsAre("{\"ids\":[9707,1879]}",
                                        "{\"ids\":[151644,872,198,6023,151645]}", "{\"ids\":[]}"));
}

TEST(TokenizeCliTest, AddSpecialTokensPrependsDeepseekBos) {
  ZERORL_REQUIRE_TEST_DATA();
  auto r = Tokenize("deepseek_v3", "{\"text\": \"Hello world\"}\n", {"--add-special-tokens"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Lines(r.out), ElementsAre("{\"ids\":[0,19923,2058]}"));
  auto plain = Tokenize("deepseek_v3", "{\"text\": \"Hello world\"}\n");
  EXPECT_THAT(Lines(plain.out), ElementsAre("{\"ids\":[19923,2058]}"));
}

TEST(TokenizeCliTest, BadLinesGetAnErrorInTheirPlace) {
  ZERORL_REQUIRE_TEST_DATA();
  auto r = Tokenize("qwen3",
                    "{\"text\": \"0\"}\n"
                    "not json\n"
                    "{\"txt\": \"x\"}\n"
                    "{\"text\": 5}\n"
                    "[1, 2]\n"
                    "\n"
                    "{\"text\": \"0\"}\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 7u) << r.out;
  EXPECT_EQ(lines[0], "{\"ids\":[15]}");
  EXPECT_THAT(lines[1], HasSubstr("{\"error\":\"line 2: not JSON: "));
  EXPECT_EQ(lines[2], "{\"error\":\"line 3: missing field \\\"text\\\"\"}");
  EXPECT_EQ(lines[3], "{\"error\":\"line 4: \\\"text\\\" must be a string\"}");
  EXPECT_EQ(lines[4], "{\"error\":\"line 5: expected a JSON object like {\\\"text\\\": ...}\"}");
  EXPECT_THAT(lines[5], HasSubstr("{\"error\":\"line 6: not JSON: "));
  EXPECT_EQ(lines[6], "{\"ids\":[15]}");
}

TEST(TokenizeCliTest, DecodesIdsAndReportsBadOnes) {
  ZERORL_REQUIRE_TEST_DATA();
  auto r = Tokenize("qwen3",
                    "{\"ids\": [9707, 1879]}\n"
                    "{\"ids\": [9707, 151669]}\n"
                    "{\"ids\": [1.5]}\n"
                    "{\"ids\": \"9707\"}\n"
                    "{\"ids\": [151644, 872, 198, 6023, 151645]}\n",
                    {"--decode"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Lines(r.out),
              ElementsAre("{\"text\":\"Hello world\"}",
                          "{\"error\":\"line 2: ids[1]: 151669 is not a token id (vocab size "
                          "151669)\"}",
                          "{\"error\":\"line 3: ids[0] is not an integer token id\"}",
                          "{\"error\":\"line 4: \\\"ids\\\" must be an array of integers\"}",
                          "{\"text\":\"<|im_start|>user\\nhi<|im_end|>\"}"));
}

TEST(TokenizeCliTest, RoundTripsTextWithControlCharacters) {
  ZERORL_REQUIRE_TEST_DATA();
  auto encoded = Tokenize("llama3", "{\"text\": \"tab\\tnul\\u0000 \\\"q\\\" \\u00e9\"}\n");
  ASSERT_EQ(encoded.exit_code, 0) << encoded.err;
  auto ids_line = Lines(encoded.out);
  ASSERT_EQ(ids_line.size(), 1u);
  auto decoded = Tokenize("llama3", ids_line[0] + "\n", {"--decode"});
  EXPECT_THAT(Lines(decoded.out),
              ElementsAre("{\"text\":\"tab\\tnul\\u0000 \\\"q\\\" \xC3\xA9\"}"));
}

TEST(TokenizeCliTest, UnloadableTokenizerExitsTwoWithOneLine) {
  auto r = RunCommand({ZerorlBinary(), "tokenize", "--tokenizer", "/nonexistent/tok"},
                      "{\"text\": \"x\"}\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("zerorl tokenize: /nonexistent/tok: no such file or folder"));

  testing::TempDir dir;
  dir.WriteFile("tokenizer.json", "{\"model\": {\"type\": \"Unigram\"}}");
  auto bad = RunCommand({ZerorlBinary(), "tokenize", "--tokenizer", dir.path()}, "");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("tokenizer.json: model.type: unsupported \"Unigram\""));
}

TEST(TokenizeCliTest, UsageErrors) {
  EXPECT_EQ(RunCommand({ZerorlBinary(), "tokenize"}).exit_code, 2);  // --tokenizer is required
  auto both = RunCommand(
      {ZerorlBinary(), "tokenize", "--tokenizer", "x", "--decode", "--add-special-tokens"});
  EXPECT_EQ(both.exit_code, 2);
}

}  // namespace
}  // namespace zerorl::cli
