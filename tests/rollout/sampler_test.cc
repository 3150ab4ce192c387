#include "rollout/sampler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/logprobs.h"

namespace zerorl::rollout {
namespace {

using ::testing::HasSubstr;

SampleRequest Request(double temperature, uint64_t step, int64_t row = 0) {
  SampleRequest r;
  r.row = row;
  r.params.temperature = temperature;
  r.seed = 1234;
  r.stream = 0;
  r.step = step;
  return r;
}

SampledToken SampleOne(const torch::Tensor& logits, const SampleRequest& request) {
  std::vector<SampledToken> out;
  absl::Status status = SampleTokens(logits, {request}, &out);
  EXPECT_TRUE(status.ok()) << status;
  return out.at(0);
}

// Frequencies of `draws` tokens drawn with steps 0.. from row 0.
std::map<int32_t, double> Frequencies(const torch::Tensor& logits, SampleRequest request,
                                      int draws) {
  std::vector<SampleRequest> requests;
  for (int i = 0; i < draws; ++i) {
    request.step = i;
    requests.push_back(request);
  }
  std::vector<SampledToken> out;
  EXPECT_TRUE(SampleTokens(logits, requests, &out).ok());
  std::map<int32_t, double> freq;
  for (const SampledToken& t : out) freq[t.id] += 1.0 / draws;
  return freq;
}

// softmax(logits / T) in double: [V].
std::vector<double> Softmax(const torch::Tensor& row, double temperature) {
  torch::Tensor p = torch::softmax(row.to(torch::kDouble) / temperature, -1);
  return std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
}

TEST(SamplerTest, GreedyTakesTheArgmaxAndTiesGoToTheLowerId) {
  torch::Tensor logits = torch::tensor({{0.5f, 2.0f, -1.0f, 2.0f, 1.0f}});
  SampledToken t = SampleOne(logits, Request(0.0, 0));
  EXPECT_EQ(t.id, 1);
  // Greedy reports the log-prob at temperature 1.
  float expected = model::TokenLogProbs(logits, torch::tensor({1L}), 1.0).item<float>();
  EXPECT_NEAR(t.logprob, expected, 1e-6);
}

// The log-prob is log_softmax(logits / T) at the token, accumulated in double: within float
// rounding (1e-6 relative) of a
// float64 reference. The learner's float32 at::log_softmax (model/logprobs.h) sums 151,936
// exponentials in float32 and lands within a few 1e-5 of the same reference on rows this wide;
// on the tiny models' logits the two agree to 1e-5 (see engine_test).
TEST(SamplerTest, LogProbIsTheTemperedLogSoftmax) {
  torch::manual_seed(3);
  torch::Tensor logits = torch::randn({4, 151936}) * 3;
  for (torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16}) {
    torch::Tensor typed = logits.to(dtype);
    for (double temperature : {0.0, 0.3, 1.0, 1.7}) {
      std::vector<SampleRequest> requests;
      for (int64_t row = 0; row < 4; ++row) requests.push_back(Request(temperature, 9, row));
      std::vector<SampledToken> out;
      ASSERT_TRUE(SampleTokens(typed, requests, &out).ok());
      for (int64_t row = 0; row < 4; ++row) {
        torch::Tensor id = torch::tensor({static_cast<int64_t>(out[row].id)});
        double t = temperature > 0 ? temperature : 1.0;
        double exact = torch::log_softmax(typed[row].to(torch::kDouble) / t, -1)[out[row].id]
                           .item<double>();
        EXPECT_NEAR(out[row].logprob, exact, 1e-6 * (1 + std::fabs(exact)))
            << "dtype " << dtype << " T " << temperature << " row " << row;
        float learner = model::TokenLogProbs(typed[row].unsqueeze(0), id, temperature).item<float>();
        EXPECT_NEAR(out[row].logprob, learner, 5e-5)
            << "dtype " << dtype << " T " << temperature << " row " << row;
      }
    }
  }
}

TEST(SamplerTest, TemperatureSamplingFollowsTheSoftmax) {
  torch::Tensor logits = torch::tensor({{1.0f, 0.0f, 2.0f, -1.0f, 0.5f, 1.5f}});
  for (double temperature : {0.5, 1.0, 2.0}) {
    std::map<int32_t, double> freq = Frequencies(logits, Request(temperature, 0), 40000);
    std::vector<double> p = Softmax(logits[0], temperature);
    for (size_t i = 0; i < p.size(); ++i) {
      EXPECT_NEAR(freq[static_cast<int32_t>(i)], p[i], 0.012) << "token " << i << " T "
                                                               << temperature;
    }
  }
}

TEST(SamplerTest, DrawWalksBlocksAcrossTheVocabulary) {
  torch::Tensor logits = torch::full({1, 1000}, -30.0f);
  for (int64_t id : {10, 300, 700, 999}) logits[0][id] = 0.0f;
  std::map<int32_t, double> freq = Frequencies(logits, Request(1.0, 0), 20000);
  for (int32_t id : {10, 300, 700, 999}) EXPECT_NEAR(freq[id], 0.25, 0.015) << id;
  EXPECT_EQ(freq.size(), 4u);
}

TEST(SamplerTest, SameSeedStreamAndStepGiveTheSameTokenWhateverTheBatch) {
  torch::manual_seed(5);
  torch::Tensor logits = torch::randn({3, 5000});
  SampleRequest alone = Request(1.0, 17, 1);
  alone.stream = 4;
  SampledToken first = SampleOne(logits, alone);
  // The same request among others, at another position, reading the same row.
  std::vector<SampleRequest> batch = {Request(1.0, 3, 0), Request(0.7, 1, 2), alone};
  std::vector<SampledToken> out;
  ASSERT_TRUE(SampleTokens(logits, batch, &out).ok());
  EXPECT_EQ(out[2].id, first.id);
  EXPECT_EQ(out[2].logprob, first.logprob);
  // Another stream or step draws independently.
  std::set<int32_t> ids;
  for (uint64_t stream = 0; stream < 20; ++stream) {
    SampleRequest r = alone;
    r.stream = stream;
    ids.insert(SampleOne(logits, r).id);
  }
  EXPECT_GT(ids.size(), 10u);
}

TEST(SamplerTest, TopKKeepsExactlyTheKBestTokens) {
  torch::Tensor logits = torch::tensor({{1.0f, 3.0f, 2.0f, 3.0f, 0.0f, 2.5f}});
  SampleRequest r = Request(1.0, 0);
  r.params.top_k = 3;  // ids 1, 3 (tie: both) and 5
  std::map<int32_t, double> freq = Frequencies(logits, r, 30000);
  std::vector<double> p = {std::exp(3.0), std::exp(3.0), std::exp(2.5)};
  double total = p[0] + p[1] + p[2];
  EXPECT_EQ(freq.size(), 3u);
  EXPECT_NEAR(freq[1], p[0] / total, 0.012);
  EXPECT_NEAR(freq[3], p[1] / total, 0.012);
  EXPECT_NEAR(freq[5], p[2] / total, 0.012);
  r.params.top_k = 1;  // a tie at the top: the lower id
  EXPECT_EQ(Frequencies(logits, r, 200).begin()->first, 1);
}

// The nucleus by brute force: ranks by (logit desc, id asc), in double.
std::vector<int32_t> ReferenceNucleus(const torch::Tensor& row, double temperature, double top_p) {
  std::vector<double> p = Softmax(row, temperature);
  torch::Tensor x = row.to(torch::kFloat);
  std::vector<int32_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    float xa = x[a].item<float>(), xb = x[b].item<float>();
    return xa > xb || (xa == xb && a < b);
  });
  double cum = 0;
  std::vector<int32_t> kept;
  for (int32_t id : order) {
    kept.push_back(id);
    cum += p[id];
    if (cum >= top_p) break;
  }
  return kept;
}

TEST(SamplerTest, TopPDrawsOnlyFromTheNucleusWithRenormalizedOdds) {
  torch::Tensor logits = torch::tensor({{2.0f, 1.0f, 0.0f, -1.0f, 1.0f}});
  SampleRequest r = Request(1.0, 0);
  r.params.top_p = 0.8;  // p = 0.52, 0.19, 0.07, 0.03, 0.19: the first three by rank
  std::vector<int32_t> nucleus = ReferenceNucleus(logits[0], 1.0, 0.8);
  ASSERT_EQ(nucleus, (std::vector<int32_t>{0, 1, 4}));
  std::map<int32_t, double> freq = Frequencies(logits, r, 30000);
  std::vector<double> p = Softmax(logits[0], 1.0);
  double mass = p[0] + p[1] + p[4];
  EXPECT_EQ(freq.size(), 3u);
  for (int32_t id : nucleus) EXPECT_NEAR(freq[id], p[id] / mass, 0.012) << id;
}

TEST(SamplerTest, TopPOverALargeVocabularyMatchesTheSortedNucleus) {
  torch::manual_seed(11);
  torch::Tensor logits = (torch::randn({1, 151936}) * 2).to(torch::kBFloat16);
  for (double top_p : {0.05, 0.5, 0.9}) {
    std::vector<int32_t> nucleus = ReferenceNucleus(logits[0], 0.8, top_p);
    std::vector<int32_t> rank(151936, -1);
    for (size_t i = 0; i < nucleus.size(); ++i) rank[nucleus[i]] = static_cast<int32_t>(i);
    SampleRequest r = Request(0.8, 0);
    r.params.top_p = top_p;
    std::map<int32_t, double> freq = Frequencies(logits, r, 2000);
    for (const auto& [id, f] : freq) EXPECT_GE(rank[id], 0) << "token " << id << " top_p " << top_p;
  }
}

TEST(SamplerTest, MinPDropsTokensBelowTheScaledTopProbability) {
  torch::Tensor logits = torch::tensor({{0.0f, -0.5f, -3.0f, -1.0f}});
  SampleRequest r = Request(1.0, 0);
  r.params.min_p = 0.3;  // keeps p >= 0.3 p_max: exp(0), exp(-0.5), exp(-1) (0.37) but not exp(-3)
  std::map<int32_t, double> freq = Frequencies(logits, r, 30000);
  EXPECT_EQ(freq.count(2), 0u);
  double mass = 1 + std::exp(-0.5) + std::exp(-1.0);
  EXPECT_NEAR(freq[0], 1 / mass, 0.012);
  EXPECT_NEAR(freq[3], std::exp(-1.0) / mass, 0.012);
  r.params.top_k = 2;  // with top-k: the same threshold on the kept list
  freq = Frequencies(logits, r, 5000);
  EXPECT_EQ(freq.size(), 2u);
}

TEST(SamplerTest, FiltersStillReportTheFullDistributionsLogProb) {
  torch::Tensor logits = torch::tensor({{2.0f, 1.0f, 0.0f}});
  SampleRequest r = Request(0.9, 0);
  r.params.top_k = 1;
  SampledToken t = SampleOne(logits, r);
  EXPECT_EQ(t.id, 0);
  EXPECT_NEAR(t.logprob, model::TokenLogProbs(logits, torch::tensor({0L}), 0.9).item<float>(),
              1e-6);
}

TEST(SamplerTest, TopLogitsAreTheLargestRawLogitsWithTiesToTheLowerId) {
  torch::Tensor logits = torch::tensor({{0.5f, 2.0f, 2.0f, -1.0f, 3.0f}});
  SampleRequest r = Request(0.5, 0);
  r.top_logits = 3;
  SampledToken t = SampleOne(logits, r);
  ASSERT_EQ(t.top_logits.size(), 3u);
  EXPECT_EQ(t.top_logits[0], (std::pair<int32_t, float>{4, 3.0f}));
  EXPECT_EQ(t.top_logits[1], (std::pair<int32_t, float>{1, 2.0f}));
  EXPECT_EQ(t.top_logits[2], (std::pair<int32_t, float>{2, 2.0f}));
  r.top_logits = 10;  // more than the vocabulary: all of it
  EXPECT_EQ(SampleOne(logits, r).top_logits.size(), 5u);
}

TEST(SamplerTest, NonFiniteLogitsAreAnInternalError) {
  torch::Tensor logits = torch::tensor({{0.5f, NAN, 1.0f}});
  std::vector<SampledToken> out;
  for (double temperature : {0.0, 1.0}) {
    absl::Status status = SampleTokens(logits, {Request(temperature, 0)}, &out);
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
    EXPECT_THAT(status.message(), HasSubstr("logits row 0 is not finite"));
  }
  torch::Tensor all_inf = torch::full({1, 3}, -INFINITY);
  EXPECT_EQ(SampleTokens(all_inf, {Request(1.0, 0)}, &out).code(), absl::StatusCode::kInternal);
}

TEST(SamplerTest, RowOutOfRangeIsInvalidArgument) {
  std::vector<SampledToken> out;
  absl::Status status = SampleTokens(torch::zeros({2, 4}), {Request(1.0, 0, 2)}, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("request 0 reads row 2 of 2"));
}

TEST(SamplingParamsTest, NegativeTemperature) {
  SamplingParams p;
  p.temperature = -0.1;
  EXPECT_THAT(ValidateSamplingParams(p).message(), HasSubstr("temperature must be >= 0"));
}

TEST(SamplingParamsTest, NegativeTopK) {
  SamplingParams p;
  p.top_k = -1;
  EXPECT_THAT(ValidateSamplingParams(p).message(), HasSubstr("top_k must be >= 0"));
}

TEST(SamplingParamsTest, TopPOutsideUnitInterval) {
  SamplingParams p;
  for (double top_p : {0.0, 1.5}) {
    p.top_p = top_p;
    absl::Status status = ValidateSamplingParams(p);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("top_p must be in (0, 1]"));
  }
}

TEST(SamplingParamsTest, MinPOutsideRange) {
  SamplingParams p;
  p.min_p = 1.0;
  EXPECT_THAT(ValidateSamplingParams(p).message(), HasSubstr("min_p must be in [0, 1)"));
}

}  // namespace
}  // namespace zerorl::rollout
