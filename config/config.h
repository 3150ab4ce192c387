// The run config: one JSON file (comments and trailing commas allowed), or several layered
// with later files winning, plus `--set a.b.c=VALUE` overrides, parsed once into the typed
// sections below. Nothing past LoadConfig() sees a JSON value or a key string.
//
//   absl::StatusOr<Config> config = LoadConfig({"configs/quickstart.json"}, {"run.steps=10"});
//   if (!config.ok()) { std::cerr << config.status().message(); return 2; }
//
// Every default lives here, in the struct, and is what `zerorl config show` prints for a
// key the files leave out. Key names follow TRL where TRL has one.
#ifndef ZERORL_CONFIG_CONFIG_H_
#define ZERORL_CONFIG_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/fields.h"

namespace zerorl::config {

enum class RunMode { kSync, kAsync };

struct RunConfig {
  std::string name = "run";
  std::string output_dir = "runs";  // the run directory is output_dir/name
  int64_t seed = 1;
  int steps = 200;                  // GRPO optimizer steps
  RunMode mode = RunMode::kSync;
  int max_staleness = 1;            // async: drop samples more than this many versions old
  int eval_every = 10;              // steps between evaluations; 0 = only before and after
  int checkpoint_every = 50;        // 0 = only at the end
  int keep_last = 3;                // checkpoints kept on disk (older ones rotated out)
  // Evaluate the eval sets before the first GRPO step (the "before" of summary.json).
  bool eval_before = true;
  // Samples per eval problem and their temperature (top_p, top_k, min_p, max_new_tokens and
  // stop come from rollout.sampling). 1 at 0: greedy pass@1. More: pass@1 is the mean
  // correctness of the samples and pass@k (unbiased estimator) is added for k = 2, 4, ..., n.
  int eval_samples = 1;
  double eval_temperature = 0.0;
  // samples.jsonl keeps every sample of each step's first group and this fraction of the
  // other groups (chosen by a seeded draw per group).
  double log_samples_fraction = 0.1;
  // R1's cold start: supervised steps on the train set's worked solutions (problems with a
  // `solution`, e.g. the arithmetic preset) before GRPO, with learner.sft's batch_size, lr
  // and max_length. 0 = none.
  int cold_start_sft_steps = 0;
  // Stop the GRPO phase once it has run this long (wall seconds, checked between steps),
  // then evaluate and finish as after the last step. 0 = no limit. Runs compared "for the
  // same time" (the quickstart and its controls) share it.
  double time_limit_s = 0.0;
  // Control run: each step is a supervised step on worked solutions (learner.sft's batch
  // size and lr) instead of a GRPO update, with the same evaluation, publishing and
  // metrics. Compares RL against simply training longer on the cold-start data.
  bool continue_sft = false;
};

// A tensor precision. kAuto is a config value only ("auto": the precision this device
// computes fastest, see config/precision.h); it is resolved before a run starts and never
// reaches a tensor, a message or a checkpoint.
enum class DType { kBFloat16, kFloat32, kFloat16, kAuto };

// A model made from scratch when model.path is empty (the quickstart): a Qwen2-architecture
// transformer with seeded random weights (HF-style init) and zerorl's byte-level tokenizer
// (tokenizer/byte_tokenizer.h, with <think> </think> <answer> </answer> as single tokens).
struct ModelInitConfig {
  int hidden_size = 128;
  int num_layers = 4;
  int num_heads = 4;
  int num_kv_heads = 2;
  int intermediate_size = 384;
  int max_position_embeddings = 1024;
  double rope_theta = 10000.0;
  double initializer_range = 0.02;
  int64_t seed = 1;
};

struct ModelConfig {
  std::string path;        // HF model folder (config.json + *.safetensors); empty = init
  ModelInitConfig init;    // used only when path is empty
  std::string tokenizer;   // folder or tokenizer.json; empty = model.path
  // Generation precision (the learner keeps fp32 masters). auto: bf16 on CUDA and on CPUs
  // that multiply bf16 natively (AVX512_BF16, AMX), fp32 elsewhere (ResolvePrecision).
  DType dtype = DType::kAuto;
  std::string device = "cpu";      // "cpu", "cuda", "cuda:N"
  int threads = 0;                 // intra-op threads per process; 0 = all cores
};

enum class BadLinePolicy { kSkip, kError };

// Which JSON key of a dataset row holds each part of a problem. An empty string means the
// preset's own key (see datasets/datasets.h for each preset's table); a key that a row
// lacks is reported as "missing field" only when the preset needs it.
struct FieldMapConfig {
  std::string id;           // stable problem id; none = "<name>/<file stem>/<row>" (0-based)
  std::string prompt;       // the question text
  std::string messages;     // chat list [{role, content}]; the last user turn is the prompt
  std::string answer;       // gold final answer (a string or a number)
  std::string solution;     // reference solution; math takes its last \boxed{} if no answer
  std::string tests;        // code tests: a program (string) or assert lines (list of strings)
  std::string entry_point;  // code: the function the tests call (HumanEval)
  std::string test_setup;   // code: code run before the tests (MBPP test_setup_code)
  std::string level;        // difficulty: an integer or "Level N" (MATH)
  std::string subject;      // topic (MATH "subject"/"type")
};

enum class CarryMode { kAny, kForce, kForbid };

// Preset "arithmetic": "What is A op B?" with two operands.
enum class ArithmeticStyle { kVerbose, kCompact };

struct ArithmeticConfig {
  int digits_min = 1;  // digits per operand, 1..9 (products stay exact in int64)
  int digits_max = 3;
  std::vector<std::string> operators = {"+", "-", "*"};  // any of + - *
  // Column-arithmetic carries (borrows for -, partial-product carries for *): "any",
  // "force" (at least one), "forbid" (none: the easiest curriculum step).
  CarryMode carries = CarryMode::kAny;
  bool allow_negative = false;  // false: A - B has A >= B
  // The worked solution's style: "verbose" ("tens: 2 + 3 + 1 (carried) = 6, write 6.") or
  // "compact" ("2+3+1=6": one short line per column, 4-5x fewer tokens; what a tiny model
  // learns fastest, so the quickstart uses it).
  ArithmeticStyle style = ArithmeticStyle::kVerbose;
};

// Preset "countdown" (TinyZero): reach `target` with + - * / using each number at most once.
// Every generated target is reachable with all the numbers (the stored answer shows how).
struct CountdownConfig {
  int numbers_min = 3;  // how many numbers per problem, 2..6
  int numbers_max = 4;
  int number_min = 1;   // each number's range
  int number_max = 99;
  int target_min = 1;   // the target's range
  int target_max = 100;
};

struct DatasetConfig {
  std::string preset;  // gsm8k, math, math500, humaneval, mbpp, generic, arithmetic, countdown
  std::string path;    // JSONL file; empty for synthetic presets
  std::string name;    // metrics and id prefix ("eval/<name>/pass@k"); empty = the preset
  FieldMapConfig fields;  // JSON keys; empty entries keep the preset's
  std::string ids_file;   // keep only rows whose id is listed (one per line); every listed
                          // id must be found (e.g. math500_unique_ids.txt)
  int limit = 0;                // keep the first N problems of the file (after ids_file); 0 = all
  std::string system_prompt;    // given to the template's system turn; empty = template default
  std::string instruction;      // answer-format instruction the renderer adds after the
                                // question (e.g. "Put the final answer in \boxed{}."); empty = none
  int64_t seed = 1;     // synthetic generation and the holdout split; not the shuffle seed
  int count = 10000;    // synthetic presets: distinct problems generated
  ArithmeticConfig arithmetic;  // preset "arithmetic" only
  CountdownConfig countdown;    // preset "countdown" only

  // `name`, or the preset when it is empty.
  const std::string& Name() const { return name.empty() ? preset : name; }
};

struct DataConfig {
  DatasetConfig train = [] {  // synthetic arithmetic: runs with no download
    DatasetConfig d;
    d.preset = "arithmetic";
    return d;
  }();
  std::vector<DatasetConfig> eval;
  std::string template_name = "r1";  // key "template": r1, chatml, llama3, deepseek_v3, plain
  int prompts_per_step = 32;
  BadLinePolicy on_bad_line = BadLinePolicy::kSkip;  // a malformed row: skip and count, or stop
  bool shuffle = true;  // reshuffle the train set every epoch (seeded by run.seed)
  // Hold out this fraction of the train set (chosen by train.seed) as an extra eval set
  // named "<train name>_holdout"; those rows are never trained on. 0 = none.
  double holdout_fraction = 0.0;
};

struct SamplingConfig {
  int n = 8;                  // samples per prompt (the GRPO group size G)
  double temperature = 1.0;   // 0 = greedy
  double top_p = 1.0;         // (0, 1]
  int top_k = 0;              // 0 = off
  double min_p = 0.0;         // [0, 1); 0 = off
  int max_new_tokens = 512;
  std::vector<std::string> stop = {"</answer>"};
};

struct RolloutConfig {
  int workers = 1;
  int max_batch = 64;  // sequences decoded together per worker
  // CPU rollout workers pack the weights for oneDNN and run the fused bf16 kernels (README:
  // Benchmarks, rollout engine): ~2x faster decoding, log-probs within ~1e-5 nats (mean) of
  // the learner's. Off: the ATen ops, bit-identical to the learner's forward.
  bool fast_cpu = true;
  SamplingConfig sampling;
};

// Options of one reward function (reward/reward.h says what each function scores). A
// function's object takes only its own keys: another function's key is an unknown key.

// math_accuracy: the math verifier (verifiers/math/verifier.h) on the gold answer.
struct MathAccuracyOptions {
  int deadline_ms = 1000;     // per completion; past it the verdict is unverifiable (score 0)
  int float_rounding = 6;     // decimals at which numbers from decimal literals are compared
  bool boxed_first = true;    // \boxed{} ranks with "final answer is" (Math-Verify's default)
  bool strict = true;         // variable names must match
  bool set_relation = false;  // an interval gold also matches an inequality, and back
};

enum class CodeScoring { kPassFraction, kAllOrNothing };

// code_tests: the problem's tests run in the code sandbox (verifiers/sandbox/judge.h).
struct CodeTestsOptions {
  CodeScoring scoring = CodeScoring::kPassFraction;  // passed/total, or 1 only if all pass
  std::string language = "python";  // a sandbox language: python, cpp, java
  int64_t wall_time_ms = 10000;      // per test
  int64_t cpu_time_ms = 10000;       // per test
  int64_t memory_mib = 512;          // per test
};

// countdown: the expression in <answer>...</answer> must reach the target (TinyZero).
struct CountdownRewardOptions {
  bool use_all_numbers = true;  // true: every given number exactly once (TinyZero); false: at most once
};

enum class FormatMode { kPattern, kTagCount };

// format: R1's "<think> reasoning </think> <answer> answer </answer>".
struct FormatOptions {
  // pattern: 1 when `pattern` (RE2 syntax) matches the whole completion, else 0.
  // tag_count: the fraction of `tags` that occur exactly once (open-r1's tag count).
  FormatMode mode = FormatMode::kPattern;
  std::string pattern = R"((?s)\s*<think>.*?</think>\s*<answer>.*?</answer>\s*)";
  std::vector<std::string> tags = {"<think>", "</think>", "<answer>", "</answer>"};
};

enum class LengthPenalty { kDapo, kLinear, kCosine };

// length: a penalty in [-1, 0] on the completion's length L in tokens.
struct LengthOptions {
  // dapo:   DAPO's soft overlong punishment: 0 when L <= max_length - buffer, then
  //         ((max_length - buffer) - L) / buffer up to max_length, -1 beyond.
  // linear: -L / max_length, -1 beyond max_length.
  // cosine: (cos(pi * L / max_length) - 1) / 2 (flat near 0, steep near the end), -1 beyond.
  LengthPenalty penalty = LengthPenalty::kDapo;
  int max_length = 0;  // L_max in tokens; 0 = rollout.sampling.max_new_tokens
  int buffer = 0;      // dapo's L_cache in tokens; 0 = max_length / 5 (DAPO: 4096 of 20480)
};

// plugin (a shared library with the C ABI of reward/plugin_abi.h, run in a child process)
// and remote (a reward server over ZeroMQ).
struct PluginOptions {
  std::string library;   // plugin: path of the .so, or a bare name dlopen() searches for
  std::string args;      // plugin: text given to zerorl_reward_init()
  std::string endpoint;  // remote: the server, e.g. "tcp://127.0.0.1:5560"
  int max_batch = 64;    // remote: samples per request
  // plugin: per completion; remote: per request. 0 = reward.timeout_ms. Past it the
  // samples get an error mark and the plugin is restarted (or the socket reconnected).
  int timeout_ms = 0;
};

struct RewardFunctionConfig {
  // math_accuracy, code_tests, countdown, format, length, language_consistency, plugin, remote.
  std::string name;
  double weight = 1.0;  // the total reward is the weighted sum of the functions' scores
  // The function's name in metrics ("reward/<label>/mean"), samples.jsonl and ScoredGroups;
  // empty = `name`. Labels must be unique, so two functions of one kind need labels.
  std::string label;
  MathAccuracyOptions math_accuracy;
  CodeTestsOptions code_tests;
  CountdownRewardOptions countdown;
  FormatOptions format;
  LengthOptions length;
  PluginOptions plugin;  // plugin and remote

  const std::string& Label() const { return label.empty() ? name : label; }
};

struct RewardConfig {
  int workers = 1;
  // Plugins' default time limit for one call (plugin: per completion; remote: per request).
  int timeout_ms = 5000;
  // code_tests: sandboxes run at once per reward worker; 0 = one per CPU it may use.
  int sandbox_workers = 0;
  // The control run of issue 9: permute the totals among the samples of each group
  // (seeded by the batch id) so the reward carries the same statistics but no information.
  // Only the total the learner trains on is permuted; every function's raw score stays
  // with its own sample, for metrics and samples.jsonl.
  bool shuffle_within_group = false;
  std::vector<RewardFunctionConfig> functions = [] {
    std::vector<RewardFunctionConfig> f(2);
    f[0].name = "math_accuracy";
    f[1].name = "format";
    f[1].weight = 0.1;
    return f;
  }();
};

enum class AdvantageEstimator { kGrpo, kDrGrpo, kRloo };
enum class RewardScaling { kGroup, kBatch, kNone };
enum class LossAggregation { kTokenMean, kSeqMeanTokenMean, kSeqMeanTokenSumNorm };
enum class KlEstimator { kK1, kK2, kK3 };
enum class ImportanceLevel { kToken, kSequence };

// The GRPO family (see learner/losses.h). Each sample's advantage is computed within its
// group (the G samples of one prompt), never across groups.
struct AlgorithmConfig {
  // grpo: (r - mean) / (std + 1e-4); dr_grpo: r - mean, never divided by a std (so
  // scale_rewards does not apply); rloo: r - mean of the other samples of the group.
  AdvantageEstimator advantage = AdvantageEstimator::kGrpo;
  // The std that grpo and rloo divide by: the group's, the whole batch's, or none.
  RewardScaling scale_rewards = RewardScaling::kGroup;
  // token_mean (DAPO): sum over all completion tokens / their number in the global batch;
  // seq_mean_token_mean (GRPO): mean over sequences of each one's token mean;
  // seq_mean_token_sum_norm (Dr. GRPO): token sums / rollout.sampling.max_new_tokens, mean
  // over sequences. Denominators span the global batch, so micro-batching changes nothing.
  LossAggregation loss_agg = LossAggregation::kTokenMean;
  double epsilon_low = 0.2;
  double epsilon_high = 0.28;  // DAPO clip-higher
  // Dual-clip PPO (veRL clip_ratio_c): for negative advantages the loss is capped at
  // -A * c, so a huge ratio cannot blow up the update. 0 = off; else must be > 1 (veRL: 3).
  double clip_ratio_c = 0.0;
  double beta = 0.0;           // KL coefficient; 0 loads no reference model
  KlEstimator kl_estimator = KlEstimator::kK3;  // k1, k2, k3 (DeepSeekMath's, >= 0)
  int num_iterations = 1;      // mu: optimizer passes over each batch
  // token: one ratio per token (PPO/GRPO); sequence: GSPO, exp of the mean log-ratio.
  ImportanceLevel importance_level = ImportanceLevel::kToken;
  // DAPO overlong filtering: completions cut at max_new_tokens get no loss at all.
  bool mask_truncated_completions = false;
  // Entropy bonus (veRL entropy_coeff): loss -= coeff * entropy, aggregated like the loss.
  // 0 = off, and the entropy is then only measured, not differentiated.
  double entropy_coeff = 0.0;
  // Truncated importance sampling for the rollout/learner log-prob mismatch (veRL
  // tis_imp_ratio_cap): each token's loss is weighted by min(exp(learner - rollout), cap)
  // using the rollout's recorded log-probs. 0 = off.
  double tis_imp_ratio_cap = 2.0;
};

enum class LrSchedule { kConstant, kCosine };

struct OptimizerConfig {
  double lr = 1e-6;
  // Decoupled (AdamW) decay, applied to matrices only: norms and biases are not decayed.
  double weight_decay = 0.0;
  std::vector<double> betas = {0.9, 0.999};
  double eps = 1e-8;       // Adam's epsilon
  double grad_clip = 1.0;  // max global grad norm; 0 = off
  int warmup_steps = 0;    // linear warmup: update k (0-based) uses lr * (k + 1) / warmup
  LrSchedule schedule = LrSchedule::kConstant;
  double min_lr_ratio = 0.0;  // cosine ends at lr * min_lr_ratio (veRL min_lr_ratio)
};

// Cold-start SFT (`zerorl sft`): prompt/completion pairs, loss on completion tokens only.
// It shares the model, optimizer section (except lr), checkpoints and metrics with GRPO.
struct SftConfig {
  std::string path;     // JSONL, one {"prompt": str, "completion": str} per line
  int epochs = 1;       // passes over the file (ignored when steps > 0)
  int steps = 0;        // optimizer steps; 0 = as many as `epochs` take
  int batch_size = 8;   // examples per optimizer step
  int max_length = 1024;  // tokens per example (prompt + completion); longer ones are cut
  double lr = 1e-5;     // SFT usually wants a larger rate than RL
};

struct LearnerConfig {
  AlgorithmConfig algorithm;
  OptimizerConfig optimizer;
  int micro_batch_tokens = 8192;  // padded tokens per forward/backward
  // bf16: matmuls in bf16 (autocast) over fp32 master weights; fp32: everything in fp32
  // (bit-reproducible on CPU). Log-softmax is always fp32. auto: as model.dtype's auto.
  DType compute_dtype = DType::kAuto;
  // Recompute each layer's activations in backward (TRL gradient_checkpointing): less
  // memory for ~1/3 more compute.
  bool gradient_checkpointing = false;
  // Positions per LM-head chunk when computing log-probs: bounds the [chunk, vocab] logits
  // held at once (memory) against the number of matmuls (speed).
  int logprob_chunk_tokens = 1024;
  // With cluster.learner_ranks > 1: each rank keeps the AdamW moments of 1/N of the
  // parameters (ZeRO-1): gradients are reduced to the rank that owns them, each rank updates
  // its part, and the updated parameters are all-gathered. Off: every rank keeps the whole
  // optimizer state and gradients are all-reduced (DDP).
  bool shard_optimizer = false;
  // Seconds any collective of the learner ranks (gradient reduction, a step's share, a
  // checkpoint's shards) may wait for a rank before the run stops with an error naming it.
  double collective_timeout_s = 300.0;
  SftConfig sft;
};

struct ClusterConfig {
  bool spawn = true;  // start workers as child processes; false: wait for remote workers
  std::string endpoint = "tcp://0.0.0.0:5555";  // where the controller binds when !spawn
  // Learner processes (data-parallel ranks over c10d: Gloo on CPU, NCCL on CUDA). Rank 0 is
  // `zerorl train` (controller, ledger, checkpoints, weight push); every rank holds the policy
  // and trains on a token-balanced share of each step's samples.
  int learner_ranks = 1;
  // Where the ranks meet (a TCPStore on rank 0), "HOST:PORT". Empty: `zerorl train` starts
  // ranks 1..N-1 itself on this machine and they meet on a free loopback port. Set: rank 0
  // listens there and waits for `zerorl learner --rank R --world-size N --master HOST:PORT`
  // started by hand on the other machines.
  std::string learner_master;
};

struct Config {
  RunConfig run;
  ModelConfig model;
  DataConfig data;
  RolloutConfig rollout;
  RewardConfig reward;
  LearnerConfig learner;
  ClusterConfig cluster;
};

// Section descriptions (see config/fields.h); one per struct above.
void Describe(Fields& f, RunConfig& c);
void Describe(Fields& f, ModelInitConfig& c);
void Describe(Fields& f, ModelConfig& c);
void Describe(Fields& f, FieldMapConfig& c);
void Describe(Fields& f, ArithmeticConfig& c);
void Describe(Fields& f, CountdownConfig& c);
void Describe(Fields& f, DatasetConfig& c);
void Describe(Fields& f, DataConfig& c);
void Describe(Fields& f, SamplingConfig& c);
void Describe(Fields& f, RolloutConfig& c);
void Describe(Fields& f, RewardFunctionConfig& c);
void Describe(Fields& f, RewardConfig& c);
void Describe(Fields& f, AlgorithmConfig& c);
void Describe(Fields& f, OptimizerConfig& c);
void Describe(Fields& f, SftConfig& c);
void Describe(Fields& f, LearnerConfig& c);
void Describe(Fields& f, ClusterConfig& c);
void Describe(Fields& f, Config& c);

// A config file's text and the name it is reported under (a path, or "<embedded:NAME>").
struct ConfigSource {
  std::string name;
  std::string text;
};

// Layers `sources` in order (objects merge key by key, anything else is replaced), applies
// `overrides` ("a.b.c=VALUE": VALUE parsed as JSON, else taken as a string), then reads and
// checks every section. On failure returns kInvalidArgument whose message lists every
// problem found, one per line, each with its key path and file:line.
absl::StatusOr<Config> LoadConfigFromSources(const std::vector<ConfigSource>& sources,
                                             const std::vector<std::string>& overrides);
// As above, reading each path from disk (a missing file is an error naming it).
absl::StatusOr<Config> LoadConfig(const std::vector<std::string>& paths,
                                  const std::vector<std::string>& overrides);

// The fully resolved config as pretty JSON, every key present (defaults included).
std::string ConfigToJson(const Config& config);

const char* DTypeName(DType dtype);  // "bf16", "fp32", "fp16", "auto"

// "HOST:PORT" (cluster.learner_master, `zerorl learner --master`): true with the parts when
// HOST is not empty and PORT is a number in 1..65535 ("[::1]:PORT" for an IPv6 address).
bool SplitHostPort(const std::string& text, std::string* host, int* port);

}  // namespace zerorl::config

#endif  // ZERORL_CONFIG_CONFIG_H_
