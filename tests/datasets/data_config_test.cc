// The data section of the config: the keys this module reads and their checks.
#include "config/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::datasets {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

std::string Errors(const std::string& text) {
  absl::StatusOr<config::Config> config = config::LoadConfigFromSources({{"run.json", text}}, {});
  EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument));
  return std::string(config.status().message());
}

TEST(DataConfigTest, DefaultsAreSyntheticArithmetic) {
  absl::StatusOr<config::Config> config = config::LoadConfigFromSources({{"run.json", "{}"}}, {});
  ASSERT_THAT(config, IsOk());
  const config::DataConfig& d = config->data;
  EXPECT_EQ(d.train.preset, "arithmetic");
  EXPECT_EQ(d.train.Name(), "arithmetic");
  EXPECT_EQ(d.train.count, 10000);
  EXPECT_EQ(d.train.arithmetic.digits_max, 3);
  EXPECT_EQ(d.train.arithmetic.carries, config::CarryMode::kAny);
  EXPECT_TRUE(d.shuffle);
  EXPECT_EQ(d.holdout_fraction, 0.0);
  EXPECT_EQ(d.on_bad_line, config::BadLinePolicy::kSkip);
}

TEST(DataConfigTest, ReadsEveryDatasetKey) {
  absl::StatusOr<config::Config> config = config::LoadConfigFromSources({{"run.json", R"({"data": {
    "train": {"preset": "generic", "path": "t.jsonl", "name": "mine", "limit": 5,
              "fields": {"prompt": "q", "answer": "a|gold"}, "ids_file": "ids.txt",
              "system_prompt": "S", "instruction": "I", "seed": 9},
    "eval": [{"preset": "countdown", "count": 50,
              "countdown": {"numbers_min": 2, "target_max": 50}},
             {"preset": "arithmetic", "name": "arith_hard",
              "arithmetic": {"digits_min": 4, "digits_max": 6, "operators": ["*"],
                             "carries": "force", "allow_negative": true}}],
    "shuffle": false, "holdout_fraction": 0.1}})"}}, {});
  ASSERT_THAT(config, IsOk());
  const config::DataConfig& d = config->data;
  EXPECT_EQ(d.train.Name(), "mine");
  EXPECT_EQ(d.train.fields.answer, "a|gold");
  EXPECT_EQ(d.train.limit, 5);
  EXPECT_EQ(d.train.seed, 9);
  EXPECT_EQ(d.eval[0].countdown.numbers_min, 2);
  EXPECT_EQ(d.eval[1].arithmetic.operators, std::vector<std::string>{"*"});
  EXPECT_EQ(d.eval[1].arithmetic.carries, config::CarryMode::kForce);
  EXPECT_FALSE(d.shuffle);
}

TEST(DataConfigTest, KeysForAnotherPresetAreRefused) {
  EXPECT_THAT(Errors(R"({"data": {"train": {"preset": "gsm8k", "path": "g",
                          "arithmetic": {"digits_max": 5}}}})"),
              HasSubstr("data.train.arithmetic: applies to preset \"arithmetic\" only"));
  EXPECT_THAT(Errors(R"({"data": {"train": {"preset": "gsm8k", "path": "g", "count": 5}}})"),
              HasSubstr("data.train.count: applies to the synthetic presets"));
  EXPECT_THAT(Errors(R"({"data": {"train": {"preset": "arithmetic", "path": "x.jsonl"}}})"),
              HasSubstr("data.train.path: preset \"arithmetic\" is generated and reads no file"));
  EXPECT_THAT(Errors(R"({"data": {"train": {"preset": "countdown", "limit": 3}}})"),
              HasSubstr("data.train.limit: applies to JSONL presets; use count"));
}

TEST(DataConfigTest, RangesAndOperatorsAreChecked) {
  EXPECT_THAT(Errors(R"({"data": {"train": {"preset": "arithmetic",
                          "arithmetic": {"digits_max": 12}}}})"),
              HasSubstr("data.train.arithmetic.digits_max: must be <= 9, got 12"));
  EXPECT_THAT(Errors(R"({"data": {"train": {"preset": "arithmetic",
                          "arithmetic": {"operators": ["+", "/"]}}}})"),
              HasSubstr("unknown operator \"/\""));
  EXPECT_THAT(Errors(R"({"data": {"train": {"preset": "arithmetic",
                          "arithmetic": {"carries": "sometimes"}}}})"),
              HasSubstr("data.train.arithmetic.carries: unknown value \"sometimes\""));
  EXPECT_THAT(Errors(R"({"data": {"train": {"preset": "countdown",
                          "countdown": {"target_min": 10, "target_max": 5}}}})"),
              HasSubstr("data.train.countdown.target_max: must be >= target_min"));
  EXPECT_THAT(Errors(R"({"data": {"holdout_fraction": 1.0}})"),
              HasSubstr("data.holdout_fraction: must be <= 0.9"));
  EXPECT_THAT(Errors(R"({"data": {"train": {"preset": "generic", "path": "p",
                          "fields": {"promt": "q"}}}})"),
              HasSubstr("data.train.fields.promt: unknown key (did you mean \"prompt\"?)"));
}

TEST(DataConfigTest, EvalNamesMustDiffer) {
  EXPECT_THAT(Errors(R"({"data": {"eval": [{"preset": "gsm8k", "path": "a"},
                                           {"preset": "gsm8k", "path": "b"}]}})"),
              HasSubstr("data.eval[1].name: eval set name \"gsm8k\" is used twice"));
  absl::StatusOr<config::Config> ok = config::LoadConfigFromSources(
      {{"run.json", R"({"data": {"eval": [{"preset": "gsm8k", "path": "a"},
                                          {"preset": "gsm8k", "path": "b", "name": "gsm8k_b"}]}})"}},
      {});
  EXPECT_THAT(ok, IsOk());
}

TEST(DataConfigTest, ShowPrintsEveryDataKeyWithItsDefault) {
  absl::StatusOr<config::Config> config = config::LoadConfigFromSources({{"run.json", "{}"}}, {});
  ASSERT_THAT(config, IsOk());
  std::string json = config::ConfigToJson(*config);
  for (const char* key : {"\"holdout_fraction\"", "\"shuffle\"", "\"fields\"", "\"ids_file\"",
                          "\"instruction\"", "\"system_prompt\"", "\"digits_min\"",
                          "\"carries\": \"any\"", "\"numbers_max\"", "\"count\": 10000"}) {
    EXPECT_THAT(json, HasSubstr(key));
  }
}

}  // namespace
}  // namespace zerorl::datasets
