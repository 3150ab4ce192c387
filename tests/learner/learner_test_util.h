// Helpers for the learner tests: a tiny random Qwen2-architecture policy and seeded batches
// of scored samples shaped like a GRPO step (groups of G completions of one prompt).
#ifndef ZERORL_TESTS_LEARNER_LEARNER_TEST_UTIL_H_
#define ZERORL_TESTS_LEARNER_LEARNER_TEST_UTIL_H_

#include <cstdint>
#include <random>
#include <vector>

#include <torch/torch.h>

#include "learner/batch.h"
#include "learner/learner.h"
#include "model/hf_config.h"
#include "model/weights.h"

namespace zerorl::learner::testing {

// Qwen2 layout (q/k/v biases, GQA 4:2, tied embeddings), small enough for finite differences.
inline model::ModelArchConfig TinyArch(int64_t vocab = 48) {
  model::ModelArchConfig c;
  c.family = model::ModelFamily::kQwen2;
  c.model_type = "qwen2";
  c.architecture = "Qwen2ForCausalLM";
  c.vocab_size = vocab;
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  c.max_position_embeddings = 128;
  c.rope_theta = 10000.0;
  c.attention_qkv_bias = true;
  c.tie_word_embeddings = true;
  c.initializer_range = 0.2;  // large enough that the policy is far from uniform
  return c;
}

inline model::CausalLM TinyModel(uint64_t seed, torch::ScalarType dtype = torch::kFloat) {
  return model::RandomModel(TinyArch(), seed, dtype, torch::kCPU);
}

// Options for exact CPU checks: fp32 compute, a known peak so nothing is measured.
inline LearnerOptions ExactOptions() {
  LearnerOptions o;
  o.compute_dtype = torch::kFloat;
  o.optimizer.lr = 1e-2;
  o.optimizer.grad_clip = 1.0;
  o.micro_batch_tokens = 64;
  o.logprob_chunk_tokens = 7;
  o.max_completion_length = 12;
  o.total_steps = 6;
  o.peak_flops = 1e12;
  return o;
}

// `groups` prompts x `group_size` completions with random tokens from `rng` (prompt 2..6
// tokens, completion 1..12) and 0/1 rewards; no rollout log-probs.
inline std::vector<Sample> RandomSamples(std::mt19937& rng, int groups, int group_size,
                                         int64_t vocab, int64_t policy_version = 0) {
  std::uniform_int_distribution<int> token(0, static_cast<int>(vocab) - 1);
  std::uniform_int_distribution<int> prompt_len(2, 6), completion_len(1, 12), coin(0, 1);
  std::vector<Sample> samples;
  for (int g = 0; g < groups; ++g) {
    std::vector<int32_t> prompt(prompt_len(rng));
    for (auto& t : prompt) t = token(rng);
    for (int i = 0; i < group_size; ++i) {
      Sample s;
      s.prompt_ids.insert(s.prompt_ids.end(), prompt.begin(), prompt.end());
      s.completion_ids.resize(completion_len(rng));
      for (auto& t : s.completion_ids) t = token(rng);
      s.reward = coin(rng);
      s.group_id = g;
      s.policy_version = policy_version;
      samples.push_back(std::move(s));
    }
  }
  return samples;
}

// The policy's own log-probs of each sample's completion (plain Forward(), no learner code)
// shifted by `offset` (capped at 0): rollout log-probs for tests.
inline void RecordRolloutLogProbs(model::CausalLMImpl& model, std::vector<Sample>& samples,
                                  float offset) {
  torch::NoGradGuard no_grad;
  for (Sample& s : samples) {
    std::vector<int64_t> ids(s.prompt_ids.begin(), s.prompt_ids.end());
    ids.insert(ids.end(), s.completion_ids.begin(), s.completion_ids.end());
    torch::Tensor logits = model.Forward(torch::tensor(ids).unsqueeze(0))[0];  // [T, V]
    torch::Tensor logp = torch::log_softmax(logits, -1);
    s.completion_logprobs.clear();
    for (size_t i = 0; i < s.completion_ids.size(); ++i) {
      int64_t pos = static_cast<int64_t>(s.prompt_ids.size() + i);
      s.completion_logprobs.push_back(std::min(0.0f, logp[pos - 1][ids[pos]].item<float>() + offset));
    }
  }
}

// The kill-and-resume recipe (resume_test.cc and its child process resume_child.cc): every
// stateful part of the learner is on (reference model, mu = 2, warmup + cosine, weight
// decay, several micro-batches) and batches are drawn from torch's default generator, so
// that an exact resume needs the optimizer, the schedule position and the RNG state.
inline LearnerOptions ResumeRecipeOptions() {
  LearnerOptions o = ExactOptions();
  o.algorithm.beta = 0.04;
  o.algorithm.num_iterations = 2;
  o.algorithm.entropy_coeff = 0.01;
  o.optimizer.schedule = config::LrSchedule::kCosine;
  o.optimizer.warmup_steps = 2;
  o.optimizer.weight_decay = 0.01;
  o.micro_batch_tokens = 40;
  o.total_steps = 6;
  return o;
}

inline std::unique_ptr<Learner> ResumeRecipeLearner() {
  auto learner = Learner::Create(ResumeRecipeOptions(), TinyModel(1), TinyModel(1));
  return learner.ok() ? std::move(learner).value() : nullptr;
}

constexpr uint64_t kResumeRecipeSeed = 1234;

// The next batch of the recipe, from torch's default generator.
inline TrainBatch ResumeRecipeBatch(int64_t policy_version) {
  std::mt19937 rng(static_cast<uint32_t>(torch::randint(1 << 30, {1}).item<int64_t>()));
  auto batch = BuildTrainBatch(RandomSamples(rng, 2, 3, 48, policy_version), BatchOptions());
  return std::move(batch).value();
}

}  // namespace zerorl::learner::testing

#endif  // ZERORL_TESTS_LEARNER_LEARNER_TEST_UTIL_H_
