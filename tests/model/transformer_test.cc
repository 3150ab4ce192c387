// Parity with llama.cpp's goldens for the tiny Qwen2/Qwen3 checkpoints in ../shared/data/models:
// full forward, the KV-cache path with greedy decoding, fp32 and bf16.
#include "model/transformer.h"

#include <cstdio>

#include "gtest/gtest.h"
#include "model/weights.h"
#include "tests/model/model_test_util.h"

namespace zerorl::model {
namespace {

using testing::GoldenPrompt;
using testing::GreedyThroughCache;
using testing::LoadGolden;
using testing::MaxAbsDiff;
using testing::Row;
using ::zerorl::testing::TestDataPath;

constexpr double kFp32Tolerance = 1e-4;  // README: observed 2e-7
constexpr double kBf16Tolerance = 2e-2;  // README: "atol around 2e-2" for bf16 compute

class ParityTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (zerorl::testing::TestDataDir().empty()) GTEST_SKIP() << "shared fixtures not found";
    golden_ = LoadGolden(GetParam());
    ASSERT_EQ(golden_.size(), 6u);
  }
  CausalLM Load(torch::ScalarType dtype) {
    absl::StatusOr<CausalLM> model =
        LoadModel(TestDataPath(std::string("models/") + GetParam()), {dtype, torch::kCPU});
    EXPECT_TRUE(model.ok()) << model.status();
    return *model;
  }
  // Max |logit - golden| over the golden top-20 of every KV-path step.
  static double StepDiff(const torch::Tensor& rows, const GoldenPrompt& p) {
    double diff = 0;
    for (size_t k = 0; k < p.steps.size(); ++k) {
      torch::Tensor ours = rows[k].index_select(0, torch::tensor(p.steps[k].ids));
      diff = std::max(diff, MaxAbsDiff(ours, torch::tensor(p.steps[k].values)));
    }
    return diff;
  }

  std::vector<GoldenPrompt> golden_;
};

TEST_P(ParityTest, FullForwardMatchesLlamaCppInFp32) {
  CausalLM model = Load(torch::kFloat);
  torch::NoGradGuard no_grad;
  double worst = 0;
  for (size_t i = 0; i < golden_.size(); ++i) {
    const GoldenPrompt& p = golden_[i];
    torch::Tensor logits = model->Forward(Row(p.ids))[0];  // [T, V]
    double diff = MaxAbsDiff(logits[-1], p.last);
    if (p.all.defined()) diff = std::max(diff, MaxAbsDiff(logits, p.all));
    EXPECT_LT(diff, kFp32Tolerance) << "prompt " << i;
    worst = std::max(worst, diff);
  }
  std::printf("[%s] fp32 full forward vs llama.cpp: max |dlogit| = %.3g\n", GetParam(), worst);
}

TEST_P(ParityTest, KvCacheGreedyMatchesLlamaCppInFp32) {
  CausalLM model = Load(torch::kFloat);
  KvCache cache = model->NewKvCache({1, 256});
  double worst = 0;
  for (size_t i = 0; i < golden_.size(); ++i) {
    const GoldenPrompt& p = golden_[i];
    std::vector<int64_t> tokens;
    torch::Tensor rows = GreedyThroughCache(*model, &cache, 0, p.ids, 16, &tokens);
    EXPECT_EQ(tokens, p.greedy) << "prompt " << i;
    double diff = StepDiff(rows, p);
    EXPECT_LT(diff, kFp32Tolerance) << "prompt " << i;
    worst = std::max(worst, diff);
  }
  std::printf("[%s] fp32 KV-cache path vs llama.cpp greedy_steps_top20: max |dlogit| = %.3g\n",
              GetParam(), worst);
}

TEST_P(ParityTest, KvCacheEqualsFullForward) {
  for (torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16}) {
    CausalLM model = Load(dtype);
    KvCache cache = model->NewKvCache({2, 256});
    double worst = 0;
    for (const GoldenPrompt& p : golden_) {
      std::vector<int64_t> tokens;
      torch::Tensor cached = GreedyThroughCache(*model, &cache, 1, p.ids, 16, &tokens);
      std::vector<int64_t> all = p.ids;
      all.insert(all.end(), tokens.begin(), tokens.end() - 1);
      torch::NoGradGuard no_grad;
      torch::Tensor full = model->Forward(Row(all))[0].narrow(0, p.ids.size() - 1, 16);
      worst = std::max(worst, MaxAbsDiff(cached, full));
    }
    // fp32: same math, different reduction order. bf16: rounding of activations differs
    // between a [1, T] and a [1, 1] matmul, so a bf16 tolerance applies.
    EXPECT_LT(worst, dtype == torch::kFloat ? 1e-5 : kBf16Tolerance);
    std::printf("[%s] %s KV-cache decode vs full forward (16 rows x 6 prompts): max |dlogit| = "
                "%.3g\n",
                GetParam(), dtype == torch::kFloat ? "fp32" : "bf16", worst);
  }
}

TEST_P(ParityTest, Bf16MatchesLlamaCppWithinBf16Tolerance) {
  CausalLM model = Load(torch::kBFloat16);
  KvCache cache = model->NewKvCache({1, 256});
  double worst_full = 0, worst_kv = 0;
  int argmax_checked = 0;
  for (size_t i = 0; i < golden_.size(); ++i) {
    const GoldenPrompt& p = golden_[i];
    torch::NoGradGuard no_grad;
    torch::Tensor last = model->Forward(Row(p.ids))[0][-1];
    worst_full = std::max(worst_full, MaxAbsDiff(last, p.last));
    // Teacher-forced with the golden tokens, so one legitimate bf16 flip does not derail the
    // comparison of later steps.
    std::vector<int64_t> tokens;
    torch::Tensor rows = GreedyThroughCache(*model, &cache, 0, p.ids, 16, &tokens, &p.greedy);
    worst_kv = std::max(worst_kv, StepDiff(rows, p));
    for (size_t k = 0; k < p.greedy.size(); ++k) {
      if (p.margins[k] <= kBf16Tolerance) continue;
      EXPECT_EQ(testing::Greedy(rows[k]), p.greedy[k]) << "prompt " << i << " step " << k;
      ++argmax_checked;
    }
  }
  EXPECT_LT(worst_full, kBf16Tolerance);
  EXPECT_LT(worst_kv, kBf16Tolerance);
  std::printf("[%s] bf16 vs llama.cpp: full forward max |dlogit| = %.3g, KV path %.3g; argmax "
              "agreed at %d steps with margin > %.0e\n",
              GetParam(), worst_full, worst_kv, argmax_checked, kBf16Tolerance);
}

// All six prompts (6 to 200 tokens) as one batch, through both forwards: each row must still
// match llama.cpp, and the batched greedy decode must produce the golden tokens.
TEST_P(ParityTest, BatchOfAllPromptsMatchesLlamaCppInFp32) {
  CausalLM model = Load(torch::kFloat);
  int64_t rows = golden_.size(), width = 0;
  for (const GoldenPrompt& p : golden_) width = std::max<int64_t>(width, p.ids.size());
  torch::Tensor ids = torch::zeros({rows, width}, torch::kLong);
  torch::Tensor seq = torch::zeros({rows, width}, torch::kLong);
  KvBatch prefill{ids, {}, {}, {}, {}};
  for (int64_t b = 0; b < rows; ++b) {
    int64_t n = golden_[b].ids.size();
    ids[b].narrow(0, 0, n).copy_(torch::tensor(golden_[b].ids));
    seq[b].narrow(0, 0, n).fill_(1);
    prefill.slots.push_back(b);
    prefill.start.push_back(0);
    prefill.num_new.push_back(n);
  }
  double worst_full = 0, worst_kv = 0;
  {
    torch::NoGradGuard no_grad;
    torch::Tensor positions = torch::arange(width).unsqueeze(0).expand({rows, width});
    torch::Tensor hidden = model->ForwardHidden(ids, positions, seq);
    for (int64_t b = 0; b < rows; ++b) {
      torch::Tensor last = model->Logits(hidden[b][prefill.num_new[b] - 1]);
      worst_full = std::max(worst_full, MaxAbsDiff(last, golden_[b].last));
    }
  }
  KvCache cache = model->NewKvCache({rows, 256});
  torch::Tensor logits = model->ForwardCached(prefill, &cache);  // [rows, V]
  for (int64_t k = 0; k < 16; ++k) {
    KvBatch step{torch::zeros({rows, 1}, torch::kLong), prefill.slots, {}, {}, {}};
    for (int64_t b = 0; b < rows; ++b) {
      const GoldenPrompt& p = golden_[b];
      torch::Tensor top = logits[b].index_select(0, torch::tensor(p.steps[k].ids));
      worst_kv = std::max(worst_kv, MaxAbsDiff(top, torch::tensor(p.steps[k].values)));
      int64_t next = testing::Greedy(logits[b]);
      EXPECT_EQ(next, p.greedy[k]) << "prompt " << b << " step " << k;
      step.tokens[b][0] = next;
      step.start.push_back(p.ids.size() + k);
      step.num_new.push_back(1);
    }
    if (k < 15) logits = model->ForwardCached(step, &cache);
  }
  EXPECT_LT(worst_full, kFp32Tolerance);
  EXPECT_LT(worst_kv, kFp32Tolerance);
  std::printf("[%s] fp32 batch of 6 prompts: padded full forward max |dlogit| = %.3g, ragged "
              "prefill + batched greedy decode %.3g\n",
              GetParam(), worst_full, worst_kv);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, ParityTest, ::testing::Values("qwen2-tiny", "qwen3-tiny"),
                         [](const auto& info) {
                           return std::string(info.param) == "qwen2-tiny" ? "Qwen2" : "Qwen3";
                         });

}  // namespace
}  // namespace zerorl::model
