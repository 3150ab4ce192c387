// The engine against the tiny Qwen2/Qwen3 checkpoints of ../shared/data/models (llama.cpp
// goldens) and against the model core's own full-sequence forward.
#include "rollout/engine.h"

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/logprobs.h"
#include "tests/model/model_test_util.h"
#include "tests/testing/test_support.h"

namespace zerorl::rollout {
namespace {

using model::testing::GoldenPrompt;
using ::testing::HasSubstr;

constexpr double kFp32LogprobTolerance = 1e-5;

std::string ModelDir(const std::string& name) {
  return zerorl::testing::TestDataPath("models/" + name);
}

std::unique_ptr<Engine> LoadEngine(const std::string& name, EngineOptions options = {},
                                   torch::ScalarType dtype = torch::kFloat) {
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Load(ModelDir(name), "", {dtype, torch::kCPU}, options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

std::vector<PromptInput> GoldenPrompts(const std::vector<GoldenPrompt>& golden, uint64_t seed) {
  std::vector<PromptInput> prompts;
  for (size_t i = 0; i < golden.size(); ++i) {
    prompts.push_back({std::vector<int32_t>(golden[i].ids.begin(), golden[i].ids.end()),
                       seed + i});
  }
  return prompts;
}

GenerationParams Greedy(int64_t max_new_tokens) {
  GenerationParams params;
  params.sampling.temperature = 0.0;
  params.max_new_tokens = max_new_tokens;
  params.ignore_eos = true;
  return params;
}

std::vector<SampleOutput> Generate(Engine& engine, const std::vector<PromptInput>& prompts,
                                   const GenerationParams& params) {
  absl::StatusOr<std::vector<SampleOutput>> out = engine.Generate(prompts, params);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : std::vector<SampleOutput>{};
}

// Same ids, finish reasons and texts; log-probs within `tolerance`.
void ExpectSameSamples(const std::vector<SampleOutput>& a, const std::vector<SampleOutput>& b,
                       double tolerance) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].prompt_index, b[i].prompt_index);
    EXPECT_EQ(a[i].sample_index, b[i].sample_index);
    EXPECT_EQ(a[i].completion_ids, b[i].completion_ids) << "sample " << i;
    EXPECT_EQ(a[i].finish_reason, b[i].finish_reason) << "sample " << i;
    EXPECT_EQ(a[i].text, b[i].text) << "sample " << i;
    ASSERT_EQ(a[i].logprobs.size(), b[i].logprobs.size());
    for (size_t t = 0; t < a[i].logprobs.size(); ++t) {
      EXPECT_NEAR(a[i].logprobs[t], b[i].logprobs[t], tolerance) << "sample " << i << " token " << t;
    }
  }
}

class GoldenEngineTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ZERORL_REQUIRE_TEST_DATA();
    golden_ = model::testing::LoadGolden(GetParam());
    ASSERT_EQ(golden_.size(), 6u);
  }
  std::vector<GoldenPrompt> golden_;
};

TEST_P(GoldenEngineTest, BatchedGreedyReproducesLlamaCppTokensInFp32) {
  std::unique_ptr<Engine> engine = LoadEngine(GetParam());
  ASSERT_NE(engine, nullptr);
  std::vector<SampleOutput> out = Generate(*engine, GoldenPrompts(golden_, 1), Greedy(16));
  ASSERT_EQ(out.size(), golden_.size());
  for (size_t i = 0; i < golden_.size(); ++i) {
    std::vector<int32_t> expected(golden_[i].greedy.begin(), golden_[i].greedy.end());
    EXPECT_EQ(out[i].completion_ids, expected) << "prompt " << i;
    EXPECT_EQ(out[i].finish_reason, wire::FinishReason::kLength);
  }
}

TEST_P(GoldenEngineTest, BatchedEqualsOneAtATimeInFp32Greedy) {
  EngineOptions small;
  small.max_batch = 3;  // six prompts through three slots: slots are reused mid-batch
  std::unique_ptr<Engine> batched = LoadEngine(GetParam(), small);
  EngineOptions single;
  single.max_batch = 1;
  std::unique_ptr<Engine> alone = LoadEngine(GetParam(), single);
  ASSERT_TRUE(batched && alone);
  std::vector<PromptInput> prompts = GoldenPrompts(golden_, 1);
  std::vector<SampleOutput> together = Generate(*batched, prompts, Greedy(24));
  std::vector<SampleOutput> one_by_one;
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::vector<SampleOutput> out = Generate(*alone, {prompts[i]}, Greedy(24));
    ASSERT_EQ(out.size(), 1u);
    out[0].prompt_index = static_cast<int64_t>(i);
    one_by_one.push_back(out[0]);
  }
  ExpectSameSamples(together, one_by_one, kFp32LogprobTolerance);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, GoldenEngineTest,
                         ::testing::Values("qwen2-tiny", "qwen3-tiny"),
                         [](const auto& info) {
                           return std::string(info.param) == "qwen2-tiny" ? "Qwen2" : "Qwen3";
                         });

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZERORL_REQUIRE_TEST_DATA();
    golden_ = model::testing::LoadGolden("qwen2-tiny");
    ASSERT_EQ(golden_.size(), 6u);
    prompts_ = GoldenPrompts(golden_, 100);
  }

  static GenerationParams Sampled(int n, int64_t max_new_tokens) {
    GenerationParams params;
    params.n = n;
    params.sampling.temperature = 1.0;
    params.max_new_tokens = max_new_tokens;
    params.ignore_eos = true;
    return params;
  }

  // The log-probs of a sample's completion under a full-sequence forward of the engine's
  // model: [num_tokens_completion] float32. Autograd as the caller has it (off: the engine's
  // fast path if packed; on: the learner's ATen forward).
  torch::Tensor ForwardLogProbs(Engine& engine, const SampleOutput& s, double temperature) {
    std::vector<int64_t> ids(prompts_[s.prompt_index].ids.begin(),
                             prompts_[s.prompt_index].ids.end());
    int64_t prompt_len = static_cast<int64_t>(ids.size());
    ids.insert(ids.end(), s.completion_ids.begin(), s.completion_ids.end());
    torch::Tensor logits = engine.model()->Forward(model::testing::Row(ids))[0].detach();  // [T, V]
    int64_t n = static_cast<int64_t>(s.completion_ids.size());
    return model::TokenLogProbs(logits.narrow(0, prompt_len - 1, n),
                                torch::tensor(ids).narrow(0, prompt_len, n), temperature);
  }

  // The engine's log-probs (packed weights and fused kernels) against the learner's forward
  // (autograd on: the ATen ops), plain and with few slots and frequent EOS ids: samples end early,
  // slots are reused by later groups, and decode rows sit in non-consecutive slots.
  void ExpectLogProbsAgreeWithTheLearnersForward(torch::ScalarType dtype, double mean_limit,
                                                 double max_limit) {
    EngineOptions busy;
    busy.max_batch = 6;
    for (int32_t id = 0; id < 151936; id += 5) busy.eos_token_ids.push_back(id);
    for (const EngineOptions& options : {EngineOptions{}, busy}) {
      std::unique_ptr<Engine> engine = LoadEngine("qwen2-tiny", options, dtype);
      ASSERT_NE(engine, nullptr);
      GenerationParams params = Sampled(4, 24);
      params.ignore_eos = false;
      std::vector<SampleOutput> out = Generate(*engine, prompts_, params);
      double worst = 0, total = 0;
      int64_t count = 0;
      for (const SampleOutput& s : out) {
        torch::Tensor diff = (ForwardLogProbs(*engine, s, 1.0) - torch::tensor(s.logprobs)).abs();
        worst = std::max(worst, diff.max().item<double>());
        total += diff.sum().item<double>();
        count += diff.numel();
      }
      std::printf("%s engine (max_batch %d) vs learner forward: mean |logp diff| %.2g, max %.2g "
                  "over %lld tokens\n",
                  c10::toString(dtype), options.max_batch, total / count, worst,
                  static_cast<long long>(count));
      EXPECT_LT(total / count, mean_limit);
      EXPECT_LT(worst, max_limit);
    }
  }

  std::vector<GoldenPrompt> golden_;
  std::vector<PromptInput> prompts_;
};

TEST_F(EngineTest, SharedPrefixSamplesEqualUnsharedOnes) {
  std::unique_ptr<Engine> shared = LoadEngine("qwen2-tiny");
  EngineOptions options;
  options.share_prefix = false;
  std::unique_ptr<Engine> unshared = LoadEngine("qwen2-tiny", options);
  ASSERT_TRUE(shared && unshared);
  GenerationParams params = Sampled(4, 12);
  std::vector<SampleOutput> a = Generate(*shared, prompts_, params);
  std::vector<SampleOutput> b = Generate(*unshared, prompts_, params);
  ExpectSameSamples(a, b, kFp32LogprobTolerance);
  EXPECT_EQ(shared->stats().prefill_tokens * 4, unshared->stats().prefill_tokens);
  // The group's samples really differ from each other (one prefill, four streams).
  EXPECT_NE(a[0].completion_ids, a[1].completion_ids);
}

TEST_F(EngineTest, SeededSamplingIsReproducibleAndIndependentOfTheBatch) {
  EngineOptions options;
  options.max_batch = 5;
  std::unique_ptr<Engine> engine = LoadEngine("qwen2-tiny", options);
  ASSERT_NE(engine, nullptr);
  GenerationParams params = Sampled(3, 10);
  params.sampling.top_p = 0.9;
  std::vector<SampleOutput> all = Generate(*engine, prompts_, params);
  EXPECT_EQ(all.size(), 18u);
  // Again: identical.
  ExpectSameSamples(Generate(*engine, prompts_, params), all, 0.0);
  // Prompt 4 alone, and among other prompts in another order: the same samples.
  std::vector<SampleOutput> alone = Generate(*engine, {prompts_[4]}, params);
  std::vector<PromptInput> shuffled = {prompts_[1], prompts_[4], prompts_[0]};
  std::vector<SampleOutput> mixed = Generate(*engine, shuffled, params);
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(alone[j].completion_ids, all[4 * 3 + j].completion_ids) << j;
    EXPECT_EQ(mixed[3 + j].completion_ids, all[4 * 3 + j].completion_ids) << j;
  }
  // Another seed: other samples.
  std::vector<PromptInput> reseeded = {prompts_[4]};
  reseeded[0].seed += 1000;
  EXPECT_NE(Generate(*engine, reseeded, params)[0].completion_ids, alone[0].completion_ids);
}

TEST_F(EngineTest, LogProbsEqualTheFullSequenceForward) {
  std::unique_ptr<Engine> engine = LoadEngine("qwen2-tiny");
  ASSERT_NE(engine, nullptr);
  for (double temperature : {0.0, 0.7, 1.3}) {
    GenerationParams params = Sampled(2, 12);
    params.sampling.temperature = temperature;
    params.sampling.top_k = 50;
    std::vector<SampleOutput> out = Generate(*engine, prompts_, params);
    double worst = 0;
    for (const SampleOutput& s : out) {
      torch::NoGradGuard no_grad;
      torch::Tensor expected = ForwardLogProbs(*engine, s, temperature);
      torch::Tensor got = torch::tensor(s.logprobs);
      worst = std::max(worst, (expected - got).abs().max().item<double>());
    }
    EXPECT_LT(worst, kFp32LogprobTolerance) << "temperature " << temperature;
  }
}

TEST_F(EngineTest, StopStringCutsTheCompletionExactly) {
  std::unique_ptr<Engine> engine = LoadEngine("qwen2-tiny");
  ASSERT_NE(engine, nullptr);
  GenerationParams params = Greedy(16);
  params.stop = {".."};  // prompt 0 continues with ten '.' tokens (id 13)
  std::vector<SampleOutput> out = Generate(*engine, {prompts_[0]}, params);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].completion_ids, (std::vector<int32_t>{13, 13}));
  EXPECT_EQ(out[0].text, "..");
  EXPECT_EQ(out[0].finish_reason, wire::FinishReason::kStop);
}

TEST_F(EngineTest, EosEndsTheSampleWithTheEosIdKept) {
  EngineOptions options;
  options.eos_token_ids = {35515};  // the token prompt 0 emits after ten '.'
  absl::StatusOr<model::CausalLM> model = model::LoadModel(ModelDir("qwen2-tiny"), {torch::kFloat});
  ASSERT_TRUE(model.ok()) << model.status();
  std::unique_ptr<Engine> engine = *Engine::Create(*model, std::nullopt, options);
  GenerationParams params = Greedy(16);
  params.ignore_eos = false;
  std::vector<SampleOutput> out = Generate(*engine, {prompts_[0], prompts_[1]}, params);
  std::vector<int32_t> expected(10, 13);
  expected.push_back(35515);
  EXPECT_EQ(out[0].completion_ids, expected);
  EXPECT_EQ(out[0].finish_reason, wire::FinishReason::kStop);
  EXPECT_EQ(out[0].logprobs.size(), 11u);
  EXPECT_EQ(out[1].completion_ids.size(), 16u);  // the other prompt runs to its budget
  EXPECT_EQ(out[1].finish_reason, wire::FinishReason::kLength);
  params.ignore_eos = true;
  EXPECT_EQ(Generate(*engine, {prompts_[0]}, params)[0].completion_ids.size(), 16u);
}

TEST_F(EngineTest, ContinuousBatchingWithEarlyStopsMatchesABigBatch) {
  // Samples end at different times (EOS at varying points) while two slots are recycled; the
  // result must equal the run where everything fits at once.
  EngineOptions small, big;
  small.max_batch = 2;
  // The tiny model repeats tokens; these end prompts 0 and 1 early (see golden.json).
  small.eos_token_ids = big.eos_token_ids = {35515, 148667, 28};
  big.max_batch = 64;
  std::unique_ptr<Engine> a = LoadEngine("qwen2-tiny", small);
  std::unique_ptr<Engine> b = LoadEngine("qwen2-tiny", big);
  ASSERT_TRUE(a && b);
  GenerationParams params = Sampled(3, 20);
  params.sampling.temperature = 0.05;  // 151936 near-uniform logits: nearly greedy, not quite
  params.ignore_eos = false;
  std::vector<SampleOutput> slow = Generate(*a, prompts_, params);
  std::vector<SampleOutput> fast = Generate(*b, prompts_, params);
  ExpectSameSamples(slow, fast, kFp32LogprobTolerance);
  std::set<size_t> lengths;
  for (const SampleOutput& s : slow) lengths.insert(s.completion_ids.size());
  EXPECT_GE(lengths.size(), 2u);  // the lengths really differ
}

TEST_F(EngineTest, ChunkedPrefillEqualsOneShotPrefill) {
  EngineOptions chunked;
  chunked.max_prefill_tokens = 7;  // the 200-token prompt in 29 pieces
  std::unique_ptr<Engine> a = LoadEngine("qwen2-tiny", chunked);
  std::unique_ptr<Engine> b = LoadEngine("qwen2-tiny");
  ASSERT_TRUE(a && b);
  GenerationParams params = Sampled(2, 8);
  ExpectSameSamples(Generate(*a, prompts_, params), Generate(*b, prompts_, params),
                    kFp32LogprobTolerance);
}

TEST_F(EngineTest, WeightUpdateTakesEffectWithItsVersion) {
  std::unique_ptr<Engine> engine = LoadEngine("qwen2-tiny");
  ASSERT_NE(engine, nullptr);
  std::vector<SampleOutput> before = Generate(*engine, prompts_, Greedy(8));
  EXPECT_EQ(before[0].policy_version, 0);
  model::CausalLM other =
      model::RandomModel(engine->model()->config(), /*seed=*/9, torch::kFloat);
  ASSERT_TRUE(engine->UpdateWeights(model::StateDict(*other), 7).ok());
  EXPECT_EQ(engine->policy_version(), 7);
  std::vector<SampleOutput> after = Generate(*engine, prompts_, Greedy(8));
  EXPECT_EQ(after[0].policy_version, 7);
  // (Random tied-embedding models tend to repeat the last token, so compare the log-probs.)
  EXPECT_GT(std::fabs(after[5].logprobs[0] - before[5].logprobs[0]), 1e-3);
  // The same weights as a fresh engine with them: the same samples.
  std::unique_ptr<Engine> fresh = *Engine::Create(other, std::nullopt, {});
  std::vector<SampleOutput> reference = Generate(*fresh, prompts_, Greedy(8));
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].completion_ids, reference[i].completion_ids);
  }
}

TEST_F(EngineTest, BadWeightUpdateLeavesWeightsAndVersionAlone) {
  std::unique_ptr<Engine> engine = LoadEngine("qwen2-tiny");
  ASSERT_NE(engine, nullptr);
  std::vector<SampleOutput> before = Generate(*engine, {prompts_[5]}, Greedy(8));
  model::TensorMap tensors = model::StateDict(*engine->model());
  tensors.erase("model.norm.weight");
  absl::Status status = engine->UpdateWeights(tensors, 3);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("model.norm.weight"));
  EXPECT_EQ(engine->policy_version(), 0);
  EXPECT_EQ(Generate(*engine, {prompts_[5]}, Greedy(8))[0].completion_ids,
            before[0].completion_ids);
}

// In bf16 the engine runs packed oneDNN matmuls and fused kernels while the learner's
// training forward (autograd on) runs ATen. The matmuls, RMSNorm and RoPE give the same bits,
// the exp of SwiGLU and the softmax rarely tips a rounding, and the decode attention adds its
// products in another order, so the log-probs differ in their last bits, rarely.
TEST_F(EngineTest, Bf16LogProbsAgreeWithTheLearnersForward) {
  ExpectLogProbsAgreeWithTheLearnersForward(torch::kBFloat16, 1e-3, 0.05);
}

TEST_F(EngineTest, Fp32LogProbsAgreeWithTheLearnersForward) {
  ExpectLogProbsAgreeWithTheLearnersForward(torch::kFloat, 1e-5, 1e-4);
}

TEST_F(EngineTest, Bf16GenerationStaysCloseToFp32) {
  std::unique_ptr<Engine> bf16 = LoadEngine("qwen2-tiny", {}, torch::kBFloat16);
  std::unique_ptr<Engine> fp32 = LoadEngine("qwen2-tiny");
  ASSERT_TRUE(bf16 && fp32);
  std::vector<SampleOutput> a = Generate(*bf16, prompts_, Greedy(1));
  std::vector<SampleOutput> b = Generate(*fp32, prompts_, Greedy(1));
  for (size_t i = 0; i < a.size(); ++i) {
    // The first greedy token where llama.cpp's margin is far above bf16 noise.
    if (golden_[i].margins[0] > 0.05) {
      EXPECT_EQ(a[i].completion_ids, b[i].completion_ids) << i;
    }
    EXPECT_NEAR(a[i].logprobs[0], b[i].logprobs[0], 2e-2) << i;
  }
}

TEST_F(EngineTest, EmptyPromptIsRefused) {
  std::unique_ptr<Engine> engine = LoadEngine("qwen2-tiny");
  ASSERT_NE(engine, nullptr);
  absl::StatusOr<std::vector<SampleOutput>> out =
      engine->Generate({prompts_[0], PromptInput{}}, Greedy(4));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("prompt 1 is empty"));
}

TEST_F(EngineTest, TokenOutsideTheVocabularyIsRefused) {
  std::unique_ptr<Engine> engine = LoadEngine("qwen2-tiny");
  ASSERT_NE(engine, nullptr);
  PromptInput bad{{1, 2, 151936}, 0};
  absl::StatusOr<std::vector<SampleOutput>> out = engine->Generate({bad}, Greedy(4));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("prompt 0 token 2: id 151936 outside [0, 151936)"));
}

TEST_F(EngineTest, PromptLongerThanTheFixedSlotIsRefused) {
  EngineOptions options;
  options.max_seq_len = 64;
  std::unique_ptr<Engine> engine = LoadEngine("qwen2-tiny", options);
  ASSERT_NE(engine, nullptr);
  absl::StatusOr<std::vector<SampleOutput>> out = engine->Generate({prompts_[5]}, Greedy(4));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("exceed max_seq_len 64"));
  EXPECT_TRUE(engine->Generate({prompts_[0]}, Greedy(4)).ok());
}

TEST_F(EngineTest, StopStringsWithoutATokenizerAreRefused) {
  absl::StatusOr<model::CausalLM> model = model::LoadModel(ModelDir("qwen2-tiny"), {torch::kFloat});
  ASSERT_TRUE(model.ok());
  std::unique_ptr<Engine> engine = *Engine::Create(*model, std::nullopt, {});
  GenerationParams params = Greedy(4);
  params.stop = {"</answer>"};
  absl::StatusOr<std::vector<SampleOutput>> out = engine->Generate({prompts_[0]}, params);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("stop strings need a tokenizer"));
}

TEST_F(EngineTest, BadParamsAreRefusedBeforeAnythingRuns) {
  std::unique_ptr<Engine> engine = LoadEngine("qwen2-tiny");
  ASSERT_NE(engine, nullptr);
  GenerationParams params = Greedy(4);
  params.n = 0;
  EXPECT_THAT(engine->Generate({prompts_[0]}, params).status().message(),
              HasSubstr("n must be >= 1"));
  params = Greedy(0);
  EXPECT_THAT(engine->Generate({prompts_[0]}, params).status().message(),
              HasSubstr("max_new_tokens must be >= 1"));
  params = Greedy(4);
  params.sampling.top_p = 0;
  EXPECT_THAT(engine->Generate({prompts_[0]}, params).status().message(),
              HasSubstr("top_p must be in (0, 1]"));
}

TEST(EngineOptionsTest, BadOptionsAreRefused) {
  model::ModelArchConfig config;
  config.vocab_size = 16;
  config.hidden_size = 8;
  config.intermediate_size = 16;
  config.num_hidden_layers = 1;
  config.num_attention_heads = 2;
  config.num_key_value_heads = 1;
  config.head_dim = 4;
  model::CausalLM model = model::RandomModel(config, 1);
  EngineOptions options;
  options.max_batch = 0;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(model, std::nullopt, options);
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(engine.status().message(), HasSubstr("max_batch must be >= 1"));
  options = {};
  options.max_prefill_tokens = 0;
  EXPECT_THAT(Engine::Create(model, std::nullopt, options).status().message(),
              HasSubstr("max_prefill_tokens >= 1"));
}

}  // namespace
}  // namespace zerorl::rollout
