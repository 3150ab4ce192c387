// Generation-path timing of the transformer on a Qwen2.5-0.5B-shaped model (random bf16
// weights): prefill and batched decode through the KV cache, each side by side with its
// baseline, the same matmuls alone (x @ W^T over every weight matrix, LM head included, at
// the same number of rows). The ratio is what attention, norms, RoPE and cache traffic cost
// on top of the unavoidable weight products.
//
// Wall and process-CPU time are both printed; on a busy shared machine compare CPU times.
//
//   build/bench/model_forward_bench [--threads N] [--layers L] [--context C]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/cpu_features.h"
#include "model/transformer.h"
#include "model/weights.h"

namespace {

using zerorl::model::CausalLM;
using zerorl::model::KvBatch;
using zerorl::model::KvCache;
using zerorl::model::ModelArchConfig;

ModelArchConfig Qwen25HalfB(int64_t layers) {
  ModelArchConfig c;
  c.family = zerorl::model::ModelFamily::kQwen2;
  c.model_type = "qwen2";
  c.vocab_size = 151936;
  c.hidden_size = 896;
  c.intermediate_size = 4864;
  c.num_hidden_layers = layers;
  c.num_attention_heads = 14;
  c.num_key_value_heads = 2;
  c.head_dim = 64;
  c.rope_theta = 1e6;
  c.attention_qkv_bias = true;
  c.tie_word_embeddings = true;
  return c;
}

struct Timing {
  double wall_s = 0;  // per call
  double cpu_s = 0;   // per call, process CPU time: robust to other load on a shared machine
};

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

template <typename F>
Timing TimePerCall(F&& f, int repeats) {
  f();  // warm-up
  auto start = std::chrono::steady_clock::now();
  double cpu_start = CpuSeconds();
  for (int i = 0; i < repeats; ++i) f();
  Timing t;
  t.cpu_s = (CpuSeconds() - cpu_start) / repeats;
  t.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
             repeats;
  return t;
}

// The weight products alone: every layer matrix for `rows` activations, the LM head for
// `head_rows` (inputs made outside the timed loop).
Timing MatmulFloor(CausalLM& model, int64_t rows, int64_t head_rows, int repeats) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> products;  // (x, W)
  for (const auto& item : model->named_parameters()) {
    const torch::Tensor& w = item.value();
    if (w.dim() == 2 && item.key() != "model.embed_tokens.weight") {
      products.emplace_back(torch::randn({rows, w.size(1)}, w.options()), w);
    }
  }
  torch::Tensor head = model->lm_head_weight();
  products.emplace_back(torch::randn({head_rows, head.size(1)}, head.options()), head);
  torch::NoGradGuard no_grad;
  return TimePerCall(
      [&] {
        for (const auto& [x, w] : products) torch::linear(x, w);
      },
      repeats);
}

int64_t Flag(int argc, char** argv, const char* name, int64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoll(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("CPU: %s\n", zerorl::core::HostCpu().Describe().c_str());
  // One thread by default: CPU time then measures work, not OpenMP spinning.
  int64_t threads = Flag(argc, argv, "--threads", 1);
  int64_t layers = Flag(argc, argv, "--layers", 24);
  int64_t context = Flag(argc, argv, "--context", 256);
  torch::set_num_threads(threads);
  CausalLM model = zerorl::model::RandomModel(Qwen25HalfB(layers), 1, torch::kBFloat16);
  std::printf("Qwen2.5-0.5B shape, %lld layers, bf16, %lld threads, context %lld\n",
              static_cast<long long>(layers), static_cast<long long>(threads),
              static_cast<long long>(context));
  std::printf("%-24s %10s %10s %12s %12s %10s\n", "case", "wall ms", "cpu ms", "tokens/cpu-s",
              "floor cpu ms", "ratio");
  auto report = [](const std::string& name, int64_t tokens, Timing t, Timing floor) {
    std::printf("%-24s %10.1f %10.1f %12.0f %12.1f %10.2f\n", name.c_str(), t.wall_s * 1e3,
                t.cpu_s * 1e3, tokens / t.cpu_s, floor.cpu_s * 1e3, t.cpu_s / floor.cpu_s);
  };

  // Prefill: B prompts of `context` tokens, logits for the last token of each.
  for (int64_t batch : {1, 4}) {
    KvCache cache = model->NewKvCache({batch, context + 64});
    KvBatch prefill{torch::randint(0, 150000, {batch, context}), {}, {}, {}, {}};
    for (int64_t b = 0; b < batch; ++b) {
      prefill.slots.push_back(b);
      prefill.start.push_back(0);
      prefill.num_new.push_back(context);
    }
    Timing t = TimePerCall([&] { model->ForwardCached(prefill, &cache); }, 2);
    report("prefill B=" + std::to_string(batch) + " T=" + std::to_string(context),
           batch * context, t, MatmulFloor(model, batch * context, batch, 2));
  }
  // Decode: B rows, one token each, `context` tokens already cached per row.
  for (int64_t batch : {1, 8, 32, 64}) {
    KvCache cache = model->NewKvCache({batch, context + 64});
    KvBatch step{torch::randint(0, 150000, {batch, 1}), {}, {}, {}, {}};
    for (int64_t b = 0; b < batch; ++b) {
      step.slots.push_back(b);
      step.start.push_back(context);
      step.num_new.push_back(1);
    }
    Timing t = TimePerCall([&] { model->ForwardCached(step, &cache); }, 5);
    report("decode B=" + std::to_string(batch), batch, t, MatmulFloor(model, batch, batch, 5));
  }
  return 0;
}
