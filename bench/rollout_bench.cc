// Rollout engine throughput on a random-weight Qwen2 (hidden 512, 8 layers, 8 heads, 2 KV
// heads, intermediate 1408, vocab 151936, tied embeddings), bf16 or float32, 128-token prompts
// and 128 new tokens: prompt and generation tokens/s for 1, 8, 32 and 64 parallel sequences and for 8
// prompts x G = 8 samples (prefix shared), side by side with
//   (a) the naive loop: the same model and sampler, one sequence at a time, every token a full
//       forward over the whole sequence (no KV cache, no batching; LM head on the last
//       position only), and
//   (b) the matmul peak of this machine in the model's dtype, measured in the same run, as a
//       roofline fraction (model FLOPs per second / peak).
// The first lines name the processor (core::HostCpu), the instruction-set level the fused
// kernels run at and whether oneDNN packs the weights; ZERORL_CPU_ISA=avx2 lowers the level of
// the kernels, LibTorch, oneDNN and OpenBLAS alike (applied before any LibTorch op, as zerorl's
// main does), to stand in for an AVX2-only processor.
// Prompt tok/s = prompt tokens / time of a max_new_tokens = 1 run (prefill + the first token);
// generation tok/s = new tokens / (time of the full run - that). Each number is the median of
// --repeats runs; the load average is printed because other processes share the cores.
//
//   build/bench/rollout_bench [--dtype bf16|fp32] [--threads 2] [--repeats 3] [--prompt 128]
//                             [--new 128] [--naive-new 128 (0: skip the naive loop)]
//                             [--prefill-chunk 2048]
//                             [--cases 1,8,32,64,8x8] [--breakdown] [--profile TRACE.json]
//                             [--save-model DIR]
// --save-model writes the bench's model (in --dtype) as a Hugging Face folder and exits, so
// that `zerorl generate --model DIR` can be timed on the same weights, end to end.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include "absl/algorithm/container.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

#include "core/cpu_features.h"
#include "model/packed_linear.h"
#include "model/weights.h"
#include "rollout/engine.h"
#include "rollout/sampler.h"

namespace {

using zerorl::model::CausalLM;
using zerorl::model::ModelArchConfig;
using zerorl::rollout::Engine;
using zerorl::rollout::GenerationParams;
using zerorl::rollout::PromptInput;

ModelArchConfig BenchModel() {
  ModelArchConfig c;
  c.family = zerorl::model::ModelFamily::kQwen2;
  c.model_type = "qwen2";
  c.architecture = "Qwen2ForCausalLM";
  c.vocab_size = 151936;
  c.hidden_size = 512;
  c.intermediate_size = 1408;
  c.num_hidden_layers = 8;
  c.num_attention_heads = 8;
  c.num_key_value_heads = 2;
  c.head_dim = 64;
  c.rope_theta = 1e6;
  c.attention_qkv_bias = true;
  c.tie_word_embeddings = true;
  c.max_position_embeddings = 4096;
  return c;
}

int64_t Flag(int argc, char** argv, const char* name, int64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoll(argv[i + 1]);
  }
  return fallback;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double CpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Seconds of f(), median over `repeats` runs after one warm-up.
double Time(const std::function<void()>& f, int repeats) {
  f();
  std::vector<double> runs;
  for (int i = 0; i < repeats; ++i) {
    double start = Now();
    f();
    runs.push_back(Now() - start);
  }
  return Median(runs);
}

// GEMM peak in `dtype`: C[n, n] = A[n, n] B[n, n]^T for n = 2048, in GFLOP/s.
double MatmulPeakGflops(torch::ScalarType dtype, int repeats) {
  torch::NoGradGuard no_grad;
  int64_t n = 2048;
  torch::Tensor a = torch::randn({n, n}).to(dtype);
  torch::Tensor b = torch::randn({n, n}).to(dtype);
  double s = Time([&] { torch::linear(a, b); }, std::max(repeats, 5));
  return 2.0 * n * n * n / s / 1e9;
}

// Model FLOPs of one token at context length `context` (matmuls + attention scores/values).
double LayerFlops(const ModelArchConfig& c, double context) {
  double h = c.hidden_size, kv = c.num_key_value_heads * c.head_dim;
  double weights = h * h * 2 + h * kv * 2 + 3 * h * c.intermediate_size;
  double attention = 2 * c.num_attention_heads * c.head_dim * context;
  return c.num_hidden_layers * 2 * (weights + attention);
}
double HeadFlops(const ModelArchConfig& c) { return 2.0 * c.hidden_size * c.vocab_size; }

std::vector<PromptInput> RandomPrompts(int64_t count, int64_t length, uint64_t seed) {
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  std::vector<PromptInput> prompts;
  for (int64_t i = 0; i < count; ++i) {
    torch::Tensor ids = torch::randint(0, 150000, {length}, gen, torch::kInt);
    prompts.push_back({std::vector<int32_t>(ids.data_ptr<int32_t>(),
                                            ids.data_ptr<int32_t>() + length),
                       seed * 1000 + i});
  }
  return prompts;
}

struct Rates {
  double prompt_tps = 0, gen_tps = 0;
  double prompt_flops = 0, gen_flops = 0;  // per second
  zerorl::rollout::EngineStats full;       // the last full run's breakdown
};

// Sampling at temperature 1, past EOS: every sample runs to max_new_tokens.
GenerationParams BenchParams(int n, int64_t max_new_tokens) {
  GenerationParams params;
  params.n = n;
  params.sampling.temperature = 1.0;
  params.ignore_eos = true;
  params.max_new_tokens = max_new_tokens;
  return params;
}

// The engine: prompts x n samples of `new_tokens`.
Rates MeasureEngine(Engine& engine, const std::vector<PromptInput>& prompts, int n,
                    int64_t prompt_len, int64_t new_tokens, int repeats) {
  const ModelArchConfig& c = engine.model()->config();
  GenerationParams params = BenchParams(n, new_tokens);
  auto run = [&](int64_t tokens) {
    params.max_new_tokens = tokens;
    absl::StatusOr<std::vector<zerorl::rollout::SampleOutput>> out =
        engine.Generate(prompts, params);
    if (!out.ok()) {
      std::fprintf(stderr, "generate failed: %s\n", std::string(out.status().message()).c_str());
      std::exit(1);
    }
  };
  double prefill_s = Time([&] { run(1); }, repeats);
  double full_s = Time([&] { run(new_tokens); }, repeats);
  double sequences = static_cast<double>(prompts.size()) * n;
  double prefilled = static_cast<double>(prompts.size()) * prompt_len;  // shared: once per prompt
  Rates r;
  r.full = engine.stats();
  r.prompt_tps = sequences * prompt_len / prefill_s;
  r.gen_tps = sequences * (new_tokens - 1) / (full_s - prefill_s);
  r.prompt_flops =
      (prefilled * LayerFlops(c, prompt_len / 2.0) + prompts.size() * HeadFlops(c)) / prefill_s;
  r.gen_flops = sequences * (new_tokens - 1) *
                (LayerFlops(c, prompt_len + new_tokens / 2.0) + HeadFlops(c)) /
                (full_s - prefill_s);
  return r;
}

// The naive loop: one sequence, a full forward per token, same sampler.
Rates MeasureNaive(CausalLM& model, const PromptInput& prompt, int64_t new_tokens) {
  const ModelArchConfig& c = model->config();
  torch::NoGradGuard no_grad;
  std::vector<int64_t> ids(prompt.ids.begin(), prompt.ids.end());
  int64_t prompt_len = static_cast<int64_t>(ids.size());
  auto next = [&](uint64_t step) {
    torch::Tensor input = torch::tensor(ids).unsqueeze(0);
    torch::Tensor hidden = model->ForwardHidden(input, {}, {});  // [1, T, H]
    torch::Tensor logits = torch::linear(hidden[0].narrow(0, hidden.size(1) - 1, 1),
                                         model->lm_head_weight());  // [1, V]
    zerorl::rollout::SampleRequest request;
    request.seed = prompt.seed;
    request.step = step;
    std::vector<zerorl::rollout::SampledToken> out;
    (void)zerorl::rollout::SampleTokens(logits, {request}, &out);
    ids.push_back(out[0].id);
  };
  next(0);  // warm-up
  ids.resize(prompt_len);
  double start = Now();
  next(0);
  double first_s = Now() - start;
  for (int64_t t = 1; t < new_tokens; ++t) next(t);
  double gen_s = Now() - start - first_s;
  Rates r;
  r.prompt_tps = prompt_len / first_s;
  r.gen_tps = (new_tokens - 1) / gen_s;
  r.prompt_flops = (prompt_len * LayerFlops(c, prompt_len / 2.0) + HeadFlops(c)) / first_s;
  double gen_flops = 0;
  for (int64_t t = 1; t < new_tokens; ++t) {
    gen_flops += (prompt_len + t) * LayerFlops(c, (prompt_len + t) / 2.0) + HeadFlops(c);
  }
  r.gen_flops = gen_flops / gen_s;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  zerorl::core::ApplyCpuIsaCapToLibraries(argv);  // before any LibTorch op, as zerorl's main
  std::string dtype_name = "bf16";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--dtype") == 0) dtype_name = argv[i + 1];
  }
  if (dtype_name != "bf16" && dtype_name != "fp32") {
    std::fprintf(stderr, "rollout_bench: --dtype %s: expected bf16 or fp32\n", dtype_name.c_str());
    return 2;
  }
  const torch::ScalarType dtype = dtype_name == "bf16" ? torch::kBFloat16 : torch::kFloat;
  int threads = static_cast<int>(Flag(argc, argv, "--threads", 2));
  int repeats = static_cast<int>(Flag(argc, argv, "--repeats", 3));
  int64_t prompt_len = Flag(argc, argv, "--prompt", 128);
  int64_t new_tokens = Flag(argc, argv, "--new", 128);
  int64_t naive_new = Flag(argc, argv, "--naive-new", 128);
  int64_t chunk = Flag(argc, argv, "--prefill-chunk", 2048);
  std::string cases = "1,8,32,64,8x8";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--cases") == 0) cases = argv[i + 1];
  }
  std::string profile_path;  // a Chrome trace of the last case's full run (torch profiler)
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--profile") == 0) profile_path = argv[i + 1];
  }
  std::string save_dir;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--save-model") == 0) save_dir = argv[i + 1];
  }
  bool breakdown = false;
  for (int i = 1; i < argc; ++i) breakdown |= std::strcmp(argv[i], "--breakdown") == 0;
  torch::set_num_threads(threads);
  ModelArchConfig config = BenchModel();
  CausalLM model = zerorl::model::RandomModel(config, /*seed=*/1, dtype);
  if (!save_dir.empty()) {
    absl::Status saved = zerorl::model::SaveModel(*model, save_dir, {dtype});
    if (!saved.ok()) {
      std::fprintf(stderr, "rollout_bench: --save-model %s: %s\n", save_dir.c_str(),
                   std::string(saved.message()).c_str());
      return 1;
    }
    std::printf("rollout_bench: wrote the bench model (%s) to %s\n", dtype_name.c_str(),
                save_dir.c_str());
    return 0;
  }
  std::printf("rollout_bench: Qwen2 hidden 512, 8 layers, 8/2 heads, ffn 1408, vocab 151936, "
              "tied; %s, %d threads, prompt %lld, new %lld, median of %d\n",
              dtype_name.c_str(), threads, static_cast<long long>(prompt_len),
              static_cast<long long>(new_tokens), repeats);
  const zerorl::core::CpuFeatures& cpu = zerorl::core::HostCpu();
  const zerorl::core::CpuIsa level = cpu.best_isa();
  std::printf("cpu: %s\n", cpu.Describe().c_str());
  std::printf("fused kernels and sampler passes: %s level (%s loops); oneDNN packs %s weights: "
              "%s\n",
              zerorl::core::CpuIsaName(level),
              level >= zerorl::core::CpuIsa::kAvx512 ? "AVX-512"
              : level == zerorl::core::CpuIsa::kAvx2 ? "AVX2"
                                                     : "plain x86-64",
              dtype_name.c_str(),
              zerorl::model::PackedLinearSupports(dtype) ? "yes" : "no (at::linear runs)");
  std::printf("load average at start: %s\n", LoadAverage().c_str());
  double cpu0 = CpuSeconds(), wall0 = Now();

  double peak = MatmulPeakGflops(dtype, repeats);
  std::printf("%s matmul peak (2048^3): %.0f GFLOP/s\n", dtype_name.c_str(), peak);

  Rates naive;
  if (naive_new > 0) {
    naive = MeasureNaive(model, RandomPrompts(1, prompt_len, 99)[0], naive_new);
    std::printf("naive loop (1 sequence, %lld new tokens): prompt %.0f tok/s, generation %.1f "
                "tok/s\n\n",
                static_cast<long long>(naive_new), naive.prompt_tps, naive.gen_tps);
  } else {
    std::printf("naive loop skipped (--naive-new 0)\n\n");
  }

  zerorl::rollout::EngineOptions options;
  options.max_batch = 64;
  options.max_prefill_tokens = chunk;
  std::unique_ptr<Engine> engine = *Engine::Create(model, std::nullopt, options);
  std::printf("%-14s %12s %12s %10s %10s %9s %9s %9s\n", "case", "prompt tok/s", "gen tok/s",
              "x naive pp", "x naive tg", "roof pp", "roof tg", "");
  struct Case {
    const char* key;
    const char* name;
    int64_t prompts;
    int n;
  };
  for (const Case& c : {Case{"1", "1 seq", 1, 1}, Case{"8", "8 seqs", 8, 1},
                        Case{"32", "32 seqs", 32, 1}, Case{"64", "64 seqs", 64, 1},
                        Case{"8x8", "8 x G=8 *", 8, 8}}) {
    if (!absl::c_linear_search(absl::StrSplit(cases, ','), c.key)) continue;
    Rates r = MeasureEngine(*engine, RandomPrompts(c.prompts, prompt_len, 7), c.n, prompt_len,
                            new_tokens, repeats);
    auto times_naive = [&](double rate, double naive_rate) {
      return naive_new > 0 ? absl::StrFormat("%.1f", rate / naive_rate) : std::string("-");
    };
    std::printf("%-14s %12.0f %12.0f %10s %10s %8.0f%% %8.0f%%\n", c.name, r.prompt_tps,
                r.gen_tps, times_naive(r.prompt_tps, naive.prompt_tps).c_str(),
                times_naive(r.gen_tps, naive.gen_tps).c_str(), 100 * r.prompt_flops / 1e9 / peak,
                100 * r.gen_flops / 1e9 / peak);
    if (!profile_path.empty()) {
      torch::autograd::profiler::RecordProfile trace(profile_path);
      (void)engine->Generate(RandomPrompts(c.prompts, prompt_len, 7),
                             BenchParams(c.n, new_tokens));
    }
    if (breakdown) {
      const zerorl::rollout::EngineStats& s = r.full;
      std::printf("    full run: %lld steps, %.3f s: prefill %.3f s, decode forward %.3f s, "
                  "sampling %.3f s, other %.3f s\n",
                  static_cast<long long>(s.steps), s.total_s, s.prefill_s, s.decode_s,
                  s.sample_s, s.total_s - s.prefill_s - s.decode_s - s.sample_s);
    }
    std::fflush(stdout);
  }
  std::printf("\n* 8 prompts x 8 samples: prompt tok/s counts all 64 samples' prompt tokens; "
              "each prompt is prefilled once.\n");
  std::printf("roofline: model FLOPs/s (weights, attention, LM head rows actually needed) / "
              "%s matmul peak\n", dtype_name.c_str());
  std::printf("naive: one sequence at a time, so its rate is the same for every row.\n");
  double wall = Now() - wall0;
  std::printf("load average at end: %s; this process used %.0f%% of %d threads' wall time\n",
              LoadAverage().c_str(), 100 * (CpuSeconds() - cpu0) / wall / threads, threads);
  return 0;
}
