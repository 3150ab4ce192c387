// Learner throughput: one GRPO step (forward, backward, AdamW) on a random model in fp32 and,
// where the CPU has bf16 instructions (or with --bf16 1), in bf16 compute over fp32 masters,
// next to the matmul peaks measured in the same run. MFU = model FLOPs (learner/flops.h) /
// time / that dtype's peak; "MFU vs fp32" divides by this CPU's fp32 peak.
//
//   build/bench/learner_bench [--hidden 512] [--layers 8] [--seq 512] [--prompt 128]
//                             [--rows 16] [--vocab 32000] [--threads 2] [--steps 3]
//
// With --ranks 1,2 it runs the same step on 1 and 2 learner ranks instead (ranks > 1: this
// binary again as ranks 1..N-1, over Gloo on loopback; the threads split between the ranks),
// replicated and with the optimizer sharded (ZeRO-1), in the compute dtype the CPU runs fastest,
// and prints step time, the all-reduce time the step waited for, and each rank's memory beside
// the same table for a Qwen2.5-0.5B-shaped model.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include <torch/torch.h>

#include "core/cpu_features.h"
#include "learner/batch.h"
#include "learner/flops.h"
#include "learner/learner.h"
#include "learner/ranks.h"
#include "model/weights.h"

namespace {

using namespace zerorl;

struct Args {
  int64_t hidden = 512, layers = 8, seq = 512, prompt = 128, rows = 16, vocab = 32000;
  int64_t intermediate = 0;  // 0 = 3 x hidden
  int threads = 2, steps = 3;
  // --bf16: 1 runs the bf16 step, 0 skips it; -1 (default): where the CPU has bf16 instructions.
  int64_t bf16 = -1;
  int64_t micro_batch_tokens = 8192;
  std::vector<int> ranks;      // --ranks 1,2: the learner-ranks comparison
  int rank = 0;                // > 0: serve as this rank (started by the bench itself)
  int world_size = 1;
  int master_port = 0;
};

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    out.push_back(std::atoi(text.substr(at, comma - at).c_str()));
    at = comma + 1;
  }
  return out;
}

bool Parse(int argc, char** argv, Args* a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    int64_t v = std::atoll(argv[i + 1]);
    if (k == "--hidden") a->hidden = v;
    else if (k == "--layers") a->layers = v;
    else if (k == "--seq") a->seq = v;
    else if (k == "--prompt") a->prompt = v;
    else if (k == "--rows") a->rows = v;
    else if (k == "--vocab") a->vocab = v;
    else if (k == "--intermediate") a->intermediate = v;
    else if (k == "--threads") a->threads = static_cast<int>(v);
    else if (k == "--steps") a->steps = static_cast<int>(v);
    else if (k == "--micro-batch-tokens") a->micro_batch_tokens = v;
    else if (k == "--bf16") a->bf16 = v;
    else if (k == "--ranks") a->ranks = ParseList(argv[i + 1]);
    else if (k == "--rank") a->rank = static_cast<int>(v);
    else if (k == "--world-size") a->world_size = static_cast<int>(v);
    else if (k == "--master-port") a->master_port = static_cast<int>(v);
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return false;
    }
  }
  return argc % 2 == 1 && a->prompt >= 1 && a->prompt < a->seq;
}

model::ModelArchConfig Arch(const Args& a) {
  model::ModelArchConfig c;
  c.family = model::ModelFamily::kQwen2;
  c.model_type = "qwen2";
  c.architecture = "Qwen2ForCausalLM";
  c.vocab_size = a.vocab;
  c.hidden_size = a.hidden;
  c.intermediate_size = a.intermediate > 0 ? a.intermediate : 3 * a.hidden;
  c.num_hidden_layers = a.layers;
  c.num_attention_heads = a.hidden / 64;
  c.num_key_value_heads = a.hidden / 64;
  c.head_dim = 64;
  c.max_position_embeddings = std::max<int64_t>(4096, a.seq);
  c.attention_qkv_bias = true;
  c.tie_word_embeddings = false;
  return c;
}

// rows sequences of seq tokens: prompt tokens then a completion, groups of 8, 0/1 rewards.
learner::TrainBatch MakeBatch(const Args& a) {
  std::vector<learner::Sample> samples;
  torch::manual_seed(0);
  auto ids = torch::randint(a.vocab, {a.rows, a.seq}, torch::kInt);
  for (int64_t r = 0; r < a.rows; ++r) {
    learner::Sample s;
    auto row = ids[r];
    const int32_t* p = row.data_ptr<int32_t>();
    s.prompt_ids.assign(p, p + a.prompt);
    s.completion_ids.assign(p + a.prompt, p + a.seq);
    s.reward = r % 3 == 0 ? 1.0 : 0.0;
    s.group_id = r / 8;
    samples.push_back(std::move(s));
  }
  return std::move(learner::BuildTrainBatch(samples, learner::BatchOptions())).value();
}

struct Result {
  double seconds_per_step = 0, tokens_per_s = 0, flops_per_s = 0;
};

// One warm-up step (allocations, oneDNN kernel selection), then `steps` timed on-policy steps
// of `batch`, each step's metrics handed to `each`; exits on a failed step. Seconds per step.
double TimedSteps(learner::Learner& l, learner::TrainBatch& batch, int steps,
                  const std::function<void(const learner::StepMetrics&)>& each = nullptr) {
  batch.policy_versions.zero_();
  (void)l.Step(batch);
  auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) {
    batch.policy_versions.fill_(l.policy_version());
    auto m = l.Step(batch);
    if (!m.ok()) {
      std::fprintf(stderr, "%s\n", std::string(m.status().message()).c_str());
      std::exit(1);
    }
    if (each) each(*m);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / steps;
}

Result Run(const Args& a, torch::ScalarType compute, double peak) {
  learner::LearnerOptions o;
  o.compute_dtype = compute;
  o.micro_batch_tokens = a.micro_batch_tokens;
  o.max_completion_length = a.seq - a.prompt;
  o.total_steps = a.steps + 1;
  o.peak_flops = peak;
  auto model = model::RandomModel(Arch(a), 1, torch::kFloat, torch::kCPU);
  auto l = std::move(learner::Learner::Create(o, model, nullptr)).value();
  learner::TrainBatch batch = MakeBatch(a);
  Result res;
  double flops = 0;
  for (int64_t r = 0; r < batch.rows(); ++r) {
    flops += learner::TrainingFlops(Arch(a), a.seq, a.seq - a.prompt);
  }
  res.seconds_per_step = TimedSteps(*l, batch, a.steps);
  res.tokens_per_s = static_cast<double>(a.rows * a.seq) / res.seconds_per_step;
  res.flops_per_s = flops / res.seconds_per_step;
  return res;
}


// Parameters of the architecture (embeddings, layers with biases and norms, final norm, LM
// head when untied): for memory tables of shapes not built here.
int64_t ParameterCount(const model::ModelArchConfig& c) {
  const int64_t h = c.hidden_size, kv = c.num_key_value_heads * c.head_dim;
  const int64_t q = c.num_attention_heads * c.head_dim;
  int64_t per_layer_extra = 2 * h;  // the two RMSNorms
  if (c.attention_qkv_bias) per_layer_extra += q + 2 * kv;
  int64_t total = learner::LayerMatmulParams(c) + c.num_hidden_layers * per_layer_extra;
  total += c.vocab_size * h * (c.tie_word_embeddings ? 1 : 2) + h;
  return total;
}

model::ModelArchConfig Qwen25Half() {
  model::ModelArchConfig c;
  c.family = model::ModelFamily::kQwen2;
  c.vocab_size = 151936;
  c.hidden_size = 896;
  c.intermediate_size = 4864;
  c.num_hidden_layers = 24;
  c.num_attention_heads = 14;
  c.num_key_value_heads = 2;
  c.head_dim = 64;
  c.attention_qkv_bias = true;
  c.tie_word_embeddings = true;
  return c;
}

learner::LearnerOptions RankOptions(const Args& a, torch::ScalarType compute) {
  learner::LearnerOptions o;
  o.compute_dtype = compute;
  o.micro_batch_tokens = a.micro_batch_tokens;
  o.max_completion_length = a.seq - a.prompt;
  o.total_steps = a.steps + 1;
  o.peak_flops = 1e12;  // MFU is not reported here
  return o;
}

// This binary again as rank `rank`; its pid.
pid_t SpawnRank(const Args& a, int rank, int world, int port) {
  std::vector<std::string> args = {"/proc/self/exe", "--rank", std::to_string(rank),
                                   "--world-size", std::to_string(world), "--master-port",
                                   std::to_string(port), "--threads",
                                   std::to_string(std::max(1, a.threads / world)), "--hidden",
                                   std::to_string(a.hidden), "--layers", std::to_string(a.layers),
                                   "--seq", std::to_string(a.seq), "--prompt",
                                   std::to_string(a.prompt), "--rows", std::to_string(a.rows),
                                   "--vocab", std::to_string(a.vocab), "--intermediate",
                                   std::to_string(a.intermediate), "--micro-batch-tokens",
                                   std::to_string(a.micro_batch_tokens)};
  std::vector<char*> argv;
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), environ) != 0) return -1;
  return pid;
}

int ServeRank(const Args& a) {
  at::set_num_threads(a.threads);
  distributed::GroupOptions o;
  o.rank = a.rank;
  o.world_size = a.world_size;
  o.master_port = a.master_port;
  auto group = distributed::Group::Create(o);
  if (!group.ok()) {
    std::fprintf(stderr, "rank %d: %s\n", a.rank, std::string(group.status().message()).c_str());
    return 1;
  }
  absl::Status served = learner::ServeLearnerRank(*group, torch::kCPU);
  if (!served.ok()) std::fprintf(stderr, "rank %d: %s\n", a.rank, std::string(served.message()).c_str());
  return served.ok() ? 0 : 1;
}

struct RanksResult {
  double seconds_per_step = 0, allreduce_s = 0, imbalance = 0;
};

// The step on `world` ranks (this process rank 0); nullopt when a rank could not start.
std::optional<RanksResult> RunRanks(const Args& a, int world, bool shard, torch::ScalarType compute) {
  std::shared_ptr<distributed::Group> group;
  std::vector<pid_t> children;
  at::set_num_threads(std::max(1, a.threads / world));
  if (world > 1) {
    distributed::GroupOptions o;
    o.world_size = world;
    o.on_listening = [&](int port) {
      for (int r = 1; r < world; ++r) children.push_back(SpawnRank(a, r, world, port));
      return absl::OkStatus();
    };
    auto created = distributed::Group::Create(o);
    if (!created.ok()) return std::nullopt;
    group = *created;
  }
  learner::LearnerOptions o = RankOptions(a, compute);
  o.group = group;
  o.shard_optimizer = shard;
  RanksResult res;
  {
    auto l = std::move(learner::Learner::Create(o, model::RandomModel(Arch(a), 1), nullptr)).value();
    learner::TrainBatch batch = MakeBatch(a);
    res.seconds_per_step = TimedSteps(*l, batch, a.steps, [&](const learner::StepMetrics& m) {
      if (m.count("timing/allreduce_s")) res.allreduce_s += m.at("timing/allreduce_s") / a.steps;
      if (m.count("learner/token_imbalance")) res.imbalance = m.at("learner/token_imbalance");
    });
  }
  if (group) (void)learner::StopLearnerRanks(*group);
  for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  at::set_num_threads(a.threads);
  return res;
}

void PrintMemoryTable(const char* title, int64_t parameters, torch::ScalarType compute,
                      const std::vector<int>& ranks) {
  std::printf("%s: %.1fM parameters, compute %s\n", title, parameters / 1e6,
              compute == torch::kFloat ? "fp32" : "bf16");
  std::printf("  %-24s %-6s %14s %14s %18s %12s\n", "layout", "rank", "parameters MiB",
              "gradients MiB", "optimizer MiB", "total MiB");
  for (int world : ranks) {
    for (bool shard : {false, true}) {
      if (world == 1 && shard) continue;
      learner::LearnerOptions o;
      o.compute_dtype = compute;
      o.shard_optimizer = shard;
      for (int r = 0; r < world; ++r) {
        learner::LearnerMemory m = learner::EstimateLearnerMemory(parameters, o, false, world, r);
        const double mib = 1024.0 * 1024.0;
        std::printf("  %-24s %-6d %14.1f %14.1f %18.1f %12.1f\n",
                    (std::to_string(world) + (world == 1 ? " rank" : shard ? " ranks, ZeRO-1" : " ranks, DDP")).c_str(),
                    r, m.parameters / mib, m.gradients / mib, m.optimizer / mib,
                    (m.parameters + m.gradients + m.optimizer) / mib);
      }
    }
  }
}

int RunRanksComparison(const Args& a, torch::ScalarType compute) {
  std::printf("%-24s %10s %12s %16s %12s %10s\n", "learner ranks", "s/step", "tokens/s",
              "all-reduce s/step", "imbalance", "threads");
  for (int world : a.ranks) {
    for (bool shard : {false, true}) {
      if (world == 1 && shard) continue;
      std::optional<RanksResult> r = RunRanks(a, world, shard, compute);
      if (!r) {
        std::fprintf(stderr, "could not start %d ranks\n", world);
        return 1;
      }
      const std::string name =
          std::to_string(world) + (world == 1 ? " rank" : shard ? " ranks, ZeRO-1" : " ranks, DDP");
      std::printf("%-24s %10.3f %12.1f %16.3f %12.3f %7d x %d\n", name.c_str(), r->seconds_per_step,
                  a.rows * a.seq / r->seconds_per_step, r->allreduce_s, r->imbalance, world,
                  std::max(1, a.threads / world));
    }
  }
  PrintMemoryTable("memory per rank, this model", ParameterCount(Arch(a)), compute, a.ranks);
  PrintMemoryTable("memory per rank, Qwen2.5-0.5B shape", ParameterCount(Qwen25Half()), compute,
                   a.ranks);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  zerorl::core::ApplyCpuIsaCapToLibraries(argv);  // before any LibTorch op, as zerorl's main
  Args a;
  if (!Parse(argc, argv, &a)) {
    std::fprintf(stderr, "usage: learner_bench [--hidden N] [--layers N] [--seq N] [--prompt N] "
                         "[--rows N] [--vocab N] [--intermediate N] [--threads N] [--steps N] "
                         "[--micro-batch-tokens N] [--bf16 0|1] [--ranks 1,2]\n");
    return 2;
  }
  at::set_num_threads(a.threads);
  if (a.rank > 0) return ServeRank(a);
  const core::CpuFeatures& cpu = core::HostCpu();
  // bf16 without bf16 instructions runs a generic path ~20x slower than fp32: not by default.
  const bool run_bf16 = a.bf16 < 0 ? cpu.native_bf16() : a.bf16 != 0;
  std::printf("CPU: %s\n", cpu.Describe().c_str());
  const model::ModelArchConfig arch = Arch(a);
  const double peak_bf16 =
      run_bf16 ? learner::MeasureMatmulPeakFlops(torch::kCPU, torch::kBFloat16) : 0.0;
  const double peak_fp32 = learner::MeasureMatmulPeakFlops(torch::kCPU, torch::kFloat);
  std::printf("model: qwen2 layout, hidden %ld, %ld layers, %ld heads x 64, intermediate %ld, "
              "vocab %ld (untied), %.1fM layer matmul params\n",
              static_cast<long>(arch.hidden_size), static_cast<long>(arch.num_hidden_layers),
              static_cast<long>(arch.num_attention_heads), static_cast<long>(arch.intermediate_size),
              static_cast<long>(arch.vocab_size), learner::LayerMatmulParams(arch) / 1e6);
  std::printf("step: %ld rows x %ld tokens (%ld prompt + %ld completion), GRPO loss on the "
              "completions, micro-batches of <= %ld tokens, %d threads\n",
              static_cast<long>(a.rows), static_cast<long>(a.seq), static_cast<long>(a.prompt),
              static_cast<long>(a.seq - a.prompt), static_cast<long>(a.micro_batch_tokens),
              a.threads);
  if (!a.ranks.empty()) return RunRanksComparison(a, run_bf16 ? torch::kBFloat16 : torch::kFloat);
  std::printf("matmul peak of this CPU (square products, measured now): fp32 %.1f GFLOP/s",
              peak_fp32 / 1e9);
  if (run_bf16) std::printf(", bf16 %.1f GFLOP/s", peak_bf16 / 1e9);
  std::printf("\n");
  Result fp32 = Run(a, torch::kFloat, peak_fp32);
  std::printf("%-28s %10s %14s %12s %10s %14s\n", "learner step", "s/step", "tokens/s",
              "GFLOP/s", "MFU", "MFU vs fp32");
  std::printf("%-28s %10.3f %14.1f %12.1f %9.1f%% %13.1f%%\n", "fp32 compute (baseline)",
              fp32.seconds_per_step, fp32.tokens_per_s, fp32.flops_per_s / 1e9,
              100 * fp32.flops_per_s / peak_fp32, 100 * fp32.flops_per_s / peak_fp32);
  if (!run_bf16) {
    std::printf("bf16 compute: skipped, this CPU has no bf16 instructions (--bf16 1 runs it)\n");
    return 0;
  }
  Result bf16 = Run(a, torch::kBFloat16, peak_bf16);
  std::printf("%-28s %10.3f %14.1f %12.1f %9.1f%% %13.1f%%\n", "bf16 compute, fp32 masters",
              bf16.seconds_per_step, bf16.tokens_per_s, bf16.flops_per_s / 1e9,
              100 * bf16.flops_per_s / peak_bf16, 100 * bf16.flops_per_s / peak_fp32);
  std::printf("bf16 / fp32 learner speed: %.2fx   (MFU: against the dtype's own measured peak; "
              "MFU vs fp32: against this CPU's fp32 peak)\n",
              bf16.tokens_per_s / fp32.tokens_per_s);
  return 0;
}
