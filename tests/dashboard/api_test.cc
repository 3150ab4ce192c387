// The dashboard's HTTP API, through a real server on a free port and httplib's client:
// run listing, incremental metrics, sample filters and groups, malformed lines, and names
// that try to leave the runs folder.
#include <sys/stat.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/json.h"
#include "dashboard/dashboard.h"
#include "dashboard/jsonl_chunk.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/test_support.h"

namespace zerorl::dashboard {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

std::string SampleLine(int step, const std::string& split, int prompt_id, int index, double accuracy,
                       const std::string& prompt) {
  return absl::StrCat(R"({"schema":1,"step":)", step, R"(,"split":")", split,
                      R"(","policy_version":)", step - 1, R"(,"prompt_id":)", prompt_id,
                      R"(,"sample_index":)", index, R"(,"prompt":")", prompt,
                      R"(","completion":"<think>t</think><answer>4</answer>","answer":"4","reward":)",
                      accuracy + 0.1, R"(,"advantage":0.5,"rewards":{"math_accuracy":)", accuracy,
                      R"(,"format":1}})", "\n");
}

class DashboardApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir(dir_.Path("runs").c_str(), 0755);
    ::mkdir(dir_.Path("runs/alpha").c_str(), 0755);
    ::mkdir(dir_.Path("runs/beta").c_str(), 0755);
    ::mkdir(dir_.Path("runs/not-a-run").c_str(), 0755);
    dir_.WriteFile("runs/alpha/metrics.jsonl", R"({"step":1,"phase":"grpo","reward/mean":0.5})" "\n");
    dir_.WriteFile("runs/beta/metrics.jsonl", "");
    dir_.WriteFile("runs/beta/summary.json", "{}");
    dir_.WriteFile("secret.txt", "top secret");
    DashboardOptions options;
    options.runs_dir = dir_.Path("runs");
    options.port = 0;
    absl::StatusOr<std::unique_ptr<DashboardServer>> server = DashboardServer::Start(options);
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  // GET `path`; the body parsed as JSON (an empty object when it is not JSON).
  rapidjson::Document Get(const std::string& path, int expected_status = 200) {
    httplib::Result res = client_->Get(path.c_str());
    EXPECT_TRUE(res) << path;
    rapidjson::Document doc;
    doc.SetObject();
    if (!res) return doc;
    EXPECT_EQ(res->status, expected_status) << path << ": " << res->body;
    absl::StatusOr<rapidjson::Document> parsed = core::ParseJson(res->body);
    if (parsed.ok()) doc = *std::move(parsed);
    return doc;
  }

  std::string Alpha(const std::string& file) { return dir_.Path("runs/alpha/" + file); }

  TempDir dir_;
  std::unique_ptr<DashboardServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(DashboardApiTest, ListsFoldersWithMetrics) {
  rapidjson::Document runs = Get("/api/runs");
  ASSERT_TRUE(runs["runs"].IsArray());
  ASSERT_EQ(runs["runs"].Size(), 2u);
  EXPECT_STREQ(runs["runs"][0]["name"].GetString(), "alpha");
  EXPECT_FALSE(runs["runs"][0]["finished"].GetBool());
  EXPECT_STREQ(runs["runs"][1]["name"].GetString(), "beta");
  EXPECT_TRUE(runs["runs"][1]["finished"].GetBool());
}

TEST_F(DashboardApiTest, MetricsArriveIncrementally) {
  rapidjson::Document first = Get("/api/runs/alpha/metrics?offset=0");
  ASSERT_EQ(first["rows"].Size(), 1u);
  EXPECT_EQ(first["rows"][0]["reward/mean"].GetDouble(), 0.5);
  uint64_t next = first["next_offset"].GetUint64();
  EXPECT_EQ(next, first["file_size"].GetUint64());
  // Nothing new: no rows, same offset.
  rapidjson::Document same = Get(absl::StrCat("/api/runs/alpha/metrics?offset=", next));
  EXPECT_EQ(same["rows"].Size(), 0u);
  EXPECT_EQ(same["next_offset"].GetUint64(), next);
  // A new row and half of another: only the complete one comes back.
  Append(Alpha("metrics.jsonl"), R"({"step":2,"reward/mean":0.75})" "\n" R"({"step":3,"rew)");
  rapidjson::Document more = Get(absl::StrCat("/api/runs/alpha/metrics?offset=", next));
  ASSERT_EQ(more["rows"].Size(), 1u);
  EXPECT_EQ(more["rows"][0]["step"].GetInt(), 2);
  next = more["next_offset"].GetUint64();
  EXPECT_LT(next, more["file_size"].GetUint64());
  Append(Alpha("metrics.jsonl"), R"(ard/mean":1.0})" "\n");
  rapidjson::Document rest = Get(absl::StrCat("/api/runs/alpha/metrics?offset=", next));
  ASSERT_EQ(rest["rows"].Size(), 1u);
  EXPECT_EQ(rest["rows"][0]["reward/mean"].GetDouble(), 1.0);
  EXPECT_EQ(rest["malformed"].GetInt(), 0);
}

TEST_F(DashboardApiTest, TruncatedFileResetsOffset) {
  rapidjson::Document doc = Get("/api/runs/alpha/metrics?offset=100000");
  EXPECT_TRUE(doc["reset"].GetBool());
  EXPECT_EQ(doc["offset"].GetUint64(), 0u);
  EXPECT_EQ(doc["rows"].Size(), 1u);
}

TEST_F(DashboardApiTest, MalformedMetricsLinesAreSkippedAndCounted) {
  Append(Alpha("metrics.jsonl"), "{\"step\":2,\"kl\":\n[1,2]\nnot json at all\n\n{\"step\":3}\n");
  rapidjson::Document doc = Get("/api/runs/alpha/metrics");
  ASSERT_EQ(doc["rows"].Size(), 2u);
  EXPECT_EQ(doc["rows"][1]["step"].GetInt(), 3);
  EXPECT_EQ(doc["malformed"].GetInt(), 3);
  EXPECT_THAT(doc["first_error"].GetString(), HasSubstr("byte 44"));
}

TEST_F(DashboardApiTest, LongLinesLargerThanAChunkStillArrive) {
  std::string big = std::string(R"({"step":2,"note":")") + std::string(20 << 20, 'x') + "\"}\n";
  Append(Alpha("metrics.jsonl"), big);
  rapidjson::Document first = Get("/api/runs/alpha/metrics");
  uint64_t next = first["next_offset"].GetUint64();
  std::vector<int> steps;
  for (const auto& r : first["rows"].GetArray()) steps.push_back(r["step"].GetInt());
  if (next < first["file_size"].GetUint64()) {
    rapidjson::Document second = Get(absl::StrCat("/api/runs/alpha/metrics?offset=", next));
    for (const auto& r : second["rows"].GetArray()) steps.push_back(r["step"].GetInt());
    next = second["next_offset"].GetUint64();
  }
  EXPECT_THAT(steps, ::testing::ElementsAre(1, 2));
}

TEST_F(DashboardApiTest, SampleFiltersAndPaging) {
  std::string lines;
  for (int step = 1; step <= 3; ++step) {
    for (int index = 0; index < 4; ++index) {
      lines += SampleLine(step, "train", 100 + step, index, index % 2, step == 2 ? "What is Two?" : "1+3");
    }
  }
  lines += SampleLine(3, "eval/gsm8k", 7, 0, 1, "held out");
  dir_.WriteFile("runs/alpha/samples.jsonl", lines);
  rapidjson::Document all = Get("/api/runs/alpha/samples?limit=5");
  EXPECT_EQ(all["total"].GetInt(), 13);
  ASSERT_EQ(all["samples"].Size(), 5u);
  EXPECT_STREQ(all["samples"][0]["split"].GetString(), "eval/gsm8k");  // newest first
  EXPECT_EQ(all["steps"].Size(), 3u);
  EXPECT_EQ(all["splits"].Size(), 2u);
  EXPECT_EQ(all["functions"].Size(), 2u);
  EXPECT_EQ(Get("/api/runs/alpha/samples?step=2")["total"].GetInt(), 4);
  EXPECT_EQ(Get("/api/runs/alpha/samples?split=eval/gsm8k")["total"].GetInt(), 1);
  EXPECT_EQ(Get("/api/runs/alpha/samples?function=math_accuracy&min_reward=1")["total"].GetInt(), 7);
  EXPECT_EQ(Get("/api/runs/alpha/samples?max_reward=0.5&split=train")["total"].GetInt(), 6);
  EXPECT_EQ(Get("/api/runs/alpha/samples?prompt=two")["total"].GetInt(), 4);
  EXPECT_EQ(Get("/api/runs/alpha/samples?function=length")["total"].GetInt(), 0);
  rapidjson::Document page = Get("/api/runs/alpha/samples?order=oldest&offset=4&limit=2");
  ASSERT_EQ(page["samples"].Size(), 2u);
  EXPECT_EQ(page["samples"][0]["step"].GetInt(), 2);
  EXPECT_EQ(page["samples"][0]["sample_index"].GetInt(), 0);
  // New lines are picked up on the next query.
  Append(Alpha("samples.jsonl"), SampleLine(4, "train", 104, 0, 1, "new"));
  EXPECT_EQ(Get("/api/runs/alpha/samples")["total"].GetInt(), 14);
}

TEST_F(DashboardApiTest, GroupIsEveryCompletionOfOnePrompt) {
  std::string lines;
  for (int index : {2, 0, 3, 1}) lines += SampleLine(5, "train", 42, index, index % 2, "p");
  lines += SampleLine(5, "train", 43, 0, 1, "other prompt");
  lines += SampleLine(6, "train", 42, 0, 1, "same id, next step");
  dir_.WriteFile("runs/alpha/samples.jsonl", lines);
  rapidjson::Document group = Get("/api/runs/alpha/group?step=5&split=train&prompt_id=42");
  ASSERT_EQ(group["samples"].Size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(group["samples"][i]["sample_index"].GetInt(), i);
  EXPECT_EQ(Get("/api/runs/alpha/group?step=5&prompt_id=99")["samples"].Size(), 0u);
}

TEST_F(DashboardApiTest, MalformedSampleLinesAreSkippedAndCounted) {
  dir_.WriteFile("runs/alpha/samples.jsonl",
                 SampleLine(1, "train", 1, 0, 1, "ok") + "{\"step\":\"one\",\"prompt\":\"p\"}\n" +
                     "{broken\n" + "{\"step\":1,\"prompt\":\"p\"}\n" +
                     SampleLine(1, "train", 1, 1, 0, "ok"));
  rapidjson::Document doc = Get("/api/runs/alpha/samples");
  EXPECT_EQ(doc["total"].GetInt(), 2);
  EXPECT_EQ(doc["malformed"].GetInt(), 3);
  EXPECT_STRNE(doc["first_error"].GetString(), "");
}

TEST_F(DashboardApiTest, NamesOutsideTheRunsFolderAreRefused) {
  EXPECT_THAT(Get("/api/runs/../metrics", 400)["error"].GetString(), HasSubstr("starts with '.'"));
  EXPECT_THAT(Get("/api/runs/%2e%2e/metrics", 400)["error"].GetString(), HasSubstr("starts with '.'"));
  EXPECT_THAT(Get("/api/runs/.hidden/samples", 400)["error"].GetString(), HasSubstr("starts with '.'"));
  for (const char* path : {"/api/runs/..%2F..%2Fsecret.txt/metrics", "/api/runs/..%2fsecret.txt",
                           "/assets/..%2F..%2Fsecret.txt", "/../secret.txt"}) {
    httplib::Result res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_NE(res->status, 200) << path;
    EXPECT_THAT(res->body, ::testing::Not(HasSubstr("top secret"))) << path;
  }
}

TEST_F(DashboardApiTest, UnknownRunsAndBadParametersAreErrors) {
  EXPECT_THAT(Get("/api/runs/not-a-run/metrics", 404)["error"].GetString(), HasSubstr("no run"));
  EXPECT_THAT(Get("/api/runs/gamma/samples", 404)["error"].GetString(), HasSubstr("no run"));
  EXPECT_THAT(Get("/api/runs/beta/samples", 404)["error"].GetString(), HasSubstr("samples.jsonl"));
  EXPECT_THAT(Get("/api/runs/alpha/metrics?offset=abc", 400)["error"].GetString(),
              HasSubstr("offset=\"abc\": not an integer"));
  EXPECT_THAT(Get("/api/runs/alpha/metrics?offset=-5", 400)["error"].GetString(), HasSubstr("negative"));
  dir_.WriteFile("runs/alpha/samples.jsonl", "");
  EXPECT_THAT(Get("/api/runs/alpha/samples?limit=100000", 400)["error"].GetString(),
              HasSubstr("limit <= 500"));
  EXPECT_THAT(Get("/api/runs/alpha/samples?min_reward=x", 400)["error"].GetString(),
              HasSubstr("not a number"));
  EXPECT_THAT(Get("/api/runs/alpha/samples?order=random", 400)["error"].GetString(),
              HasSubstr("newest or oldest"));
  EXPECT_THAT(Get("/api/runs/alpha/group?step=1", 400)["error"].GetString(),
              HasSubstr("prompt_id are required"));
}

TEST_F(DashboardApiTest, ServesThePageFromTheBinary) {
  httplib::Result page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(page->body, HasSubstr("/assets/app.js"));
  for (const char* asset : {"/assets/app.js", "/assets/style.css"}) {
    httplib::Result res = client_->Get(asset);
    ASSERT_TRUE(res) << asset;
    EXPECT_EQ(res->status, 200) << asset;
    EXPECT_GT(res->body.size(), 1000u) << asset;
  }
  EXPECT_EQ(client_->Get("/assets/missing.js")->status, 404);
}

TEST(DashboardServerTest, StartRefusesMissingFolderBadPortAndBusyPort) {
  TempDir dir;
  DashboardOptions options;
  options.runs_dir = dir.Path("nope");
  absl::StatusOr<std::unique_ptr<DashboardServer>> missing = DashboardServer::Start(options);
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir.Path("nope"))));
  options.runs_dir = dir.path();
  options.port = 70000;
  EXPECT_THAT(DashboardServer::Start(options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.port = 0;
  absl::StatusOr<std::unique_ptr<DashboardServer>> first = DashboardServer::Start(options);
  ASSERT_THAT(first, IsOk());
  options.port = (*first)->port();
  absl::StatusOr<std::unique_ptr<DashboardServer>> busy = DashboardServer::Start(options);
  EXPECT_THAT(busy, StatusIs(absl::StatusCode::kUnavailable));
  (*first)->Stop();
  (*first)->Stop();  // idempotent
}

TEST(JsonlChunkTest, LineWithoutNewlineWaits) {
  TempDir dir;
  std::string path = dir.WriteFile("m.jsonl", "{\"a\":1}\n{\"a\":");
  absl::StatusOr<JsonlChunk> chunk = ReadJsonlChunk(path, 0, 1 << 20);
  ASSERT_THAT(chunk, IsOk());
  EXPECT_EQ(chunk->lines, std::vector<std::string>{"{\"a\":1}"});
  EXPECT_EQ(chunk->next_offset, 8u);
  EXPECT_EQ(chunk->file_size, 13u);
  EXPECT_EQ(ReadJsonlChunk(path, 8, 1 << 20)->lines.size(), 0u);
  EXPECT_THAT(ReadJsonlChunk(dir.Path("none"), 0, 1), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace zerorl::dashboard
