#include "config/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace zerorl::config {
namespace {

using ::testing::HasSubstr;
using ::zerorl::testing::IsOk;
using ::zerorl::testing::StatusIs;

absl::StatusOr<Config> Load(const std::string& text, std::vector<std::string> overrides = {}) {
  return LoadConfigFromSources({{"run.json", text}}, overrides);
}

std::string Errors(const std::string& text, std::vector<std::string> overrides = {}) {
  absl::StatusOr<Config> config = Load(text, overrides);
  EXPECT_THAT(config, StatusIs(absl::StatusCode::kInvalidArgument));
  return std::string(config.status().message());
}

TEST(ConfigTest, EmptyObjectGivesTheDocumentedDefaults) {
  absl::StatusOr<Config> config = Load("{}");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->run.steps, 200);
  EXPECT_EQ(config->rollout.sampling.n, 8);
  EXPECT_EQ(config->rollout.sampling.stop, std::vector<std::string>{"</answer>"});
  EXPECT_EQ(config->learner.algorithm.loss_agg, LossAggregation::kTokenMean);
  EXPECT_DOUBLE_EQ(config->learner.algorithm.epsilon_high, 0.28);
  EXPECT_EQ(config->model.dtype, DType::kAuto);
  EXPECT_EQ(config->learner.compute_dtype, DType::kAuto);
}

TEST(ConfigTest, ReadsEverySectionTyped) {
  absl::StatusOr<Config> config = Load(R"({
    "run": {"name": "r", "steps": 7, "mode": "async", "max_staleness": 2},
    "model": {"path": "m", "dtype": "fp32", "device": "cuda:1", "threads": 2},
    "data": {"train": {"preset": "gsm8k", "path": "g.jsonl"},
             "eval": [{"preset": "math500", "path": "m.jsonl"}], "template": "chatml"},
    "rollout": {"sampling": {"n": 4, "temperature": 0.7, "stop": "</answer>"}},
    "reward": {"functions": [{"name": "math_accuracy"}, {"name": "format", "weight": 0.5}]},
    "learner": {"algorithm": {"advantage": "rloo", "kl_estimator": "k1", "beta": 0.04},
                "optimizer": {"betas": [0.9, 0.95], "schedule": "cosine"}},
    "cluster": {"spawn": false, "endpoint": "tcp://10.0.0.1:5555"},
  })");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->run.mode, RunMode::kAsync);
  EXPECT_EQ(config->model.dtype, DType::kFloat32);
  EXPECT_EQ(config->data.eval.size(), 1u);
  EXPECT_EQ(config->data.template_name, "chatml");
  EXPECT_EQ(config->rollout.sampling.stop.size(), 1u);
  EXPECT_DOUBLE_EQ(config->reward.functions[0].weight, 1.0);
  EXPECT_DOUBLE_EQ(config->reward.functions[1].weight, 0.5);
  EXPECT_EQ(config->learner.algorithm.advantage, AdvantageEstimator::kRloo);
  EXPECT_EQ(config->learner.optimizer.schedule, LrSchedule::kCosine);
  EXPECT_FALSE(config->cluster.spawn);
}

TEST(ConfigTest, UnknownKeySuggestsTheClosestName) {
  std::string e = Errors("{\"rollout\": {\"sampling\": {\n\"temprature\": 0.7}}}");
  EXPECT_THAT(e, HasSubstr("run.json:2: rollout.sampling.temprature: unknown key "
                           "(did you mean \"temperature\"?)"));
}

TEST(ConfigTest, UnknownSectionIsAnError) {
  EXPECT_THAT(Errors("{\"rollouts\": {}}"),
              HasSubstr("rollouts: unknown key (did you mean \"rollout\"?)"));
}

TEST(ConfigTest, WrongTypeNamesKeyPathAndLine) {
  std::string e = Errors("{\n\"run\": {\n  \"steps\": \"ten\"\n}}");
  EXPECT_THAT(e, HasSubstr("run.json:3: run.steps: must be an integer, got a string"));
}

TEST(ConfigTest, FractionalIntegerIsAWrongType) {
  EXPECT_THAT(Errors("{\"rollout\": {\"sampling\": {\"n\": 2.5}}}"),
              HasSubstr("rollout.sampling.n: must be an integer"));
}

TEST(ConfigTest, OutOfRangeNamesTheBound) {
  std::string e = Errors("{\"rollout\": {\"sampling\": {\"temperature\": -1}}}");
  EXPECT_THAT(e, HasSubstr("run.json:1: rollout.sampling.temperature: must be >= 0, got -1"));
  EXPECT_THAT(Errors("{\"rollout\": {\"sampling\": {\"top_p\": 0}}}"),
              HasSubstr("rollout.sampling.top_p: must be > 0, got 0"));
}

TEST(ConfigTest, SampledEvaluationNeedsATemperature) {
  EXPECT_THAT(Errors("{\"run\": {\"eval_samples\": 8}}"),
              HasSubstr("run.eval_temperature: must be > 0 when eval_samples > 1"));
  EXPECT_THAT(Errors("{\"run\": {\"eval_samples\": 0}}"),
              HasSubstr("run.eval_samples: must be >= 1, got 0"));
}

TEST(ConfigTest, BadEnumValueListsTheChoices) {
  EXPECT_THAT(Errors("{\"run\": {\"mode\": \"asink\"}}"),
              HasSubstr("run.mode: unknown value \"asink\" (did you mean \"async\"?); one of: "
                        "sync, async"));
}

TEST(ConfigTest, MissingRequiredKeyIsNamed) {
  std::string e = Errors("{\"reward\": {\"functions\": [{\"weight\": 1.0}]}}");
  EXPECT_THAT(e, HasSubstr("reward.functions[0].name: required key is missing"));
  EXPECT_THAT(Errors("{\"data\": {\"train\": {\"preset\": \"gsm8k\"}}}"),
              HasSubstr("data.train.path: required for preset \"gsm8k\""));
}

TEST(ConfigTest, MalformedJsonGivesFileAndLine) {
  EXPECT_THAT(Errors("{\n\"run\": {\n\"steps\": 3,,\n}}"), HasSubstr("run.json:3:"));
}

TEST(ConfigTest, ReportsEveryProblemNotJustTheFirst) {
  std::string e = Errors(R"({
    "run": {"steps": -1},
    "rollout": {"sampling": {"temprature": 1}},
    "model": {"dtype": "int8"}
  })");
  EXPECT_THAT(e, HasSubstr("run.steps"));
  EXPECT_THAT(e, HasSubstr("rollout.sampling.temprature"));
  EXPECT_THAT(e, HasSubstr("model.dtype"));
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 2);
}

TEST(ConfigTest, LayeredFilesMergeObjectsAndLaterWins) {
  absl::StatusOr<Config> config = LoadConfigFromSources(
      {{"base.json", "{\"run\": {\"steps\": 5, \"name\": \"base\"}, \"rollout\": {\"sampling\": {\"stop\": [\"a\", \"b\"]}}}"},
       {"top.json", "{\"run\": {\"steps\": 9}, \"rollout\": {\"sampling\": {\"stop\": [\"c\"]}}}"}},
      {});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->run.steps, 9);
  EXPECT_EQ(config->run.name, "base");
  EXPECT_EQ(config->rollout.sampling.stop, std::vector<std::string>{"c"});  // lists replace
}

TEST(ConfigTest, ErrorsPointAtTheLayerThatSetTheValue) {
  auto config = LoadConfigFromSources(
      {{"base.json", "{\"run\": {\"steps\": 5}}"}, {"top.json", "{\n\"run\": {\"steps\": -2}}"}},
      {});
  ASSERT_THAT(config,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("top.json:2: run.steps")));
}

TEST(ConfigTest, SetOverridesParseJsonOrBareWords) {
  absl::StatusOr<Config> config =
      Load("{}", {"run.steps=12", "run.name=exp1", "rollout.sampling.stop=[\"x\",\"y\"]",
                  "cluster.spawn=false", "data.eval=[{\"preset\":\"gsm8k\",\"path\":\"t\"}]",
                  "data.eval[0].path=u"});
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->run.steps, 12);
  EXPECT_EQ(config->run.name, "exp1");
  EXPECT_EQ(config->rollout.sampling.stop.size(), 2u);
  EXPECT_FALSE(config->cluster.spawn);
  EXPECT_EQ(config->data.eval.at(0).path, "u");
}

TEST(ConfigTest, BadSetIsAnErrorThatQuotesIt) {
  EXPECT_THAT(Errors("{}", {"run.steps"}), HasSubstr("--set run.steps: expected KEY=VALUE"));
  EXPECT_THAT(Errors("{}", {"run..steps=1"}), HasSubstr("malformed key"));
  EXPECT_THAT(Errors("{\"run\": {\"steps\": 3}}", {"run.steps.x=1"}),
              HasSubstr("\"run.steps\" is not an object"));
  EXPECT_THAT(Errors("{}", {"rollout.sampling.temprature=1"}),
              HasSubstr("--set rollout.sampling.temprature=1: rollout.sampling.temprature: "
                        "unknown key (did you mean \"temperature\"?)"));
  EXPECT_THAT(Errors("{}", {"run.steps=many"}),
              HasSubstr("--set run.steps=many: run.steps: must be an integer, got a string"));
  EXPECT_THAT(Errors("{}", {"data.eval[3].path=x"}), HasSubstr("has no element 3"));
}

TEST(ConfigTest, ResolvedJsonRoundTripsToTheSameConfig) {
  absl::StatusOr<Config> config = Load("{\"run\": {\"steps\": 3, \"mode\": \"async\"}}",
                                       {"learner.optimizer.lr=3e-6"});
  ASSERT_THAT(config, IsOk());
  std::string json = ConfigToJson(*config);
  EXPECT_THAT(json, HasSubstr("\"mode\": \"async\""));
  EXPECT_THAT(json, HasSubstr("\"temperature\": 1.0"));  // defaults are written too
  absl::StatusOr<Config> again = Load(json);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(ConfigToJson(*again), json);
}

TEST(ConfigTest, LearnerRanksAndShardingAreReadWithTheirDefaults) {
  absl::StatusOr<Config> defaults = Load("{}");
  ASSERT_THAT(defaults, IsOk());
  EXPECT_EQ(defaults->cluster.learner_ranks, 1);
  EXPECT_EQ(defaults->cluster.learner_master, "");
  EXPECT_FALSE(defaults->learner.shard_optimizer);
  EXPECT_DOUBLE_EQ(defaults->learner.collective_timeout_s, 300.0);
  absl::StatusOr<Config> config =
      Load("{\"cluster\": {\"learner_ranks\": 2, \"learner_master\": \"10.200.0.1:29500\"},"
           " \"learner\": {\"shard_optimizer\": true, \"collective_timeout_s\": 20}}");
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->cluster.learner_ranks, 2);
  EXPECT_EQ(config->cluster.learner_master, "10.200.0.1:29500");
  EXPECT_TRUE(config->learner.shard_optimizer);
  EXPECT_DOUBLE_EQ(config->learner.collective_timeout_s, 20.0);
  std::string json = ConfigToJson(*config);
  EXPECT_THAT(json, HasSubstr("\"learner_ranks\": 2"));
  EXPECT_THAT(json, HasSubstr("\"shard_optimizer\": true"));
}

TEST(ConfigTest, BadLearnerRanksAndMasterAreNamed) {
  EXPECT_THAT(Errors("{\"cluster\": {\"learner_ranks\": 0}}"),
              HasSubstr("cluster.learner_ranks: must be >= 1, got 0"));
  EXPECT_THAT(Errors("{\"cluster\": {\"learner_master\": \"node1\"}}"),
              HasSubstr("cluster.learner_master: must be HOST:PORT (port 1-65535) or empty, "
                        "got \"node1\""));
  EXPECT_THAT(Errors("{\"cluster\": {\"learner_master\": \"node1:99999\"}}"),
              HasSubstr("cluster.learner_master: must be HOST:PORT"));
  EXPECT_THAT(Errors("{\"learner\": {\"collective_timeout_s\": 0}}"),
              HasSubstr("learner.collective_timeout_s: must be > 0, got 0"));
}

TEST(SplitHostPortTest, HostsPortsAndIpv6) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(SplitHostPort("10.200.0.1:29500", &host, &port));
  EXPECT_EQ(host, "10.200.0.1");
  EXPECT_EQ(port, 29500);
  ASSERT_TRUE(SplitHostPort("[::1]:80", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(SplitHostPort("node", &host, &port));
  EXPECT_FALSE(SplitHostPort(":80", &host, &port));
  EXPECT_FALSE(SplitHostPort("node:", &host, &port));
  EXPECT_FALSE(SplitHostPort("node:0", &host, &port));
  EXPECT_FALSE(SplitHostPort("node:8x", &host, &port));
}

TEST(ConfigTest, TopLevelMustBeAnObject) {
  EXPECT_THAT(Errors("[1, 2]"), HasSubstr("run.json: the top level must be a JSON object"));
}

TEST(SuggestKeyTest, OnlyCloseNamesAreSuggested) {
  EXPECT_EQ(SuggestKey("temprature", {"temperature", "top_p"}), "temperature");
  EXPECT_EQ(SuggestKey("zzzzzz", {"temperature", "top_p"}), "");
}

}  // namespace
}  // namespace zerorl::config
