// How far the rollout engine's per-token log-probs are from the learner's: the engine samples
// from a model folder (a checkpoint of a run) and every sampled token is scored again by the
// learner's own log-prob function (autograd on, ATen ops: what the learner runs), side
// by side for the fast path (packed oneDNN weights and fused bf16 kernels) and the plain
// ATen path, whose model outputs are the learner's bits (what remains there is the sampler's
// own float32 log-softmax against ATen's, ~1e-6). The prompts are the quickstart's: 3-digit additions
// in the r1 template with its system prompt, groups of --n samples at temperature 1, stopped
// at </answer>.
//
//   build/bench/logprob_bench --model runs/quickstart/checkpoints/step-200 [--prompts 16]
//                             [--n 8] [--rounds 2] [--new 64] [--threads 2] [--dtype bf16]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/cpu_features.h"
#include "datasets/synthetic.h"
#include "learner/logprobs.h"
#include "model/weights.h"
#include "rollout/engine.h"
#include "tokenizer/templates.h"

namespace {

using zerorl::rollout::Engine;
using zerorl::rollout::GenerationParams;
using zerorl::rollout::PromptInput;
using zerorl::rollout::SampleOutput;

const char* StringFlag(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

int64_t Flag(int argc, char** argv, const char* name, int64_t fallback) {
  const char* value = StringFlag(argc, argv, name, nullptr);
  return value == nullptr ? fallback : std::atoll(value);
}

struct Agreement {
  int64_t tokens = 0;
  double total = 0;      // sum of |engine - learner| over the tokens
  double worst = 0;
  int64_t above_0_01 = 0;  // tokens more than 0.01 nats apart
  int64_t above_0_1 = 0;
};

// The learner's log-probs of `sample` under `model`: its own function
// (learner::ComputeSequenceLogProbs) over the prompt and completion, autograd on, the LM head
// in the model's dtype as the learner's compute_dtype runs it.
torch::Tensor LearnerLogProbs(zerorl::model::CausalLM& model, const PromptInput& prompt,
                              const SampleOutput& sample) {
  std::vector<int64_t> ids(prompt.ids.begin(), prompt.ids.end());
  const int64_t prompt_len = static_cast<int64_t>(ids.size());
  ids.insert(ids.end(), sample.completion_ids.begin(), sample.completion_ids.end());
  const int64_t n = static_cast<int64_t>(sample.completion_ids.size());
  torch::Tensor input_ids = torch::tensor(ids).view({1, -1});  // [1, T]
  torch::Tensor mask = torch::zeros(input_ids.sizes(), torch::kFloat);
  mask.narrow(1, prompt_len, n).fill_(1.0);  // the completion's positions
  zerorl::learner::LmHeadLogProbsOptions options;
  options.with_entropy = false;
  options.compute_dtype = model->dtype();
  torch::Tensor logprobs = zerorl::learner::ComputeSequenceLogProbs(
                               *model, input_ids, torch::ones_like(input_ids), mask, options)
                               .logprobs;  // [1, T]
  return logprobs[0].narrow(0, prompt_len, n).detach();
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("CPU: %s\n", zerorl::core::HostCpu().Describe().c_str());
  const char* model_dir = StringFlag(argc, argv, "--model", nullptr);
  if (model_dir == nullptr) {
    std::fprintf(stderr, "usage: logprob_bench --model DIR [--prompts 16] [--n 8] [--rounds 2] "
                         "[--new 64] [--threads 2] [--dtype bf16|fp32]\n");
    return 2;
  }
  const int prompts_per_round = static_cast<int>(Flag(argc, argv, "--prompts", 16));
  const int rounds = static_cast<int>(Flag(argc, argv, "--rounds", 2));
  const std::string dtype_name = StringFlag(argc, argv, "--dtype", "bf16");
  const torch::ScalarType dtype = dtype_name == "fp32" ? torch::kFloat : torch::kBFloat16;
  at::set_num_threads(static_cast<int>(Flag(argc, argv, "--threads", 2)));
  GenerationParams params;
  params.n = static_cast<int>(Flag(argc, argv, "--n", 8));
  params.sampling.temperature = 1.0;
  params.max_new_tokens = Flag(argc, argv, "--new", 64);
  params.stop = {"</answer>"};

  absl::StatusOr<zerorl::model::CausalLM> learner = zerorl::model::LoadModel(model_dir, {dtype});
  absl::StatusOr<zerorl::tokenizer::PromptTemplate> r1 =
      zerorl::tokenizer::PromptTemplate::FromName("r1");
  zerorl::config::ArithmeticConfig arithmetic;
  arithmetic.digits_min = arithmetic.digits_max = 3;
  arithmetic.operators = {"+"};
  absl::StatusOr<std::vector<zerorl::datasets::ArithmeticProblem>> problems =
      zerorl::datasets::GenerateArithmetic(arithmetic, /*seed=*/7, prompts_per_round * rounds);
  if (!learner.ok() || !r1.ok() || !problems.ok()) {
    std::fprintf(stderr, "%s\n", std::string((!learner.ok() ? learner.status()
                                              : !r1.ok()    ? r1.status()
                                                            : problems.status())
                                                 .message())
                                     .c_str());
    return 1;
  }
  std::printf("%s, %s, %d rounds of %d prompts x %d samples (3-digit additions, r1 template), "
              "temperature 1, up to %lld new tokens\n\n",
              model_dir, dtype_name.c_str(), rounds, prompts_per_round, params.n,
              static_cast<long long>(params.max_new_tokens));
  std::printf("| engine path | tokens | mean abs diff (nats) | max | tokens > 0.01 | > 0.1 |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (bool fast : {false, true}) {
    zerorl::rollout::EngineOptions options;
    options.max_batch = 128;  // the quickstart's
    options.pack_weights = fast;
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Load(model_dir, "", {dtype, torch::kCPU}, options);
    if (!engine.ok()) {
      std::fprintf(stderr, "%s\n", std::string(engine.status().message()).c_str());
      return 1;
    }
    if (!(*engine)->tokenizer()) {
      std::fprintf(stderr, "%s: no tokenizer.json (the prompts are text)\n", model_dir);
      return 1;
    }
    const zerorl::tokenizer::Tokenizer& tokenizer = *(*engine)->tokenizer();
    Agreement a;
    for (int round = 0; round < rounds; ++round) {
      std::vector<PromptInput> prompts;
      for (int i = 0; i < prompts_per_round; ++i) {
        const zerorl::datasets::ArithmeticProblem& p = (*problems)[round * prompts_per_round + i];
        std::string text = r1->Render(
            "Think in <think> </think>, answer in <answer> </answer>.",
            zerorl::datasets::ArithmeticPrompt(p), "");
        std::vector<int32_t> ids = tokenizer.Encode(text);
        prompts.push_back({ids, static_cast<uint64_t>(1000 * round + i)});
      }
      absl::StatusOr<std::vector<SampleOutput>> samples = (*engine)->Generate(prompts, params);
      if (!samples.ok()) {
        std::fprintf(stderr, "%s\n", std::string(samples.status().message()).c_str());
        return 1;
      }
      for (const SampleOutput& s : *samples) {
        torch::Tensor diff = (LearnerLogProbs(*learner, prompts[s.prompt_index], s) -
                              torch::tensor(s.logprobs))
                                 .abs();
        a.tokens += diff.numel();
        a.total += diff.sum().item<double>();
        a.worst = std::max(a.worst, diff.max().item<double>());
        a.above_0_1 += (diff > 0.1).sum().item<int64_t>();
        a.above_0_01 += (diff > 0.01).sum().item<int64_t>();
      }
    }
    std::printf("| %s | %lld | %.1e | %.1e | %lld | %lld |\n",
                fast ? "fast (packed + fused kernels)" : "ATen (rollout.fast_cpu: false)",
                static_cast<long long>(a.tokens), a.total / std::max<int64_t>(1, a.tokens),
                a.worst, static_cast<long long>(a.above_0_01),
                static_cast<long long>(a.above_0_1));
  }
  return 0;
}
