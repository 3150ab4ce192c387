// Helpers shared by the transformer tests: the llama.cpp goldens of ../shared/data/models,
// small random configs of each family, greedy decoding through the KV cache, and a plain
// float64 reference forward written independently of model/ (per-head loops, explicit pair
// rotations) for the families the goldens do not cover.
#ifndef ZERORL_TESTS_MODEL_MODEL_TEST_UTIL_H_
#define ZERORL_TESTS_MODEL_MODEL_TEST_UTIL_H_

#include <cmath>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "core/json.h"
#include "model/hf_config.h"
#include "model/kv_cache.h"
#include "model/safetensors.h"
#include "model/transformer.h"
#include "tests/testing/test_support.h"

namespace zerorl::model::testing {

struct GoldenStep {
  std::vector<int64_t> ids;  // top-20 ids, highest first
  std::vector<float> values;
};

struct GoldenPrompt {
  std::vector<int64_t> ids;
  std::vector<int64_t> greedy;            // 16 tokens
  std::vector<float> margins;             // top1 - top2 at each greedy step
  std::vector<GoldenStep> steps;          // KV-path logits that chose greedy[k]
  torch::Tensor last;                     // [V] float32, full forward at the last prompt token
  torch::Tensor all;                      // [T, V] float32 for prompts 0 and 1, else undefined
};

inline std::vector<int64_t> Ints(const rapidjson::Value& array) {
  std::vector<int64_t> out;
  for (const auto& v : array.GetArray()) out.push_back(v.GetInt64());
  return out;
}

inline std::vector<float> Floats(const rapidjson::Value& array) {
  std::vector<float> out;
  for (const auto& v : array.GetArray()) out.push_back(static_cast<float>(v.GetDouble()));
  return out;
}

// The goldens of models/NAME (empty when the fixtures are absent).
inline std::vector<GoldenPrompt> LoadGolden(const std::string& name) {
  std::string dir = zerorl::testing::TestDataPath("models/" + name);
  std::vector<GoldenPrompt> prompts;
  absl::StatusOr<std::string> text = core::ReadFile(dir + "/golden.json");
  if (!text.ok()) return prompts;
  rapidjson::Document doc = *core::ParseJson(*text);
  SafetensorsFile logits = *SafetensorsFile::Open(dir + "/golden_logits.safetensors");
  for (const auto& p : doc["prompts"].GetArray()) {
    GoldenPrompt prompt;
    prompt.ids = Ints(p["ids"]);
    prompt.greedy = Ints(p["greedy"]);
    prompt.margins = Floats(p["greedy_top1_margin"]);
    for (const auto& step : p["greedy_steps_top20"].GetArray()) {
      prompt.steps.push_back({Ints(step["ids"]), Floats(step["values"])});
    }
    std::string index = std::to_string(p["index"].GetInt());
    prompt.last = *logits.Tensor("prompt" + index + "_last");
    absl::StatusOr<torch::Tensor> all = logits.Tensor("prompt" + index + "_all");
    if (all.ok()) prompt.all = *all;
    prompts.push_back(std::move(prompt));
  }
  return prompts;
}

inline torch::Tensor Row(const std::vector<int64_t>& ids) {
  return torch::tensor(ids, torch::kLong).unsqueeze(0);  // [1, T]
}

inline double MaxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// Argmax with ties to the lowest id, as the goldens define greedy.
inline int64_t Greedy(const torch::Tensor& logits) {
  return logits.argmax(-1).item<int64_t>();
}

// Prefill `prompt` into slot `slot` (last logits only), then `steps` single-token greedy
// decodes. Returns [steps + 1 ... ] logits rows: row k chose token k; *tokens gets the tokens.
inline torch::Tensor GreedyThroughCache(CausalLMImpl& model, KvCache* cache, int64_t slot,
                                        const std::vector<int64_t>& prompt, int64_t steps,
                                        std::vector<int64_t>* tokens,
                                        const std::vector<int64_t>* forced = nullptr) {
  int64_t length = prompt.size();
  KvBatch prefill{Row(prompt), {slot}, {0}, {length}, {1}};
  std::vector<torch::Tensor> rows = {model.ForwardCached(prefill, cache)[0]};
  tokens->clear();
  for (int64_t k = 0; k < steps; ++k) {
    int64_t next = forced != nullptr ? (*forced)[k] : Greedy(rows.back());
    tokens->push_back(next);
    if (k + 1 == steps) break;
    KvBatch step{Row({next}), {slot}, {length + k}, {1}, {}};
    rows.push_back(model.ForwardCached(step, cache)[0]);
  }
  return torch::stack(rows);
}

// A small Llama-3-style config: GQA 4:1, llama3 rope scaling active at these positions, untied
// lm_head, no biases. initializer_range is large enough that attention is far from uniform,
// so position bugs move the logits visibly.
inline ModelArchConfig TinyLlama3Config() {
  ModelArchConfig c;
  c.family = ModelFamily::kLlama;
  c.model_type = "llama";
  c.architecture = "LlamaForCausalLM";
  c.vocab_size = 512;
  c.hidden_size = 64;
  c.intermediate_size = 96;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 1;
  c.head_dim = 16;
  c.max_position_embeddings = 512;
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 500000.0;
  c.rope_scaling = {RopeScalingType::kLlama3, 8.0, 1.0, 4.0, 64};
  c.tie_word_embeddings = false;
  c.initializer_range = 0.15;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  return c;
}

// TinyLlama3Config() reshaped into another family: "qwen2" (q/k/v bias, tied), "qwen3"
// (q/k norm, explicit head_dim != hidden / heads, attention_bias on q/k/v/o), "mistral"
// (sliding window of 5 on every layer), or "llama3".
inline ModelArchConfig TinyConfig(const std::string& family) {
  ModelArchConfig c = TinyLlama3Config();
  if (family == "llama3") return c;
  c.rope_scaling = {};
  c.rope_theta = 10000.0;
  c.num_key_value_heads = 2;
  if (family == "qwen2") {
    c.family = ModelFamily::kQwen2;
    c.model_type = "qwen2";
    c.architecture = "Qwen2ForCausalLM";
    c.attention_qkv_bias = true;
    c.tie_word_embeddings = true;
    c.max_window_layers = 2;
  } else if (family == "qwen3") {
    c.family = ModelFamily::kQwen3;
    c.model_type = "qwen3";
    c.architecture = "Qwen3ForCausalLM";
    c.head_dim = 24;
    c.qk_norm = true;
    c.attention_qkv_bias = c.attention_out_bias = true;
    c.max_window_layers = 2;
  } else if (family == "mistral") {
    c.family = ModelFamily::kMistral;
    c.model_type = "mistral";
    c.architecture = "MistralForCausalLM";
    c.use_sliding_window = true;
    c.sliding_window = 5;
  }
  return c;
}

// Makes biases non-zero and norm weights non-one, so tests see them (RandomInit gives 0 and 1).
inline void PerturbBiasesAndNorms(CausalLMImpl& model, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& item : model.named_parameters()) {
    if (item.value().dim() != 1) continue;
    torch::Tensor noise = torch::empty(item.value().sizes(), torch::kFloat).normal_(0, 0.1, gen);
    item.value().add_(noise.to(item.value().scalar_type()));
  }
}

// ----- float64 reference forward -----

inline std::vector<double> ReferenceInverseFrequencies(const ModelArchConfig& c) {
  std::vector<double> inv;
  for (int64_t i = 0; i < c.head_dim / 2; ++i) {
    double f = std::pow(c.rope_theta, -2.0 * i / c.head_dim);
    const RopeScaling& s = c.rope_scaling;
    if (s.type == RopeScalingType::kLinear) f /= s.factor;
    if (s.type == RopeScalingType::kLlama3) {
      double wavelen = 2 * M_PI / f;
      double low = s.original_max_position_embeddings / s.low_freq_factor;
      double high = s.original_max_position_embeddings / s.high_freq_factor;
      if (wavelen > low) {
        f /= s.factor;
      } else if (wavelen >= high) {
        double smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) /
                        (s.high_freq_factor - s.low_freq_factor);
        f = (1 - smooth) * f / s.factor + smooth * f;
      }
    }
    inv.push_back(f);
  }
  return inv;
}

inline torch::Tensor RefRmsNorm(const torch::Tensor& x, const torch::Tensor& w, double eps) {
  return x / torch::sqrt(x.pow(2).mean(-1, true) + eps) * w;
}

// Rotates pairs (i, i + d/2) of every row of x [T, d] by position * inv[i].
inline torch::Tensor RefRope(torch::Tensor x, const std::vector<double>& inv) {
  x = x.clone();
  int64_t half = x.size(1) / 2;
  auto a = x.accessor<double, 2>();
  for (int64_t t = 0; t < x.size(0); ++t) {
    for (int64_t i = 0; i < half; ++i) {
      double c = std::cos(t * inv[i]), s = std::sin(t * inv[i]);
      double x1 = a[t][i], x2 = a[t][i + half];
      a[t][i] = x1 * c - x2 * s;
      a[t][i + half] = x2 * c + x1 * s;
    }
  }
  return x;
}

// Logits [T, V] float64 for one sequence at positions 0..T-1.
inline torch::Tensor ReferenceForward(const ModelArchConfig& c, const TensorMap& weights,
                                      const std::vector<int64_t>& ids) {
  auto w = [&](const std::string& name) { return weights.at(name).to(torch::kDouble); };
  auto linear = [&](const torch::Tensor& x, const std::string& prefix, bool bias) {
    torch::Tensor y = x.matmul(w(prefix + ".weight").t());
    return bias ? y + w(prefix + ".bias") : y;
  };
  std::vector<double> inv = ReferenceInverseFrequencies(c);
  int64_t T = ids.size(), hd = c.head_dim, group = c.num_attention_heads / c.num_key_value_heads;
  torch::Tensor h = w("model.embed_tokens.weight").index_select(0, torch::tensor(ids));
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    torch::Tensor x = RefRmsNorm(h, w(p + "input_layernorm.weight"), c.rms_norm_eps);
    torch::Tensor q = linear(x, p + "self_attn.q_proj", c.attention_qkv_bias);
    torch::Tensor k = linear(x, p + "self_attn.k_proj", c.attention_qkv_bias);
    torch::Tensor v = linear(x, p + "self_attn.v_proj", c.attention_qkv_bias);
    torch::Tensor out = torch::zeros({T, c.num_attention_heads * hd}, torch::kDouble);
    int64_t window = c.AttentionWindow(l);
    for (int64_t head = 0; head < c.num_attention_heads; ++head) {
      int64_t kv = head / group;
      torch::Tensor qh = q.narrow(1, head * hd, hd), kh = k.narrow(1, kv * hd, hd);
      if (c.qk_norm) {
        qh = RefRmsNorm(qh, w(p + "self_attn.q_norm.weight"), c.rms_norm_eps);
        kh = RefRmsNorm(kh, w(p + "self_attn.k_norm.weight"), c.rms_norm_eps);
      }
      qh = RefRope(qh, inv);
      kh = RefRope(kh, inv);
      torch::Tensor vh = v.narrow(1, kv * hd, hd);
      for (int64_t t = 0; t < T; ++t) {
        int64_t first = window > 0 ? std::max<int64_t>(0, t - window + 1) : 0;
        torch::Tensor scores =
            kh.narrow(0, first, t - first + 1).matmul(qh[t]) / std::sqrt(double(hd));
        torch::Tensor probs = torch::softmax(scores, 0);
        out[t].narrow(0, head * hd, hd).copy_(probs.matmul(vh.narrow(0, first, t - first + 1)));
      }
    }
    h = h + linear(out, p + "self_attn.o_proj", c.attention_out_bias);
    x = RefRmsNorm(h, w(p + "post_attention_layernorm.weight"), c.rms_norm_eps);
    torch::Tensor gate = linear(x, p + "mlp.gate_proj", c.mlp_bias);
    torch::Tensor up = linear(x, p + "mlp.up_proj", c.mlp_bias);
    h = h + linear(gate * torch::sigmoid(gate) * up, p + "mlp.down_proj", c.mlp_bias);
  }
  h = RefRmsNorm(h, w("model.norm.weight"), c.rms_norm_eps);
  std::string head = c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  return h.matmul(w(head).t());
}

}  // namespace zerorl::model::testing

#endif  // ZERORL_TESTS_MODEL_MODEL_TEST_UTIL_H_
