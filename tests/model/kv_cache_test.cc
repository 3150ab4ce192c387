// The KV-cache forward as the rollout engine will drive it: ragged prefill, batched decode,
// mixed batches, prefix copies between slots, and refused batches.
#include "model/kv_cache.h"

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/transformer.h"
#include "model/weights.h"
#include "tests/model/model_test_util.h"

namespace zerorl::model {
namespace {

using ::testing::HasSubstr;
using testing::GreedyThroughCache;
using testing::MaxAbsDiff;
using testing::Row;
using testing::TinyConfig;

std::vector<std::vector<int64_t>> Prompts() {
  std::vector<std::vector<int64_t>> prompts;
  for (int64_t n : {7, 1, 12, 3, 9}) {
    std::vector<int64_t> ids;
    for (int64_t i = 0; i < n; ++i) ids.push_back((n * 53 + i * 29 + i * i) % 500 + 3);
    prompts.push_back(ids);
  }
  return prompts;
}

// [B, T] right-padded with zeros.
torch::Tensor Padded(const std::vector<std::vector<int64_t>>& rows, int64_t width) {
  torch::Tensor out = torch::zeros({static_cast<int64_t>(rows.size()), width}, torch::kLong);
  for (size_t b = 0; b < rows.size(); ++b) {
    out[b].narrow(0, 0, rows[b].size()).copy_(torch::tensor(rows[b]));
  }
  return out;
}

// Tolerance for two computations of the same logits that differ only in batching: fp32 agrees
// to rounding; bf16 activations round differently when matmul shapes change, and these random
// models have logits of several units, where one bf16 ulp is 0.03, so it is relative.
double Tolerance(torch::ScalarType dtype, const torch::Tensor& reference) {
  return dtype == torch::kFloat ? 1e-5 : 0.04 * reference.abs().max().item<double>();
}

class KvCacheTest
    : public ::testing::TestWithParam<std::tuple<const char*, torch::ScalarType>> {
 protected:
  void SetUp() override {
    model_ = RandomModel(TinyConfig(std::get<0>(GetParam())), 11, dtype());
    testing::PerturbBiasesAndNorms(*model_, 12);
  }
  torch::ScalarType dtype() const { return std::get<1>(GetParam()); }
  const char* name() const {
    return dtype() == torch::kFloat ? "fp32" : "bf16";
  }
  CausalLM model_{nullptr};
};

TEST_P(KvCacheTest, RaggedPrefillAndBatchedDecodeEqualEachPromptAlone) {
  std::vector<std::vector<int64_t>> prompts = Prompts();
  int64_t rows = prompts.size(), steps = 6;
  // Alone: each prompt in its own cache, greedy.
  std::vector<std::vector<int64_t>> alone_tokens(rows);
  std::vector<torch::Tensor> alone_logits;
  for (int64_t b = 0; b < rows; ++b) {
    KvCache cache = model_->NewKvCache({1, 32});
    alone_logits.push_back(
        GreedyThroughCache(*model_, &cache, 0, prompts[b], steps, &alone_tokens[b]));
  }
  // Together: one ragged prefill, then batched decodes of each row's own tokens.
  KvCache cache = model_->NewKvCache({rows, 32});
  KvBatch prefill{Padded(prompts, 12), {}, {}, {}, {}};
  for (int64_t b = 0; b < rows; ++b) {
    prefill.slots.push_back(b);
    prefill.start.push_back(0);
    prefill.num_new.push_back(prompts[b].size());
  }
  torch::Tensor logits = model_->ForwardCached(prefill, &cache);  // [rows, V]
  ASSERT_EQ(logits.size(0), rows);
  double diff = 0;
  for (int64_t k = 0; k < steps; ++k) {
    for (int64_t b = 0; b < rows; ++b) diff = std::max(diff, MaxAbsDiff(logits[b], alone_logits[b][k]));
    if (k + 1 == steps) break;
    KvBatch step{torch::zeros({rows, 1}, torch::kLong), {}, {}, {}, {}};
    for (int64_t b = 0; b < rows; ++b) {
      step.tokens[b][0] = alone_tokens[b][k];
      step.slots.push_back(b);
      step.start.push_back(prompts[b].size() + k);
      step.num_new.push_back(1);
    }
    logits = model_->ForwardCached(step, &cache);
  }
  EXPECT_LT(diff, Tolerance(dtype(), alone_logits[0]));
  std::printf("[%s %s] KV path, batch of 5 ragged prompts vs each alone: max |dlogit| = %.3g\n",
              std::get<0>(GetParam()), name(), diff);
}

TEST_P(KvCacheTest, PaddedTrainingBatchEqualsEachPromptAlone) {
  std::vector<std::vector<int64_t>> prompts = Prompts();
  int64_t rows = prompts.size();
  torch::Tensor seq = torch::zeros({rows, 12}, torch::kLong);
  for (int64_t b = 0; b < rows; ++b) seq[b].narrow(0, 0, prompts[b].size()).fill_(1);
  torch::Tensor pos = torch::arange(12).unsqueeze(0).expand({rows, 12});
  torch::NoGradGuard no_grad;
  torch::Tensor batch = model_->Forward(Padded(prompts, 12), pos, seq);
  double diff = 0;
  for (int64_t b = 0; b < rows; ++b) {
    torch::Tensor alone = model_->Forward(Row(prompts[b]))[0];
    diff = std::max(diff, MaxAbsDiff(batch[b].narrow(0, 0, prompts[b].size()), alone));
  }
  EXPECT_LT(diff, Tolerance(dtype(), batch));
  std::printf("[%s %s] full forward, padded batch of 5 vs each alone: max |dlogit| = %.3g\n",
              std::get<0>(GetParam()), name(), diff);
}

TEST_P(KvCacheTest, LogitsForEveryNewTokenEqualTheFullForward) {
  std::vector<int64_t> prompt = Prompts()[2];
  int64_t n = prompt.size();
  KvCache cache = model_->NewKvCache({1, 32});
  // First 5 tokens, then the other 7, asking for logits at every new position.
  KvBatch first{Row(std::vector<int64_t>(prompt.begin(), prompt.begin() + 5)), {0}, {0}, {5}, {5}};
  KvBatch second{Row(std::vector<int64_t>(prompt.begin() + 5, prompt.end())), {0}, {5}, {n - 5},
                 {n - 5}};
  torch::Tensor cached =
      torch::cat({model_->ForwardCached(first, &cache), model_->ForwardCached(second, &cache)});
  torch::NoGradGuard no_grad;
  torch::Tensor full = model_->Forward(Row(prompt))[0];
  EXPECT_LT(MaxAbsDiff(cached, full), Tolerance(dtype(), full));
}

TEST_P(KvCacheTest, MixedPrefillAndDecodeRowsInOneCall) {
  std::vector<std::vector<int64_t>> prompts = Prompts();
  KvCache cache = model_->NewKvCache({3, 32});
  // Slot 2 already holds prompt 0; in one call it decodes a token while slot 0 prefills
  // prompt 2 (rows in slot order 2, 0: the non-consecutive read path).
  KvBatch setup{Row(prompts[0]), {2}, {0}, {7}, {0}};
  EXPECT_EQ(model_->ForwardCached(setup, &cache).size(0), 0);
  torch::Tensor tokens = Padded({{42}, prompts[2]}, 12);
  KvBatch mixed{tokens, {2, 0}, {7, 0}, {1, 12}, {1, 1}};
  torch::Tensor logits = model_->ForwardCached(mixed, &cache);
  std::vector<int64_t> decoded = prompts[0];
  decoded.push_back(42);
  torch::NoGradGuard no_grad;
  double diff = std::max(MaxAbsDiff(logits[0], model_->Forward(Row(decoded))[0][-1]),
                         MaxAbsDiff(logits[1], model_->Forward(Row(prompts[2]))[0][-1]));
  EXPECT_LT(diff, Tolerance(dtype(), logits));
}

TEST_P(KvCacheTest, CopiedPrefixContinuesLikeAFreshPrefill) {
  std::vector<int64_t> prompt = Prompts()[4];
  int64_t n = prompt.size();
  KvCache cache = model_->NewKvCache({4, 32});
  // Slot 3 has stale content from another sequence; the copy must make it irrelevant.
  KvBatch stale{Row(Prompts()[2]), {3}, {0}, {12}, {0}};
  model_->ForwardCached(stale, &cache);
  KvBatch prefill{Row(prompt), {0}, {0}, {n}, {0}};
  model_->ForwardCached(prefill, &cache);
  cache.CopyPrefix(0, {1, 3}, n);
  // Three group members continue with different tokens, in one batch.
  KvBatch step{torch::tensor({{5}, {6}, {7}}), {0, 1, 3}, {n, n, n}, {1, 1, 1}, {}};
  torch::Tensor logits = model_->ForwardCached(step, &cache);
  double diff = 0;
  for (int64_t r = 0; r < 3; ++r) {
    std::vector<int64_t> fresh = prompt;
    fresh.push_back(5 + r);
    KvCache fresh_cache = model_->NewKvCache({1, 32});
    KvBatch whole{Row(fresh), {0}, {0}, {n + 1}, {}};
    diff = std::max(diff, MaxAbsDiff(logits[r], model_->ForwardCached(whole, &fresh_cache)[0]));
  }
  EXPECT_LT(diff, Tolerance(dtype(), logits));
}

INSTANTIATE_TEST_SUITE_P(
    Families, KvCacheTest,
    ::testing::Combine(::testing::Values("llama3", "qwen2", "qwen3", "mistral"),
                       ::testing::Values(torch::kFloat, torch::kBFloat16)),
    [](const auto& info) {
      return std::string(std::get<0>(info.param)) +
             (std::get<1>(info.param) == torch::kFloat ? "_fp32" : "_bf16");
    });

// ----- refused batches -----

class KvBatchCheckTest : public ::testing::Test {
 protected:
  KvBatchCheckTest() : cache_(TinyConfig("llama3"), {4, 16}, torch::kFloat) {}
  std::string Error(const KvBatch& batch) {
    absl::Status status = CheckKvBatch(batch, cache_);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    return std::string(status.message());
  }
  KvCache cache_;
};

TEST_F(KvBatchCheckTest, AcceptsAValidBatch) {
  EXPECT_TRUE(CheckKvBatch({torch::zeros({2, 3}, torch::kLong), {1, 0}, {4, 0}, {3, 1}, {}},
                           cache_)
                  .ok());
}

TEST_F(KvBatchCheckTest, RefusesTokensThatAreNotB_T) {
  EXPECT_THAT(Error({torch::zeros({3}, torch::kLong), {0}, {0}, {1}, {}}),
              HasSubstr("tokens must be [B, T]"));
}

TEST_F(KvBatchCheckTest, RefusesNonInt64Tokens) {
  EXPECT_THAT(Error({torch::zeros({1, 1}, torch::kInt), {0}, {0}, {1}, {}}),
              HasSubstr("tokens must be int64"));
}

TEST_F(KvBatchCheckTest, RefusesFieldsOfTheWrongLength) {
  EXPECT_THAT(Error({torch::zeros({2, 1}, torch::kLong), {0, 1}, {0}, {1, 1}, {}}),
              HasSubstr("must have one entry per row"));
}

TEST_F(KvBatchCheckTest, RefusesSlotOutOfRange) {
  EXPECT_EQ(Error({torch::zeros({1, 1}, torch::kLong), {4}, {0}, {1}, {}}),
            "KvBatch row 0: slot 4 outside [0, 4)");
}

TEST_F(KvBatchCheckTest, RefusesDuplicateSlots) {
  EXPECT_EQ(Error({torch::zeros({2, 1}, torch::kLong), {1, 1}, {0, 0}, {1, 1}, {}}),
            "KvBatch: slot 1 used twice");
}

TEST_F(KvBatchCheckTest, RefusesNumNewOutsideTheRow) {
  EXPECT_EQ(Error({torch::zeros({1, 2}, torch::kLong), {0}, {0}, {3}, {}}),
            "KvBatch row 0: num_new 3 outside [1, 2]");
  EXPECT_THAT(Error({torch::zeros({1, 2}, torch::kLong), {0}, {0}, {0}, {}}),
              HasSubstr("num_new 0 outside [1, 2]"));
}

TEST_F(KvBatchCheckTest, RefusesOverflowingTheSlotCapacity) {
  EXPECT_EQ(Error({torch::zeros({1, 2}, torch::kLong), {0}, {15}, {2}, {}}),
            "KvBatch row 0: start 15 + num_new 2 exceeds the slot capacity 16");
}

TEST_F(KvBatchCheckTest, RefusesTooManyLogits) {
  EXPECT_EQ(Error({torch::zeros({1, 2}, torch::kLong), {0}, {0}, {1}, {2}}),
            "KvBatch row 0: num_logits 2 outside [0, num_new]");
}

TEST(KvCacheForwardTest, ThrowsOnABadBatchAndOnAForeignCache) {
  CausalLM model = RandomModel(TinyConfig("llama3"), 1);
  KvCache cache = model->NewKvCache({1, 4});
  KvBatch too_long{torch::zeros({1, 5}, torch::kLong), {0}, {0}, {5}, {}};
  EXPECT_THROW(model->ForwardCached(too_long, &cache), c10::Error);
  KvCache bf16(model->config(), {1, 4}, torch::kBFloat16);
  KvBatch ok{torch::zeros({1, 1}, torch::kLong), {0}, {0}, {1}, {}};
  EXPECT_THROW(model->ForwardCached(ok, &bf16), c10::Error);
}

TEST(KvCacheForwardTest, CopyPrefixLeavesLaterPositionsAndOtherSlotsAlone) {
  KvCache cache(TinyConfig("llama3"), {3, 8}, torch::kFloat);
  cache.keys(1)[1].fill_(1);
  cache.values(0).select(0, 0).fill_(2);
  cache.CopyPrefix(0, {2}, 3);
  EXPECT_EQ(cache.values(0)[2].narrow(1, 0, 3).min().item<float>(), 2);
  EXPECT_EQ(cache.values(0)[2].narrow(1, 3, 5).abs().max().item<float>(), 0);
  EXPECT_EQ(cache.keys(1)[1].min().item<float>(), 1);
  EXPECT_EQ(cache.keys(1)[2].narrow(1, 0, 3).abs().max().item<float>(), 0);  // copied zeros
  EXPECT_EQ(cache.bytes(), KvCache::BytesPerToken(TinyConfig("llama3"), torch::kFloat) * 3 * 8);
  EXPECT_THROW(cache.CopyPrefix(0, {0}, 3), c10::Error);
  EXPECT_THROW(cache.CopyPrefix(0, {1}, 9), c10::Error);
}

}  // namespace
}  // namespace zerorl::model
