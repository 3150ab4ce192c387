// The JSONL loader over small files written here: one test per way a file can be wrong.
#include <fstream>
#include <string>

#include "datasets/datasets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::datasets {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;
using ::zerorl::testing::TempDir;

config::DatasetConfig Config(const std::string& preset, const std::string& path) {
  config::DatasetConfig c;
  c.preset = preset;
  c.path = path;
  return c;
}

// The error of loading `contents` as `preset` under on_bad_line: error.
std::string ErrorOf(const TempDir& dir, const std::string& preset, const std::string& contents,
                    absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
  std::string path = dir.WriteFile("d.jsonl", contents);
  absl::StatusOr<Dataset> d = LoadDataset(Config(preset, path), config::BadLinePolicy::kError);
  EXPECT_THAT(d, StatusIs(code));
  return std::string(d.status().message());
}

const char kGood[] = R"({"prompt": "1+1?", "answer": "2"})";
const char kHint[] = " (data.on_bad_line is \"error\"; \"skip\" skips malformed rows)";

TEST(LoaderTest, MissingFileIsNotFound) {
  absl::StatusOr<Dataset> d =
      LoadDataset(Config("generic", "/nonexistent/x.jsonl"), config::BadLinePolicy::kSkip);
  ASSERT_THAT(
      d, StatusIs(absl::StatusCode::kNotFound, "/nonexistent/x.jsonl: No such file or directory"));
}

TEST(LoaderTest, FolderIsRefused) {
  TempDir dir;
  absl::StatusOr<Dataset> d =
      LoadDataset(Config("generic", dir.path()), config::BadLinePolicy::kSkip);
  ASSERT_THAT(d, StatusIs(absl::StatusCode::kFailedPrecondition,
                          dir.path() + ": is a folder, not a JSONL file"));
}

TEST(LoaderTest, EmptyFileIsAClearError) {
  TempDir dir;
  std::string path = dir.Path("d.jsonl");
  EXPECT_EQ(ErrorOf(dir, "generic", ""), path + ": empty file; expected one JSON object per line");
}

TEST(LoaderTest, OnlyBlankLinesIsAnError) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "generic", "\n  \n\r\n"),
            dir.Path("d.jsonl") + ": no rows (only blank lines, or none selected)");
}

TEST(LoaderTest, BadJsonNamesFileLineAndColumn) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "generic", std::string(kGood) + "\n{\"prompt\": \"x\", answer}\n"),
            dir.Path("d.jsonl") + ":2: bad JSON at column 17: Missing a name for object member." +
                kHint);
}

TEST(LoaderTest, TruncatedLastLineSaysSo) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "generic", std::string(kGood) + "\n{\"prompt\": \"3+4?\", \"ans"),
            dir.Path("d.jsonl") +
                ":2: bad JSON at column 24: Missing a closing quotation mark in string. (the "
                "last line has no newline: is the file truncated?)" + kHint);
}

TEST(LoaderTest, TruncatedLastLineIsSkippedAndCounted) {
  TempDir dir;
  std::string path = dir.WriteFile(
      "d.jsonl", std::string(kGood) + "\n" + kGood + "\n{\"prompt\": \"3+4?\", \"answer\": \"7");
  absl::StatusOr<Dataset> d = LoadDataset(Config("generic", path), config::BadLinePolicy::kSkip);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->size(), 2u);
  EXPECT_EQ(d->stats().bad_lines, 1);
  EXPECT_EQ(d->stats().rows_read, 3);
  ASSERT_EQ(d->stats().first_bad_lines.size(), 1u);
  EXPECT_THAT(d->stats().first_bad_lines[0], HasSubstr(path + ":3: bad JSON"));
}

TEST(LoaderTest, LastLineWithoutNewlineIsRead) {
  TempDir dir;
  std::string path = dir.WriteFile("d.jsonl", std::string(kGood) + "\r\n" + kGood);
  absl::StatusOr<Dataset> d = LoadDataset(Config("generic", path), config::BadLinePolicy::kError);
  ASSERT_THAT(d, IsOk());
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ(d->Get(1)->answer, "2");
  EXPECT_EQ(d->Get(1)->source_line, 2);
}

TEST(LoaderTest, MissingFieldIsNamed) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "gsm8k", R"({"question": "q", "answr": "#### 3"})" "\n"),
            dir.Path("d.jsonl") + ":1: missing field \"answer\"" + kHint);
}

TEST(LoaderTest, MissingPromptNamesBothForms) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "generic", R"({"question": "q", "answer": "3"})" "\n"),
            dir.Path("d.jsonl") + ":1: missing field \"prompt\"" + kHint);
}

TEST(LoaderTest, WrongTypeIsNamed) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "generic", R"({"prompt": ["q"], "answer": "3"})" "\n"),
            dir.Path("d.jsonl") + ":1: field \"prompt\" must be a string, got a list" + kHint);
  EXPECT_EQ(ErrorOf(dir, "generic", R"({"prompt": "q", "answer": {"v": 3}})" "\n"),
            dir.Path("d.jsonl") +
                ":1: field \"answer\" must be a string or a number, got an object" + kHint);
  EXPECT_EQ(ErrorOf(dir, "mbpp", R"({"text": "t", "task_id": 1, "test_list": [1]})" "\n"),
            dir.Path("d.jsonl") + ":1: field \"test_list\"[0] must be a string, got a number" +
                kHint);
  EXPECT_EQ(ErrorOf(dir, "math", R"({"problem": "p", "answer": "1", "level": "hard"})" "\n"),
            dir.Path("d.jsonl") + ":1: field \"level\" must be an integer or \"Level N\", got "
                                  "\"hard\"" + kHint);
}

TEST(LoaderTest, NotAnObjectIsNamed) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "generic", "[1, 2]\n"),
            dir.Path("d.jsonl") + ":1: not a JSON object (got a list)" + kHint);
}

TEST(LoaderTest, EmptyAnswerIsMalformed) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "generic", R"({"prompt": "q", "answer": "  "})" "\n"),
            dir.Path("d.jsonl") + ":1: empty answer (field \"answer\")" + kHint);
  EXPECT_EQ(ErrorOf(dir, "generic", R"({"prompt": " ", "answer": "1"})" "\n"),
            dir.Path("d.jsonl") + ":1: empty prompt (field \"prompt\")" + kHint);
  EXPECT_EQ(ErrorOf(dir, "gsm8k", R"({"question": "q", "answer": "it is 4\n#### "})" "\n"),
            dir.Path("d.jsonl") + ":1: field \"answer\" has no \"#### N\" final answer" + kHint);
}

TEST(LoaderTest, MathWithoutAnswerOrBoxedIsMalformed) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "math", R"({"problem": "p", "solution": "it is 4"})" "\n"),
            dir.Path("d.jsonl") +
                ":1: no field \"answer\" and no \\boxed{} answer in field \"solution\"" + kHint);
  EXPECT_EQ(ErrorOf(dir, "math", R"({"problem": "p"})" "\n"),
            dir.Path("d.jsonl") + ":1: missing field \"answer\" (and no \"solution\")" + kHint);
}

TEST(LoaderTest, HumanEvalNeedsEntryPointAndTests) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "humaneval", R"({"task_id": "H/0", "prompt": "def f():", "test": "x"})"
                                      "\n"),
            dir.Path("d.jsonl") + ":1: missing field \"entry_point\"" + kHint);
  EXPECT_EQ(ErrorOf(dir, "humaneval", R"({"task_id": "H/0", "prompt": "def f():"})" "\n"),
            dir.Path("d.jsonl") + ":1: missing field \"test\"" + kHint);
}

TEST(LoaderTest, InvalidUtf8IsBadJson) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "generic", "{\"prompt\": \"\xff\", \"answer\": \"1\"}\n"),
            dir.Path("d.jsonl") + ":1: bad JSON at column 13: Invalid encoding in string." +
                kHint);
}

TEST(LoaderTest, DeeplyNestedLineDoesNotCrash) {
  TempDir dir;
  std::string deep = "{\"prompt\": \"q\", \"answer\": \"1\", \"x\": " + std::string(200000, '[') +
                     std::string(200000, ']') + "}\n";
  std::string path = dir.WriteFile("d.jsonl", deep);
  absl::StatusOr<Dataset> d = LoadDataset(Config("generic", path), config::BadLinePolicy::kError);
  ASSERT_THAT(d, IsOk());  // the extra key is ignored; the parse is iterative
  EXPECT_EQ(d->size(), 1u);
}

TEST(LoaderTest, SkipCountsEveryKindOfBadLine) {
  TempDir dir;
  std::string path = dir.WriteFile("d.jsonl", std::string(kGood) + "\n" +
                                                  "not json\n" +
                                                  R"({"prompt": "q"})" "\n" +
                                                  R"({"prompt": 5, "answer": "1"})" "\n" +
                                                  "\n" + kGood + "\n");
  absl::StatusOr<Dataset> d = LoadDataset(Config("generic", path), config::BadLinePolicy::kSkip);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->size(), 2u);
  EXPECT_EQ(d->stats().rows_read, 5);  // the blank line is not a row
  EXPECT_EQ(d->stats().bad_lines, 3);
  ASSERT_EQ(d->stats().first_bad_lines.size(), 3u);
  EXPECT_EQ(d->stats().first_bad_lines[1],
            path + ":3: missing field \"answer\" (and no \"solution\")");
  EXPECT_EQ(d->Get(1)->source_line, 6);
  EXPECT_EQ(d->Get(1)->id, "generic/d/5");  // ids count lines, so skips do not shift them
}

TEST(LoaderTest, AllRowsBadIsAnErrorEvenWhenSkipping) {
  TempDir dir;
  std::string path = dir.WriteFile("d.jsonl", "nope\n{}\n");
  absl::StatusOr<Dataset> d = LoadDataset(Config("generic", path), config::BadLinePolicy::kSkip);
  ASSERT_THAT(d, StatusIs(absl::StatusCode::kInvalidArgument,
                          path + ": no valid rows (2 malformed; first: " + path +
                              ":1: bad JSON at column 2: Invalid value.)"));
}

TEST(LoaderTest, DuplicateIdIsMalformed) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "generic",
                    R"({"id": "a", "prompt": "q", "answer": "1"})" "\n"
                    R"({"id": "a", "prompt": "r", "answer": "2"})" "\n"),
            dir.Path("d.jsonl") + ":2: duplicate id \"a\" (first at line 1)" + kHint);
}

TEST(LoaderTest, GenericMessagesNumbersAndFieldMap) {
  TempDir dir;
  std::string path = dir.WriteFile(
      "d.jsonl",
      R"({"messages": [{"role": "system", "content": "Be brief."},)"
      R"( {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},)"
      R"( {"role": "user", "content": "2*3?"}, {"role": "assistant", "content": "6"}],)"
      R"( "answer": 6})" "\n"
      R"({"q": "half of 1?", "gold": 0.5, "uid": 7})" "\n");
  config::DatasetConfig c = Config("generic", path);
  c.fields.prompt = "q|prompt";
  c.fields.answer = "gold|answer";
  c.fields.id = "uid|id";
  absl::StatusOr<Dataset> d = LoadDataset(c, config::BadLinePolicy::kError);
  ASSERT_THAT(d, IsOk());
  absl::StatusOr<Problem> chat = d->Get(0);
  ASSERT_THAT(chat, IsOk());
  EXPECT_EQ(chat->prompt, "2*3?");
  EXPECT_EQ(chat->system_prompt, "Be brief.");
  ASSERT_EQ(chat->history.size(), 2u);
  EXPECT_EQ(chat->history[1].content, "Hello");
  EXPECT_EQ(chat->solution, "6");
  EXPECT_EQ(chat->answer, "6");
  EXPECT_EQ(chat->id, "generic/d/0");
  EXPECT_EQ(d->Get(1)->answer, "0.5");
  EXPECT_EQ(d->Get(1)->id, "generic/7");
}

TEST(LoaderTest, GenericCodeRowNeedsNoAnswer) {
  TempDir dir;
  std::string path = dir.WriteFile(
      "d.jsonl", R"({"prompt": "write f", "tests": ["assert f() == 1"], "solution": "def f():"})"
                 "\n");
  absl::StatusOr<Dataset> d = LoadDataset(Config("generic", path), config::BadLinePolicy::kError);
  ASSERT_THAT(d, IsOk());
  absl::StatusOr<Problem> p = d->Get(0);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->kind, TaskKind::kCode);
  EXPECT_EQ(p->tests->asserts, std::vector<std::string>{"assert f() == 1"});
  EXPECT_TRUE(p->answer.empty());
}

TEST(LoaderTest, MessagesWithoutUserTurnIsMalformed) {
  TempDir dir;
  EXPECT_EQ(ErrorOf(dir, "generic",
                    R"({"messages": [{"role": "system", "content": "x"}], "answer": "1"})" "\n"),
            dir.Path("d.jsonl") + ":1: field \"messages\" has no user turn" + kHint);
}

TEST(LoaderTest, IdsFileMustBeFullyFound) {
  TempDir dir;
  std::string ids = dir.WriteFile("ids.txt", "a\nzz\n");
  std::string path = dir.WriteFile("d.jsonl", R"({"id": "a", "prompt": "q", "answer": "1"})" "\n"
                                              R"({"id": "b", "prompt": "r", "answer": "2"})" "\n");
  config::DatasetConfig c = Config("generic", path);
  c.ids_file = ids;
  absl::StatusOr<Dataset> d = LoadDataset(c, config::BadLinePolicy::kError);
  ASSERT_THAT(
      d, StatusIs(absl::StatusCode::kInvalidArgument,
                  "ids_file " + ids + ": 1 of its 2 ids are not in " + path + " (first: \"zz\")"));
  dir.WriteFile("ids.txt", "b\n");
  d = LoadDataset(c, config::BadLinePolicy::kError);
  ASSERT_THAT(d, IsOk());
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ(d->Get(0)->id, "b");
  EXPECT_EQ(d->stats().dropped, 1);
}

TEST(LoaderTest, FileChangedAfterLoadingIsDataLoss) {
  TempDir dir;
  std::string path = dir.WriteFile("d.jsonl", std::string(kGood) + "\n" + kGood + "\n");
  absl::StatusOr<Dataset> d = LoadDataset(Config("generic", path), config::BadLinePolicy::kError);
  ASSERT_THAT(d, IsOk());
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::string(kGood).size()) + 15);
    f << "7";  // "1+1?" -> "1+7?" on line 2
  }
  EXPECT_THAT(d->Get(0), IsOk());
  absl::StatusOr<Problem> p = d->Get(1);
  ASSERT_THAT(
      p, StatusIs(absl::StatusCode::kDataLoss, path + ":2: the file changed since it was loaded"));
}

TEST(LoaderTest, GetOutOfRange) {
  Dataset d = Dataset::FromProblems("x", {Problem{}});
  EXPECT_THAT(d.Get(1), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(LoaderTest, OpenDataNamesTheConfigKey) {
  config::DataConfig config;
  config.eval.push_back(Config("gsm8k", "/nonexistent/test.jsonl"));
  absl::StatusOr<DataSets> data = OpenData(config);
  ASSERT_THAT(data, StatusIs(absl::StatusCode::kNotFound,
                             "data.eval[0]: /nonexistent/test.jsonl: No such file or directory"));
}

}  // namespace
}  // namespace zerorl::datasets
